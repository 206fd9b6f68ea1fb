"""What drove a change: a headline rate's change between two cohorts, split exactly and
additively over groups (spec section 10, "What drove a change"; ``docs/metrics.md``).

Inputs are two ``lead_facts`` frames (the earlier cohort already evaluated at equal age, as of
its own ``as_of``) and a metric of the catalog. Two splits, both exact — the contributions add up
to the total change, ``R1 − R0``, up to float rounding:

- ``change_by_group`` (segments, reps): for a rate ``R = Σ n_g / Σ d_g`` with each group's share
  of the denominator ``w_g = d_g / D`` and rate ``r_g = n_g / d_g``,
  ``ΔR = Σ_g [(w1_g − w0_g)·(r̄_g − R̄) + (r1_g − r0_g)·w̄_g]`` with midpoint weights
  ``w̄ = (w0 + w1) / 2``, ``r̄ = (r0 + r1) / 2`` and ``R̄ = (R0 + R1) / 2``. The first term is the
  group's **mix** (it grew or shrank, counted against the average rate: a bigger share of a
  worse-than-average group pulls the total down), the second its **rate** (it got better or
  worse). ``Σ (w1_g − w0_g) = 0``, so the ``R̄`` changes no sum: the split is exact. A group
  present in one period only takes that period's rate for the other, so it contributes its mix
  term alone. A count metric splits into its groups' differences.
- ``change_by_share`` (failure reasons, segment × reason): ``ΔR = Σ_g Δ(n_g / D)`` — each group's
  share of the denominator; for assignment success it is taken over the failed leads,
  ``ΔR = −Σ_reason Δ(failed_reason / (succeeded + failed))``.

An empty total denominator in either period gives ``None``: the change cannot be compared.
Percentiles and maxima are not additive and are not decomposed (``NOT_ADDITIVE``).

Pure numpy/pandas: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from routing_health.metrics.catalog import Count, Rate, metric
from routing_health.metrics.definitions import count_members

NOT_ADDITIVE = "metric {name!r} is not a rate or a count: only those are decomposed"
NO_SHARE_SPLIT = "metric {name!r} is not a rate: a share split needs one"

# A rate whose numerator is its denominator minus one count: its change splits over the leads
# of that count (the failed leads and their failure reasons), with the sign turned.
COMPLEMENTS: Mapping[str, str] = {"assignment_success_rate": "failed"}

Key = tuple[str | None, ...]
_NULL = "\x00null"  # the group of an empty value, kept through groupby


@dataclass(frozen=True)
class Contribution:
    """One group's part of the change (rates 0..1, so ``0.049`` = 4.9 points).

    ``key`` holds the group's values in the order of ``by`` (``None``: leads without a value).
    ``before``/``after`` are the group's own values (its rate, its count; for a share split its
    share of the denominator), ``None`` when the group had nothing to rate in that period;
    ``base_before``/``base_after`` the leads the value is over. ``mix`` and ``within`` are the
    two terms of ``change_by_group`` (``None`` for a count or a share split).
    """

    key: Key
    before: float | None
    after: float | None
    base_before: int
    base_after: int
    contribution: float
    mix: float | None = None
    within: float | None = None


@dataclass(frozen=True)
class Decomposition:
    """``after − before`` of ``metric`` split over the groups of ``by``, largest part first."""

    metric: str
    by: tuple[str, ...]
    before: float
    after: float
    contributions: tuple[Contribution, ...]
    split: str  # "group" (mix and rate) or "share"

    @property
    def change(self) -> float:
        return self.after - self.before


def change_by_group(
    before: pd.DataFrame,
    after: pd.DataFrame,
    name: str,
    by: Sequence[str],
    *,
    queue_age_limit_hours: float = 0.0,
) -> Decomposition | None:
    """The change of rate or count ``name`` from cohort ``before`` to ``after`` split over the
    groups of ``by`` into mix and rate terms (module docstring). ``None``: an empty total
    denominator in either period (no comparison). ``ValueError`` for a percentile or maximum."""
    formula = metric(name).formula
    if isinstance(formula, Count):
        return _count_change(before, after, name, formula.members, tuple(by),
                             queue_age_limit_hours)
    if not isinstance(formula, Rate):
        raise ValueError(NOT_ADDITIVE.format(name=name))
    parts = {"n": formula.numerator, "d": formula.denominator}
    table = _both(before, after, tuple(by), parts, queue_age_limit_hours)
    d0_total, d1_total = table["d0"].sum(), table["d1"].sum()
    if not d0_total or not d1_total:
        return None
    table = table[(table["d0"] > 0) | (table["d1"] > 0)]
    d0, d1 = table["d0"].to_numpy(float), table["d1"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r0 = np.where(d0 > 0, table["n0"].to_numpy(float) / np.maximum(d0, 1), np.nan)
        r1 = np.where(d1 > 0, table["n1"].to_numpy(float) / np.maximum(d1, 1), np.nan)
    # A group absent from one period takes the other period's rate: its rate term is 0.
    r0_used, r1_used = np.where(d0 > 0, r0, r1), np.where(d1 > 0, r1, r0)
    w0, w1 = d0 / d0_total, d1 / d1_total
    total0, total1 = table["n0"].sum() / d0_total, table["n1"].sum() / d1_total
    # The mix term is measured from the overall midpoint rate: the shares of each period sum to
    # 1, so Σ Δw · R̄ = 0 and the split stays exact, while a group whose rate did not move and
    # is at the average contributes nothing just because its volume moved.
    mix = (w1 - w0) * ((r0_used + r1_used) / 2.0 - (total0 + total1) / 2.0)
    within = (r1_used - r0_used) * (w0 + w1) / 2.0
    rows = [
        Contribution(key, _value(a), _value(b), int(x), int(y), float(m + w), float(m), float(w))
        for key, a, b, x, y, m, w in zip(
            _keys(table, by), r0, r1, d0, d1, mix, within, strict=True
        )
    ]
    return _decomposition(name, tuple(by), total0, total1, rows, "group")


def change_by_share(
    before: pd.DataFrame,
    after: pd.DataFrame,
    name: str,
    by: Sequence[str],
    *,
    queue_age_limit_hours: float = 0.0,
) -> Decomposition | None:
    """The change of rate ``name`` split over the groups of ``by`` by each group's share of the
    denominator: ``Δ(n_g / D)``, or ``−Δ(c_g / D)`` over the leads of the complement count
    ``COMPLEMENTS[name]`` (assignment success: the failed leads). Only groups with such leads in
    either period appear. ``None``: an empty total denominator in either period."""
    formula = metric(name).formula
    if not isinstance(formula, Rate):
        raise ValueError(NO_SHARE_SPLIT.format(name=name))
    complement = COMPLEMENTS.get(name)
    parts = {"n": complement or formula.numerator, "d": formula.denominator}
    table = _both(before, after, tuple(by), parts, queue_age_limit_hours)
    d0_total, d1_total = table["d0"].sum(), table["d1"].sum()
    if not d0_total or not d1_total:
        return None
    n0, n1 = table["n0"].sum(), table["n1"].sum()
    sign = -1.0 if complement else 1.0
    table = table[(table["n0"] > 0) | (table["n1"] > 0)]
    s0 = table["n0"].to_numpy(float) / d0_total
    s1 = table["n1"].to_numpy(float) / d1_total
    rows = [
        Contribution(key, float(a), float(b), int(x), int(y), float(sign * (b - a)))
        for key, a, b, x, y in zip(
            _keys(table, by), s0, s1, table["n0"], table["n1"], strict=True
        )
    ]
    if complement:
        r0, r1 = 1.0 - n0 / d0_total, 1.0 - n1 / d1_total
    else:
        r0, r1 = n0 / d0_total, n1 / d1_total
    return _decomposition(name, tuple(by), float(r0), float(r1), rows, "share")


def _count_change(
    before: pd.DataFrame, after: pd.DataFrame, name: str, members: str, by: tuple[str, ...],
    queue_age_limit_hours: float,
) -> Decomposition:
    table = _both(before, after, by, {"n": members}, queue_age_limit_hours)
    table = table[(table["n0"] > 0) | (table["n1"] > 0)]
    rows = [
        Contribution(key, float(a), float(b), int(a), int(b), float(b - a))
        for key, a, b in zip(_keys(table, by), table["n0"], table["n1"], strict=True)
    ]
    return _decomposition(name, by, float(table["n0"].sum()), float(table["n1"].sum()), rows,
                          "group")


def _decomposition(
    name: str, by: tuple[str, ...], r0: float, r1: float, rows: list[Contribution], split: str
) -> Decomposition:
    rows.sort(key=lambda c: (-abs(c.contribution), [(v is None, v or "") for v in c.key]))
    return Decomposition(name, by, float(r0), float(r1), tuple(rows), split)


def _both(
    before: pd.DataFrame,
    after: pd.DataFrame,
    by: tuple[str, ...],
    parts: Mapping[str, str | tuple[str, ...]],
    queue_age_limit_hours: float,
) -> pd.DataFrame:
    """Per group of ``by``: each part's count in the earlier (``<part>0``) and later
    (``<part>1``) cohort, 0 where the group has none; key columns first."""
    counted = [
        _counts(frame, by, parts, queue_age_limit_hours).add_suffix(str(i))
        for i, frame in enumerate((before, after))
    ]
    table = counted[0].join(counted[1], how="outer").fillna(0).astype(np.int64)
    return table.reset_index()


def _counts(
    facts: pd.DataFrame,
    by: tuple[str, ...],
    parts: Mapping[str, str | tuple[str, ...]],
    queue_age_limit_hours: float,
) -> pd.DataFrame:
    members = count_members(facts, queue_age_limit_hours)
    columns: dict[str, object] = {}
    for key in by:
        values = facts[key].astype(object)
        columns[key] = values.where(values.notna(), _NULL).astype(str).to_numpy()
    for part, names in parts.items():
        names = (names,) if isinstance(names, str) else names
        columns[part] = sum(members[n].astype(np.int64) for n in names)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(facts)))
    if not by:
        frame["_all"] = ""
    return frame.groupby(list(by) or ["_all"], sort=False).sum()


def _keys(table: pd.DataFrame, by: Sequence[str]) -> list[Key]:
    if not by:
        return [() for _ in range(len(table))]
    columns = [table[k].to_numpy(dtype=object) for k in by]
    return [tuple(None if v == _NULL else str(v) for v in row) for row in zip(*columns,
                                                                               strict=True)]


def _value(x: float) -> float | None:
    return None if np.isnan(x) else float(x)
