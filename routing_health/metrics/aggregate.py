"""Metrics per group over a cohort of lead facts (spec section 5).

Input is the frame of ``lead_facts`` (see ``FACT_COLUMNS``). Groups are formed with integer
codes and every metric is a ``bincount`` or a sorted-run percentile, so grouping a million
leads costs about as much as one sort. What each metric is made of is in
``routing_health.metrics.catalog``; the arithmetic in ``routing_health.metrics.definitions``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from routing_health.metrics.catalog import duplicate_names, exported_names, shadow_names
from routing_health.metrics.columns import FACT_COLUMNS
from routing_health.metrics.definitions import (
    duplicate_group_values,
    group_percentiles,
    group_values,
    has_duplicate_facts,
)
from routing_health.metrics.params import MetricParams
from routing_health.metrics.shadow import has_shadow, shadow_group_values

METRIC_NAMES: tuple[str, ...] = exported_names()
"""Every metric of spec section 5, then the business-hours variants of section 10, in JSON
column order (declared once, in ``routing_health.metrics.catalog``)."""

SHADOW_NAMES: tuple[str, ...] = shadow_names()
"""The shadow-comparison metrics, after ``METRIC_NAMES`` when the facts carry the shadow
columns (``metrics.shadow.shadow_facts``; the configuration has ``[shadow]``)."""
DUPLICATE_NAMES: tuple[str, ...] = duplicate_names()
"""The duplicates family (``catalog.DUPLICATE_METRICS``), after ``METRIC_NAMES`` when present."""

GROUP_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "region": "region",
        "tier": "tier",
        "day": "created_day",
        "week": "created_week",
        "first_rep": "first_rep",
        "routed_owner": "routed_owner",
        "failure_reason": "failure_reason",
    }
)
"""Group key name (as in ``--by`` and the JSON rows) -> fact column. Extra lead columns are
group keys under their own name."""

UNKNOWN_GROUP_KEY = "cannot group by {key!r}: use one of {known} or an extra lead column"
DUPLICATE_GROUP_KEY = "group key {key!r} given twice"


def cohort(facts: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """The leads whose local creation day lies in ``[start, end]`` (both inclusive).

    ``facts`` already holds only leads created at or before T.
    """
    day = facts["created_day"].astype("str")
    return facts[((day >= start.isoformat()) & (day <= end.isoformat())).to_numpy(dtype=bool)]


def group_metrics(facts: pd.DataFrame, by: Sequence[str], params: MetricParams) -> pd.DataFrame:
    """One row per non-empty group: the group keys (named as in ``by``), then ``METRIC_NAMES``.

    Empty key values (null or "") form the group whose key is ``None``. Rows are sorted by the
    keys, ``None`` last. Counts are int64; rates, percentiles and the oldest queue age are
    float64 with NaN where the spec says null (``metrics_rows`` turns those into ``None``).
    With ``by`` empty the single row covers all of ``facts`` (no row when it is empty).
    """
    by = list(by)
    keys, group, sizes = _groups(facts, by)
    table = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in keys.items()})
    metrics = _metrics(facts, group, sizes, params)
    for name in metric_names(facts):
        table[name] = metrics[name]
    return table


def metric_names(facts: pd.DataFrame) -> tuple[str, ...]:
    """The metrics computed over ``facts``: ``METRIC_NAMES``, then ``DUPLICATE_NAMES`` when the
    facts carry the duplicates columns (``metrics.duplicates.attach``), then ``SHADOW_NAMES``
    when they carry the shadow columns."""
    names = METRIC_NAMES
    if has_duplicate_facts(facts):
        names = (*names, *DUPLICATE_NAMES)
    if has_shadow(facts):
        names = (*names, *SHADOW_NAMES)
    return names


def total_metrics(facts: pd.DataFrame, params: MetricParams) -> dict[str, Any]:
    """The metrics over all of ``facts`` as a JSON-ready dict in ``METRIC_NAMES`` order.

    An empty frame gives zero counts and ``None`` rates. Facts carrying the duplicates columns
    (``metrics.duplicates.attach``) add ``DUPLICATE_NAMES`` after them, here and in
    ``group_metrics``.
    """
    group = np.zeros(len(facts), dtype=np.int64)
    metrics = _metrics(facts, group, 1, params)
    return {name: _json_value(metrics[name][0]) for name in metric_names(facts)}


def metrics_rows(
    facts: pd.DataFrame, by: Sequence[str], params: MetricParams
) -> list[dict[str, Any]]:
    """``group_metrics`` as JSON-ready dicts: group keys first, then ``METRIC_NAMES``; Python
    ``int``/``float``/``str``/``None`` values only (no numpy types, no NaN)."""
    table = group_metrics(facts, by, params)
    columns = list(table.columns)
    return [
        {column: _json_value(value) for column, value in zip(columns, row, strict=True)}
        for row in table.itertuples(index=False, name=None)
    ]


def group_numbers(
    facts: pd.DataFrame, by: Sequence[str]
) -> tuple[dict[str, list[object]], np.ndarray, int]:
    """The groups of ``group_metrics``: key values per group (in its row order), each lead's
    group number and the number of groups; for counts computed outside the catalog's
    ``METRICS`` (``metrics.fairness``) to line up with its rows."""
    return _groups(facts, list(by))


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _groups(facts: pd.DataFrame, by: list[str]) -> tuple[dict[str, list[object]], np.ndarray, int]:
    """Key values per group (sorted, None last), each lead's group number, and the count."""
    seen: set[str] = set()
    combined = np.zeros(len(facts), dtype=np.int64)
    key_tables: list[list[object]] = []
    for key in by:
        if key in seen:
            raise ValueError(DUPLICATE_GROUP_KEY.format(key=key))
        seen.add(key)
        codes, values = _key_codes(facts[_key_column(facts, key)])
        combined = combined * len(values) + codes
        key_tables.append(values)
    if not by:
        size = 1 if len(facts) else 0
        return {}, combined, size
    groups, group = np.unique(combined, return_inverse=True)
    keys: dict[str, list[object]] = {}
    remaining = groups
    for key, values in reversed(list(zip(by, key_tables, strict=True))):
        keys[key] = [values[i] for i in remaining % len(values)]
        remaining = remaining // len(values)
    return {key: keys[key] for key in by}, group.reshape(-1), len(groups)


