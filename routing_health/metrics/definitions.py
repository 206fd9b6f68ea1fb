"""Every rate and percentile formula of the metrics, written once (spec section 5).

The catalog (``routing_health.metrics.catalog``) says *what* each metric is made of; this module
says how the arithmetic is done, for one group (scalars: the rollup merge, alert evaluation) or
for many groups at once (numpy arrays indexed by group number: the engine's aggregation).

- **Counts**: ``count_members(facts, queue_age_limit_hours)`` is, for every count name of the
  catalog (``catalog.count_names()``: exported counts and the rollup ``COMPONENTS``), which leads
  it counts — one boolean per lead.
- **Rates**: numerator / denominator; an empty denominator (0) gives ``None`` for one group
  (``rate``), NaN in an array (``rates``) — the export prints both as ``null``, never 0.
- **Percentiles**: linear interpolation between closest ranks, numpy's default ``method="linear"``
  bit for bit (``percentile``, ``group_percentiles``): for ``n`` sorted values and quantile ``q``
  the position is ``(n - 1) * q``; between its two neighbours ``a ≤ b`` at fraction ``t`` the
  value is ``a + (b - a) * t`` when ``t < 0.5`` and ``b - (b - a) * (1 - t)`` otherwise (numpy's
  ``_lerp``, which is exact at both ends). No values: ``None`` / NaN.
- **Maximum** (the oldest queue age): ``None`` / NaN with no member.

Pure numpy/pandas: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from routing_health.metrics.catalog import (
    DUPLICATE_METRICS,
    METRICS,
    Count,
    Maximum,
    Metric,
    Percentile,
    Rate,
    metric,
)

NOT_A_RATE = "metric {name!r} is not a rate"
MISSING_COUNT = "rate {name!r} needs the count {count!r}"


# --- One group ---------------------------------------------------------------------------------


def rate(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` as a float; ``None`` when the denominator is 0."""
    return float(numerator) / float(denominator) if denominator else None


def rate_of(name: str, counts: Mapping[str, Any]) -> float | None:
    """The rate metric ``name`` of one group from its ``counts`` (count name -> number).

    ``counts`` holds at least the numerator and denominator counts of the catalog's formula
    (e.g. ``succeeded`` and ``failed`` for ``assignment_success_rate``).
    """
    formula = _rate_formula(name)
    try:
        denominator = sum(counts[part] for part in formula.denominator)
        return rate(counts[formula.numerator], denominator)
    except KeyError as missing:
        raise KeyError(MISSING_COUNT.format(name=name, count=missing.args[0])) from None


