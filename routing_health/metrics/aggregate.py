"""Metrics per group over a cohort of lead facts (spec section 5).

Input is the frame of ``lead_facts`` (see ``FACT_COLUMNS``). Groups are formed with integer
codes and every metric is a ``bincount`` or a sorted-run percentile, so grouping a million
leads costs about as much as one sort.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from routing_health.metrics.columns import FACT_COLUMNS
from routing_health.metrics.params import MetricParams

METRIC_NAMES: tuple[str, ...] = (
    "leads",
    "succeeded",
    "failed",
    "pending",
    "assignment_success_rate",
    "assigned",
    "tta_p50_minutes",
    "tta_p95_minutes",
    "assign_sla_met_rate",
    "bounced",
    "bounce_rate",
    "accepted",
    "acceptance_rate",
    "touched",
    "first_touch_p50_minutes",
    "first_touch_p95_minutes",
    "touch_sla_met_rate",
    "rejected",
    "rejection_rate",
    "queued",
    "queued_over_limit",
    "oldest_queue_age_hours",
    "tta_p50_business_minutes",
    "tta_p95_business_minutes",
    "first_touch_p50_business_minutes",
    "first_touch_p95_business_minutes",
    "assign_sla_met_rate_business",
    "touch_sla_met_rate_business",
)
"""Every metric of spec section 5, then the business-hours variants of section 10, in JSON
column order."""

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
    for name in METRIC_NAMES:
        table[name] = metrics[name]
    return table


def total_metrics(facts: pd.DataFrame, params: MetricParams) -> dict[str, Any]:
    """The metrics over all of ``facts`` as a JSON-ready dict in ``METRIC_NAMES`` order.

    An empty frame gives zero counts and ``None`` rates.
    """
    group = np.zeros(len(facts), dtype=np.int64)
    metrics = _metrics(facts, group, 1, params)
    return {name: _json_value(metrics[name][0]) for name in METRIC_NAMES}


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
    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group[mask], minlength=size).astype(np.int64)

    def rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)

    def flag(column: str) -> np.ndarray:
        return facts[column].to_numpy(dtype=bool)

    outcome = facts["outcome"].astype("str").to_numpy()
    assigned = facts["rep_assigned_at"].notna().to_numpy()
    touched = facts["first_touch_at"].notna().to_numpy()
    queued = flag("queued")
    queue_age = facts["queue_age_hours"].to_numpy(dtype=float)
    m: dict[str, np.ndarray] = {"leads": np.bincount(group, minlength=size).astype(np.int64)}
    for name in ("succeeded", "failed", "pending"):
        m[name] = count(outcome == name)
    m["assignment_success_rate"] = rate(m["succeeded"], m["succeeded"] + m["failed"])
    m["assigned"] = count(assigned)
    tta = facts["tta_minutes"].to_numpy(dtype=float)
    m["tta_p50_minutes"], m["tta_p95_minutes"] = _percentiles(group, tta, assigned, size)
    applicable = flag("assign_sla_applicable")
    m["assign_sla_met_rate"] = rate(count(applicable & flag("assign_sla_met")), count(applicable))
    m["bounced"] = count(flag("bounced"))
    m["bounce_rate"] = rate(m["bounced"], m["assigned"])
    m["accepted"] = count(flag("accepted"))
    m["acceptance_rate"] = rate(m["accepted"], count(assigned & ~flag("acceptance_pending")))
    m["touched"] = count(touched)
    first_touch = facts["first_touch_minutes"].to_numpy(dtype=float)
    m["first_touch_p50_minutes"], m["first_touch_p95_minutes"] = _percentiles(
        group, first_touch, touched, size
    )
    applicable = flag("touch_sla_applicable")
    m["touch_sla_met_rate"] = rate(count(applicable & flag("touch_sla_met")), count(applicable))
    m["rejected"] = count(flag("rejected"))
    m["rejection_rate"] = rate(m["rejected"], m["assigned"])
    m["queued"] = count(queued)
    m["queued_over_limit"] = count(queued & (queue_age > params.queue_age_limit_hours))
    oldest = np.full(size, -np.inf)
    np.maximum.at(oldest, group[queued], queue_age[queued])
    m["oldest_queue_age_hours"] = np.where(m["queued"] > 0, oldest, np.nan)
    tta = facts["tta_business_minutes"].to_numpy(dtype=float)
    m["tta_p50_business_minutes"], m["tta_p95_business_minutes"] = _percentiles(
        group, tta, assigned, size
    )
    first_touch = facts["first_touch_business_minutes"].to_numpy(dtype=float)
    m["first_touch_p50_business_minutes"], m["first_touch_p95_business_minutes"] = _percentiles(
        group, first_touch, touched, size
    )
    for kind in ("assign", "touch"):
        applicable = flag(f"{kind}_sla_applicable_business")
        met = count(applicable & flag(f"{kind}_sla_met_business"))
        m[f"{kind}_sla_met_rate_business"] = rate(met, count(applicable))
    return m


def _percentiles(
    group: np.ndarray, values: np.ndarray, mask: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """p50 and p95 of ``values[mask]`` per group, numpy's default linear interpolation; NaN for
    a group with no values."""
    g, v = group[mask], values[mask]
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    counts = np.bincount(g, minlength=size)
    starts = np.cumsum(counts) - counts
    present = counts > 0
    results = []
    for q in (0.5, 0.95):
        out = np.full(size, np.nan)
        n, s = counts[present], starts[present]
        virtual = (n - 1) * q
        below = np.floor(virtual).astype(np.int64)
        above = np.minimum(below + 1, n - 1)
        t = virtual - below
        a, b = v[s + below], v[s + above]
        # numpy's _lerp: from the lower neighbour below t = 0.5, from the upper one above.
        diff = b - a
        out[present] = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
        results.append(out)
    return results[0], results[1]
