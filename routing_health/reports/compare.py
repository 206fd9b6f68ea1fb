"""Two periods compared at equal age (spec section 8, "Comparisons are honest").

A lead created an hour ago has had no time to wait long, be accepted or be rejected, so a young
period always "looks better" than an old one. Every comparison the product makes — the
Overview against the previous period, Trends before and after a flow change, the weekly review
against the week before — therefore sees both periods **at the same age**:

- the later period is evaluated as of T (now, or the report's ``as_of``);
- the earlier one as of T − Δ, where Δ is the time between the two periods' starts (their
  local midnights in the report time zone).

So the lead created k hours into the earlier period is seen k hours after its period began plus
exactly as long as its counterpart in the later period has had: both are observed the same
number of hours after creation. Leads of the earlier period created after T − Δ are left out,
as their counterparts do not exist yet. The numbers of the earlier side are exactly what
``export_metrics --start … --end … --as-of (T − Δ)`` prints for it.

A comparison needs ``MIN_COMPARE_LEADS`` leads on each side; otherwise it says it cannot be made
yet and nothing is called better or worse. Beside the exact percentiles, each side carries the
Kaplan–Meier estimates of time to assignment and to first touch (``metrics.survival``), in which
the leads still waiting at that side's as-of count as censored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from routing_health.facts.frames import load_frames, local_days_utc
from routing_health.metrics import cohort, lead_facts_of, total_metrics
from routing_health.metrics.params import MetricParams
from routing_health.metrics.survival import WAITS, Quantile, waiting_quantiles
from routing_health.reports.export import cohort_facts

MIN_COMPARE_LEADS = 10
"""Leads each side needs before two periods are compared (fewer: "not enough leads yet")."""

KM_QUANTILES = (0.5, 0.95)
KM_ESTIMATES: Mapping[str, tuple[str, float]] = {
    "tta_p50_minutes": ("tta_minutes", 0.5),
    "tta_p95_minutes": ("tta_minutes", 0.95),
    "first_touch_p50_minutes": ("first_touch_minutes", 0.5),
    "first_touch_p95_minutes": ("first_touch_minutes", 0.95),
}
"""Each exact percentile metric shown with a Kaplan–Meier twin: its wait and quantile."""
NOT_ENOUGH = "not enough leads yet ({later} now, {earlier} then; a comparison needs {need} each)"

Window = tuple[date, date]  # local days, both ends inclusive


@dataclass(frozen=True)
class Side:
    """One period of a comparison: its days, the instant it is seen as of, the metrics of its
    cohort then (``total_metrics`` names), and the Kaplan–Meier p50/p95 of each wait."""

    start: date
    end: date
    as_of: datetime
    complete: bool  # every day of it had ended by ``as_of``
    metrics: Mapping[str, Any]
    waits: Mapping[str, tuple[Quantile, ...]] = field(default_factory=dict)

    @property
    def leads(self) -> int:
        return int(self.metrics.get("leads") or 0)

    def estimate(self, metric: str) -> Quantile:
        """The Kaplan–Meier twin of percentile ``metric`` (a ``KM_ESTIMATES`` key)."""
        column, q = KM_ESTIMATES[metric]
        return self.waits[column][KM_QUANTILES.index(q)]


@dataclass(frozen=True)
class EqualAge:
    """The later period as of T and the earlier as of T − ``shift``; ``ready`` False (with
    ``reason``) when they cannot be compared yet."""

    earlier: Side
    later: Side
    shift: timedelta
    ready: bool
    reason: str = ""


def equal_age_as_of(earlier_start: date, later_start: date, as_of: datetime, zone: ZoneInfo
                    ) -> datetime:
    """T − Δ: ``as_of`` moved back by the time between the two periods' local midnights."""
    return as_of - period_shift(earlier_start, later_start, zone)


def period_shift(earlier_start: date, later_start: date, zone: ZoneInfo) -> timedelta:
    earlier_midnight, _ = local_days_utc(earlier_start, earlier_start, zone)
    later_midnight, _ = local_days_utc(later_start, later_start, zone)
    return later_midnight - earlier_midnight