def _key_column(facts: pd.DataFrame, key: str) -> str:
    if key in GROUP_KEYS:
        return GROUP_KEYS[key]
    if key in facts.columns and key not in FACT_COLUMNS:
        return key
    known = ", ".join(GROUP_KEYS)
    raise ValueError(UNKNOWN_GROUP_KEY.format(key=key, known=known))


def _key_codes(column: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes in sorted key order; empty values (null, "") share the last code, key None."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = [_json_value(v) for v in uniques]
    present = [i for i, v in enumerate(values) if v is not None and v != ""]
    try:
        ordered = sorted(present, key=lambda i: values[i])
    except TypeError:  # mixed types in an extra column: order by their text
        ordered = sorted(present, key=lambda i: str(values[i]))
    remap = np.full(len(values) + 1, len(ordered), dtype=np.int64)
    remap[ordered] = np.arange(len(ordered))
    return remap[codes], [values[i] for i in ordered] + [None]


def _metrics(
    facts: pd.DataFrame, group: np.ndarray, size: int, params: MetricParams
) -> dict[str, np.ndarray]:
    values = group_values(facts, group, size, params.queue_age_limit_hours)
    if has_duplicate_facts(facts):
        values.update(duplicate_group_values(facts, group, size))
    if has_shadow(facts):
        values.update(shadow_group_values(facts, group, size))
    return values


def _percentiles(
    group: np.ndarray, values: np.ndarray, mask: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """p50 and p95 of ``values[mask]`` per group (``definitions.group_percentiles``)."""
    p50, p95 = group_percentiles(group, values, mask, size, (0.5, 0.95))
    return p50, p95