def percentile(values: Sequence[float] | np.ndarray, q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation; ``None`` when empty.

    NaN values are not expected (callers pass the members only).
    """
    (value,) = percentiles(values, (q,))
    return value


def percentiles(values: Sequence[float] | np.ndarray, qs: Sequence[float]) -> list[float | None]:
    """``percentile`` for each of ``qs`` with one sort."""
    array = np.sort(np.asarray(values, dtype=float))
    if not array.size:
        return [None for _ in qs]
    # One group: a plain sort (no group key) and the same interpolation as ``group_percentiles``.
    n, s = np.array([array.size]), np.array([0])
    return [float(_interpolated(array, s, n, q)[0]) for q in qs]


# --- Many groups -------------------------------------------------------------------------------


def rates(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ``numerator / denominator`` as float64; NaN where the denominator is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def group_percentiles(
    group: np.ndarray, values: np.ndarray, mask: np.ndarray, size: int, qs: Sequence[float]
) -> list[np.ndarray]:
    """For each of ``qs``: the quantile of ``values[mask]`` per group number (``0..size-1``),
    linear interpolation exactly as numpy computes it; NaN for a group with no values."""
    g, v = group[mask], values[mask]
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    counts = np.bincount(g, minlength=size)
    starts = np.cumsum(counts) - counts
    present = counts > 0
    results = []
    for q in qs:
        out = np.full(size, np.nan)
        out[present] = _interpolated(v, starts[present], counts[present], q)
        results.append(out)
    return results


def _interpolated(v: np.ndarray, starts: np.ndarray, n: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of each run ``v[starts[i]:starts[i] + n[i]]`` (sorted, ``n > 0``)."""
    virtual = (n - 1) * q
    below = np.floor(virtual).astype(np.int64)
    above = np.minimum(below + 1, n - 1)
    t = virtual - below
    a, b = v[starts + below], v[starts + above]
    # numpy's _lerp: from the lower neighbour below t = 0.5, from the upper one above.
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def group_maximum(group: np.ndarray, values: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """The largest of ``values[mask]`` per group number; NaN for a group with none."""
    out = np.full(size, -np.inf)
    np.maximum.at(out, group[mask], values[mask])
    present = np.bincount(group[mask], minlength=size) > 0
    return np.where(present, out, np.nan)


# --- Counts: which leads each count counts ----------------------------------------------------


def count_members(facts: pd.DataFrame, queue_age_limit_hours: float) -> dict[str, np.ndarray]:
    """For every count of the catalog (``catalog.count_names()``), a boolean per lead of
    ``facts`` (the ``lead_facts`` frame): whether that count counts the lead."""

    def flag(column: str) -> np.ndarray:
        return facts[column].to_numpy(dtype=bool)

    outcome = facts["outcome"].astype("str").to_numpy()
    assigned = facts["rep_assigned_at"].notna().to_numpy()
    touched = facts["first_touch_at"].notna().to_numpy()
    queued = flag("queued")
    queue_age = facts["queue_age_hours"].to_numpy(dtype=float)
    members: dict[str, np.ndarray] = {"leads": np.ones(len(facts), dtype=bool)}
    for name in ("succeeded", "failed", "pending", "triaged"):
        members[name] = outcome == name
    members["assigned"] = assigned
    members["bounced"] = flag("bounced")
    members["accepted"] = flag("accepted")
    members["acceptance_base"] = assigned & ~flag("acceptance_pending")
    members["touched"] = touched
    members["rejected"] = flag("rejected")
    members["queued"] = queued
    # "Over" a limit is strictly greater (spec section 4).
    members["queued_over_limit"] = queued & (queue_age > queue_age_limit_hours)
    for kind in ("assign", "touch"):
        for suffix in ("", "_business"):
            applicable = flag(f"{kind}_sla_applicable{suffix}")
            members[f"{kind}_sla_applicable{suffix}"] = applicable
            members[f"{kind}_sla_met{suffix}"] = applicable & flag(f"{kind}_sla_met{suffix}")
    # Routing-input data quality: the column is there only when [data_quality] lists fields.
    if "input_missing_fields" in facts.columns:
        checked = np.ones(len(facts), dtype=bool)
        missing_fields = facts["input_missing_fields"].astype("string").fillna("")
        missing = (missing_fields != "").to_numpy(dtype=bool)
    else:
        checked = missing = np.zeros(len(facts), dtype=bool)
    members["input_checked"] = checked
    members["input_missing"] = missing
    for side, mask in (("missing", missing), ("complete", checked & ~missing)):
        members[f"input_{side}_failed"] = mask & (outcome == "failed")
        members[f"input_{side}_succeeded"] = mask & (outcome == "succeeded")
    return members


def group_values(
    facts: pd.DataFrame, group: np.ndarray, size: int, queue_age_limit_hours: float
) -> dict[str, np.ndarray]:
    """Every metric of ``catalog.METRICS`` per group number: counts as int64, the rest float64
    with NaN where the spec says null. ``group`` gives each lead's group (``0..size-1``)."""
    members = count_members(facts, queue_age_limit_hours)
    return formula_values(METRICS, facts, group, size, members)


def formula_values(
    rows: Sequence[Metric], facts: pd.DataFrame, group: np.ndarray, size: int,
    members: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """The catalog ``rows`` per group number, each by its formula: ``members`` gives, per count
    name, the leads it counts (a boolean per lead of ``facts``). The one evaluator of the
    catalog's formulas (the routing metrics, the duplicates family, the shadow metrics)."""
    counts = {
        name: np.bincount(group[mask], minlength=size).astype(np.int64)
        for name, mask in members.items()
    }
    out: dict[str, np.ndarray] = {}
    quantiles = _quantiles_by_source(rows, facts, group, size, members)
    for row in rows:
        formula = row.formula
        if isinstance(formula, Count):
            out[row.name] = counts[formula.members]
        elif isinstance(formula, Rate):
            denominator = sum(counts[part] for part in formula.denominator)
            out[row.name] = rates(counts[formula.numerator], denominator)
        elif isinstance(formula, Percentile):
            out[row.name] = quantiles[(formula.source, formula.over, formula.q)]
        elif isinstance(formula, Maximum):
            values = facts[formula.source].to_numpy(dtype=float)
            out[row.name] = group_maximum(group, values, members[formula.over], size)
    return out


DUPLICATE_FLAGS = ("account_matched", "account_conflict", "duplicate_candidate",
                   "duplicate_outreach")
"""The per-lead columns (``metrics.duplicates``) the duplicates family counts."""


def has_duplicate_facts(facts: pd.DataFrame) -> bool:
    """Whether ``facts`` carries the duplicates columns (``metrics.duplicates.attach``)."""
    return all(column in facts.columns for column in DUPLICATE_FLAGS)


def duplicate_group_values(
    facts: pd.DataFrame, group: np.ndarray, size: int
) -> dict[str, np.ndarray]:
    """Every metric of ``catalog.DUPLICATE_METRICS`` per group number (counts int64, rates
    float64 with NaN for an empty denominator)."""
    members = {name: facts[name].to_numpy(dtype=bool) for name in DUPLICATE_FLAGS}
    return formula_values(DUPLICATE_METRICS, facts, group, size, members)


def _quantiles_by_source(
    rows: Sequence[Metric], facts: pd.DataFrame, group: np.ndarray, size: int,
    members: Mapping[str, np.ndarray],
) -> dict[tuple[str, str, float], np.ndarray]:
    """Every percentile of ``rows``, one sort per (source, over) pair."""
    wanted: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        if isinstance(row.formula, Percentile):
            f = row.formula
            wanted.setdefault((f.source, f.over), []).append(f.q)
    result: dict[tuple[str, str, float], np.ndarray] = {}
    for (source, over), qs in wanted.items():
        values = facts[source].to_numpy(dtype=float)
        for q, array in zip(qs, group_percentiles(group, values, members[over], size, qs),
                            strict=True):
            result[(source, over, q)] = array
    return result


def _rate_formula(name: str) -> Rate:
    row: Metric = metric(name)
    if not isinstance(row.formula, Rate):
        raise ValueError(NOT_A_RATE.format(name=name))
    return row.formula