def segment_of(facts: pd.DataFrame, segment: Mapping[str, str]) -> pd.DataFrame:
    """The leads of ``facts`` whose columns equal ``segment`` (e.g. ``{"region": "EMEA"}``;
    a column missing from ``facts`` matches nothing)."""
    keep = pd.Series(True, index=facts.index)
    for column, value in segment.items():
        if not value:
            continue
        if column not in facts.columns:
            return facts.iloc[0:0]
        keep &= facts[column].astype("object").eq(value).fillna(False).astype(bool)
    return facts[keep.to_numpy(dtype=bool)]


def side_of(facts: pd.DataFrame, params: MetricParams, window: Window, as_of: datetime) -> Side:
    """A ``Side`` from the cohort facts of ``window`` as of ``as_of``."""
    zone = ZoneInfo(params.report_timezone)
    _, window_end = local_days_utc(window[0], window[1], zone)
    waits = {column: waiting_quantiles(facts, column, pd.Timestamp(as_of), KM_QUANTILES)
             for column in WAITS}
    return Side(window[0], window[1], as_of, window_end <= as_of,
                total_metrics(facts, params), waits)


def compare(earlier: Side, later: Side, *, minimum: int = MIN_COMPARE_LEADS) -> EqualAge:
    """Wrap two sides already evaluated at equal age, saying whether they can be compared."""
    shift = later.as_of - earlier.as_of
    if later.leads < minimum or earlier.leads < minimum:
        reason = NOT_ENOUGH.format(later=later.leads, earlier=earlier.leads, need=minimum)
        return EqualAge(earlier, later, shift, False, reason)
    return EqualAge(earlier, later, shift, True)


def compare_at_equal_age(
    params: MetricParams,
    earlier: Window,
    later: Window,
    as_of: datetime,
    segment: Mapping[str, str] | None = None,
    *,
    extra: tuple[str, ...] = (),
    minimum: int = MIN_COMPARE_LEADS,
) -> EqualAge:
    """Load both cohorts and compare them, the earlier as of T − Δ, in ``segment``."""
    return compare_many(params, [(earlier, later)], as_of, segment, extra=extra,
                        minimum=minimum)[0]


def compare_many(
    params: MetricParams,
    pairs: Sequence[tuple[Window, Window]],
    as_of: datetime,
    segment: Mapping[str, str] | None = None,
    *,
    extra: tuple[str, ...] = (),
    minimum: int = MIN_COMPARE_LEADS,
) -> list[EqualAge]:
    """``compare_at_equal_age`` for each (earlier, later) pair, from one load of the raw rows
    of every day they span (the engine applies each side's as-of itself: only leads created and
    history, activities and status changes at or before it count)."""
    if not pairs:
        return []
    as_of = as_of.astimezone(UTC)
    zone = ZoneInfo(params.report_timezone)
    first = min(window[0] for pair in pairs for window in pair)
    last = max(window[1] for pair in pairs for window in pair)
    created_from, created_to = local_days_utc(first, last, zone)
    frames = load_frames(created_from=created_from, created_to=created_to, as_of=as_of,
                         extra=extra)
    found = []
    for earlier, later in pairs:
        sides = []
        for window, when in ((earlier, earlier_as_of(params, earlier, later, as_of)),
                             (later, as_of)):
            facts = cohort(lead_facts_of(frames, params, when), window[0], window[1])
            sides.append(side_of(segment_of(facts, segment or {}), params, window, when))
        found.append(compare(sides[0], sides[1], minimum=minimum))
    return found


def earlier_as_of(params: MetricParams, earlier: Window, later: Window, as_of: datetime
                  ) -> datetime:
    """T − Δ for ``earlier`` against ``later`` seen as of ``as_of``."""
    return equal_age_as_of(earlier[0], later[0], as_of.astimezone(UTC),
                           ZoneInfo(params.report_timezone))


def load_side(
    params: MetricParams,
    window: Window,
    as_of: datetime,
    segment: Mapping[str, str] | None = None,
    *,
    extra: tuple[str, ...] = (),
) -> Side:
    """The ``Side`` of ``window``'s cohort in ``segment`` as of ``as_of`` (raw rows, the
    export's loader)."""
    facts = segment_of(cohort_facts(params, window[0], window[1], as_of, extra), segment or {})
    return side_of(facts, params, window, as_of)
