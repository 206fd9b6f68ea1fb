"""The weekly review's data: one ISO week against the week before, every number from the export.

``build_weekly_report(config, week, as_of)`` returns a frozen ``WeeklyReportData``. Every metric
in it is a value of ``reports.export.compute_export`` for the week (Monday to Sunday in
the report time zone) — grouped by region × tier, by region, by tier, by day and by failure
reason, with the total — so the review always equals ``export_metrics --start <Monday> --end
<Sunday> --as-of <as_of>``. Each week's cohort is loaded once (``exports.cohort_facts``) and
aggregated per grouping the way ``compute_export`` does it (``metrics_rows``, ``total_metrics``).

The previous week is judged **as of seven days earlier** (``as_of − 7 d``): both weeks are seen at
the same age, so leads still inside their acceptance or bounce window do not make the newer week
look worse, and the "previous week" column repeats what last week's review said when both run
at the same time of week. The same two cohorts give "what drove the change" (``drivers``): each
headline rate's change split over segments, failure reasons and reps (``reports.drivers``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.facts.duplicates import duplicate_cohort_facts
from routing_health.facts.frames import owner_names
from routing_health.facts.reps import load_rep_states, skips_of
from routing_health.lib.format import float_or_none
from routing_health.metrics import (
    DUPLICATE_NAMES,
    METRIC_NAMES,
    MetricParams,
    metrics_rows,
    total_metrics,
)
from routing_health.metrics.aggregate import SHADOW_NAMES
from routing_health.metrics.fairness import (
    availability_members,
    availability_values,
    pool_indices,
    pool_shares,
    pools_of,
)
from routing_health.metrics.inputs import field_quality
from routing_health.metrics.shadow import has_shadow
from routing_health.metrics.shadow_review import bias_review, compare_outcomes
from routing_health.metrics.survival import Quantile
from routing_health.reports.changes import Change, TargetCheck, changes, target_checks
from routing_health.reports.compare import KM_ESTIMATES, Side, equal_age_as_of, side_of
from routing_health.reports.drivers import MetricDrivers, change_drivers
from routing_health.reports.events import Anomaly, FlowChange, anomalies, flow_changes
from routing_health.reports.export import (
    cohort_facts,
    cohort_frames,
    facts_of_frames,
    with_duplicates,
)
from routing_health.reports.leads import (
    ReasonCount,
    WorstLead,
    rejection_reasons,
    worst_served,
)
from routing_health.reports.weeks import (
    MSG_FUTURE_WEEK,
    Week,
    WeekError,
    is_complete,
    last_complete_week,
    parse_week,
)

PREVIOUS_WEEK_OFFSET = timedelta(days=7)
"""The usual distance between the two weeks' as-of times; across a daylight-saving change it is
an hour more or less (``routing_health.reports.compare.equal_age_as_of``)."""


@dataclass(frozen=True)
class WaitRow:
    """A waiting-time percentile both ways: the spec's exact value over the leads whose wait
    ended, and the Kaplan–Meier estimate with the leads still waiting censored, this week and
    the week before (seen at the same age)."""

    metric: str  # the exact metric, e.g. ``tta_p95_minutes``
    now_exact: float | None
    now_km: Quantile
    before_exact: float | None
    before_km: Quantile


@dataclass(frozen=True)
class ShadowOutcome:
    """One outcome of agreed vs disagreed leads (``metrics.shadow_compare.Comparison``)."""

    outcome: str
    unit: str  # "rate" or "minutes"
    agreed: float | None
    disagreed: float | None
    n_agreed: int
    n_disagreed: int
    difference: float | None
    lower: float | None
    upper: float | None
    verdict: str


@dataclass(frozen=True)
class ShadowBias:
    """A flagged row of the bias review (``metrics.shadow_review.bias_review``)."""

    dimension: str
    scope: str
    rep: str  # the rep's name (its Id when unknown)
    candidate_share: float
    actual_share: float
    shift: float


@dataclass(frozen=True)
class ShadowWeek:
    """The week's shadow comparison: the export's shadow totals, the outcomes with their
    intervals, the overall verdict and the flagged bias rows."""

    totals: Mapping[str, Any]
    outcomes: tuple[ShadowOutcome, ...]
    verdict: str
    flagged: tuple[ShadowBias, ...]
    bias_threshold: float


@dataclass(frozen=True)
class InputQualityRow:
    """Routing-input data quality of one lead source and ``[data_quality]`` field: the share of
    the week's new leads missing (or invalid on) it at creation, the week before's, and the
    failure rates of this week's leads missing it and having it (``None``: nothing to rate)."""

    source: str | None
    field: str
    leads: int
    missing: int
    share: float | None
    previous_share: float | None
    missing_failure_rate: float | None
    complete_failure_rate: float | None


@dataclass(frozen=True)
class FairnessPoolRow:
    """One pool's week (``metrics.fairness.pool_indices`` of the week's leads), judged like the
    ``distribution_imbalance`` rule and the Fairness page (``[fairness]``, ``judge``)."""

    pool: str
    leads: int
    reps: int
    reps_without_leads: int
    max_min_ratio: float | None
    gini: float | None
    p_value: float | None
    flagged: bool


@dataclass(frozen=True)
class FairnessWeek:
    """The week's fairness: the pools with at least ``min_leads`` leads and the export's
    availability counts (``leads_to_inactive_rep`` ...) of the week's cohort."""

    pools: tuple[FairnessPoolRow, ...]
    totals: Mapping[str, int]
    min_leads: int


@dataclass(frozen=True)
class DuplicateCompany:
    """A company worked by several reps in the week (as on the Duplicates page): its e-mail or
    website domain, else its normalised name (``by_name``), its flagged leads and their reps."""

    company: str
    by_name: bool
    leads: int
    reps: int


@dataclass(frozen=True)
class DuplicatesWeek:
    """The export's duplicates totals of the week and its top companies (at most
    ``DUPLICATE_COMPANIES_SHOWN``, most leads first)."""

    totals: Mapping[str, Any]
    companies: tuple[DuplicateCompany, ...]
    company_count: int


DUPLICATE_COMPANIES_SHOWN = 5


@dataclass(frozen=True)
class Period:
    """A reported week and the time its data is judged at."""

    week: str
    start: date
    end: date
    as_of: datetime
    complete: bool


@dataclass(frozen=True)
class SegmentRow:
    """One row of a table: a segment's metrics this week and last, their changes and targets.

    ``keys`` maps the grouping (``region``, ``tier``) to the segment's values (``None``: the leads
    without a value); it is empty for the total. ``current``/``previous`` are the export's metric
    dicts (``METRIC_NAMES``), ``None`` when the segment had no leads that week.
    """

    keys: Mapping[str, str | None]
    current: Mapping[str, Any] | None
    previous: Mapping[str, Any] | None
    changes: Mapping[str, Change]
    targets: tuple[TargetCheck, ...]


@dataclass(frozen=True)
class DayPoint:
    """One local day: ``weekday`` 0 = Monday. Rates ``None`` when nothing to rate."""

    day: date
    weekday: int
    leads: int
    failed: int
    assignment_success_rate: float | None
    tta_p95_minutes: float | None


@dataclass(frozen=True)
class WeeklyReportData:
    """Everything the weekly review shows (see ``docs/reports.md`` for each definition)."""

    period: Period
    previous_period: Period
    timezone: str
    generated_at: datetime
    total: SegmentRow
    regions: tuple[SegmentRow, ...]
    tiers: tuple[SegmentRow, ...]
    segments: tuple[SegmentRow, ...]  # region × tier
    daily: tuple[DayPoint, ...]
    previous_daily: tuple[DayPoint, ...]
    failure_reasons: tuple[ReasonCount, ...]
    rejection_reasons: tuple[ReasonCount, ...]
    anomalies: tuple[Anomaly, ...] | None  # None: alert data unavailable
    flow_changes: tuple[FlowChange, ...]
    worst_leads: tuple[WorstLead, ...]
    tier_sla: Mapping[str, tuple[float, float]]  # tier -> (assign_minutes, touch_minutes)
    tier_clock: Mapping[str, str]  # tier -> "business" | "wall" (the clock its SLA targets use)
    queue_age_limit_hours: float
    waits: tuple[WaitRow, ...] = ()
    # What drove the change of each headline rate (``reports.drivers``); () in older reports.
    drivers: tuple[MetricDrivers, ...] = ()
    # The shadow comparison of the week (issue 17); None without ``[shadow]`` (and in older
    # reports).
    shadow: ShadowWeek | None = None
    # Routing-input data quality per lead source and field (issue 17); () without
    # [data_quality] fields and in older reports.
    input_quality: tuple[InputQualityRow, ...] = ()
    # Fairness and duplicates of the week (issue 17); None in older reports.
    fairness: FairnessWeek | None = None
    duplicates: DuplicatesWeek | None = None

    @property
    def week(self) -> str:
        return self.period.week

    @property
    def top_failure_reason(self) -> ReasonCount | None:
        first = next((r for r in self.failure_reasons if r.count > 0), None)
        return first

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates and times as ISO strings, no NaN."""
        return _jsonable(dataclasses.asdict(self))


def resolve_week(config: RoutingConfig, week: str | None, as_of: datetime) -> Week:
    """The requested week (``None``: the last complete one), rejecting a week not yet begun."""
    tz = ZoneInfo(config.report.timezone)
    chosen = parse_week(week) if week else last_complete_week(as_of, tz)
    if chosen.starts_at(tz) > as_of:
        raise WeekError(
            MSG_FUTURE_WEEK.format(
                week=chosen, start=chosen.start, as_of=as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
            )
        )
    return chosen


def build_weekly_report(
    config: RoutingConfig,
    week: str | None,
    as_of: datetime,
    *,
    generated_at: datetime | None = None,
) -> WeeklyReportData:
    """The weekly review of ``week`` (``"2026-W47"``; ``None``: the last complete ISO week in the
    report time zone) as of ``as_of`` (aware; the previous week as of ``as_of − 7 d``).

    Raises ``WeekError`` for a malformed week or one that starts after ``as_of``.
    """
    as_of = as_of.astimezone(UTC).replace(microsecond=0)
    tz = ZoneInfo(config.report.timezone)
    this_week = resolve_week(config, week, as_of)
    last_week = this_week.previous()
    # Equal age (spec section 8): last week as it stood when it was as old as this week is now.
    previous_as_of = equal_age_as_of(last_week.start, this_week.start, as_of, tz)
    params = resolved_params(config)
    quality = config.data_quality
    frames_now = cohort_frames(params, this_week.start, this_week.end, as_of, (),
                               shadow=config.shadow, data_quality=quality)
    facts_now = facts_of_frames(frames_now, params, this_week.start, this_week.end, as_of, (),
                                shadow=config.shadow)
    facts_before = cohort_facts(params, last_week.start, last_week.end, previous_as_of,
                                data_quality=quality)
    current = _week_exports(facts_now, params)
    previous = _week_exports(facts_before, params)
    window = (this_week.starts_at(tz), this_week.ends_at(tz))
    names = owner_names()
    return WeeklyReportData(
        period=Period(this_week.label, this_week.start, this_week.end, as_of,
                      is_complete(this_week, as_of, tz)),
        previous_period=Period(last_week.label, last_week.start, last_week.end, previous_as_of,
                               is_complete(last_week, previous_as_of, tz)),
        timezone=config.report.timezone,
        generated_at=(generated_at or datetime.now(UTC)).astimezone(UTC),
        total=_row(config, {}, current["total"], previous["total"]),
        regions=_rows(config, ("region",), current, previous),
        tiers=_rows(config, ("tier",), current, previous),
        segments=_rows(config, ("region", "tier"), current, previous),
        daily=_daily(current["day"], this_week),
        previous_daily=_daily(previous["day"], last_week),
        failure_reasons=_failure_reasons(current["failure_reason"], previous["failure_reason"]),
        rejection_reasons=rejection_reasons(facts_now, facts_before),
        anomalies=anomalies(*window, as_of),
        flow_changes=flow_changes(*window, as_of),
        worst_leads=worst_served(facts_now, params, owner_names=names),
        tier_sla={t: (float(s.assign_minutes), float(s.touch_minutes))
                  for t, s in sorted(config.tiers.sla.items())},
        tier_clock={t: s.clock or "wall" for t, s in sorted(config.tiers.sla.items())},
        queue_age_limit_hours=float(config.windows.queue_age_limit_hours),
        waits=_waits(
            side_of(facts_now, params, (this_week.start, this_week.end), as_of),
            side_of(facts_before, params, (last_week.start, last_week.end), previous_as_of),
        ),
        drivers=change_drivers(
            facts_before, facts_now,
            queue_age_limit_hours=float(config.windows.queue_age_limit_hours), names=dict(names),
        ),
        shadow=_shadow_week(config, facts_now, params, names),
        input_quality=input_quality_rows(
            facts_now, facts_before, [f.name for f in quality.fields]),
        fairness=fairness_week(config, facts_now, frames_now.leads, params),
        duplicates=duplicates_week(
            facts_now, duplicate_cohort_facts(config, params, this_week.start, this_week.end,
                                              as_of), params),
    )


def fairness_week(
    config: RoutingConfig, facts: pd.DataFrame, leads: pd.DataFrame, params: MetricParams
) -> FairnessWeek:
    """The week's pools (as the Fairness page forms them, one period: the week) with at least
    ``[fairness] min_leads`` leads, and the export's availability totals."""
    reps = load_rep_states()
    pools = pools_of(config.fairness.pools)
    week = facts.assign(_week="week")
    shares = pool_shares(week, reps, pools=pools, weights=config.fairness.weights,
                         period="_week", skip_regions=skips_of(config))
    rows = []
    for r in pool_indices(shares).to_dict("records"):
        if int(r["leads"]) < config.fairness.min_leads:
            continue
        rows.append(FairnessPoolRow(
            str(r["pool"]), int(r["leads"]), int(r["reps"]), int(r["reps_without_leads"]),
            float_or_none(r["max_min_ratio"]), float_or_none(r["gini"]),
            float_or_none(r["p_value"]),
            bool(config.fairness.judge(r))))
    rows.sort(key=lambda p: (not p.flagged, -p.leads, p.pool))
    members = availability_members(facts, leads, reps, params.closed_statuses)
    (totals,) = availability_values(facts, members, ())
    return FairnessWeek(tuple(rows), dict(totals), int(config.fairness.min_leads))


def duplicates_week(
    facts: pd.DataFrame, matched: pd.DataFrame, params: MetricParams
) -> DuplicatesWeek:
    """The export's duplicates totals of the week's cohort (``with_duplicates``) and the
    companies with duplicate outreach, grouped as the Duplicates page groups them."""
    members = with_duplicates(facts, matched)
    total = total_metrics(members, params)
    flagged = matched[matched["duplicate_outreach"].to_numpy(dtype=bool)]
    domain = flagged["lead_domain"].astype(object)
    name = flagged["company_key"].astype(object)
    group = domain.where(domain.notna(), "name: " + name.where(name.notna(), ""))
    summary = (
        flagged.assign(group=group.to_numpy())
        .groupby("group", sort=False)
        .agg(leads=("lead_id", "size"), reps=("first_rep", "nunique"),
             last=("created_at", "max"))
        .sort_values(["leads", "last"], ascending=[False, False])
    )
    companies = tuple(
        DuplicateCompany(str(key).removeprefix("name: "), str(key).startswith("name: "),
                         int(r.leads), int(r.reps))
        for key, r in summary.head(DUPLICATE_COMPANIES_SHOWN).iterrows()
    )
    return DuplicatesWeek({n: total[n] for n in DUPLICATE_NAMES}, companies, len(summary))


def _shadow_week(
    config: RoutingConfig, facts: pd.DataFrame, params: MetricParams, names: Mapping[str, Any]
) -> ShadowWeek | None:
    if config.shadow is None or not has_shadow(facts):
        return None
    total = total_metrics(facts, params)
    review = compare_outcomes(facts, config.shadow.conversion_days)
    bias = bias_review(facts, config.shadow.bias_threshold)
    flagged = bias[bias["flagged"].to_numpy(dtype=bool)]
    return ShadowWeek(
        totals={name: total[name] for name in SHADOW_NAMES},
        outcomes=tuple(
            ShadowOutcome(c.outcome, c.unit, c.agreed, c.disagreed, c.n_agreed, c.n_disagreed,
                          c.difference, c.lower, c.upper, c.verdict)
            for c in review.comparisons
        ),
        verdict=review.verdict,
        flagged=tuple(
            ShadowBias(r.dimension, str(r.scope), str(names.get(r.rep) or r.rep),
                       float(r.candidate_share), float(r.actual_share), float(r.shift))
            for r in flagged.itertuples()
        ),
        bias_threshold=config.shadow.bias_threshold,
    )


def input_quality_rows(
    facts_now: pd.DataFrame, facts_before: pd.DataFrame, fields: Sequence[str]
) -> tuple[InputQualityRow, ...]:
    """Each lead source × field with a lead missing it this week or last, the largest share
    this week first (``metrics.inputs.field_quality`` over each week's cohort)."""
    if not fields or "input_missing_fields" not in facts_now.columns:
        return ()
    now = field_quality(facts_now, fields, by=("lead_source",))
    before = field_quality(facts_before, fields, by=("lead_source",))
    previous = {(r["lead_source"], r["input_field"]): r for r in before.to_dict("records")}

    def value(v: Any) -> float | None:
        return None if v is None or pd.isna(v) else float(v)

    rows = []
    for r in now.to_dict("records"):
        key = (r["lead_source"], r["input_field"])
        last = previous.get(key)
        if not r["missing"] and not (last and last["missing"]):
            continue
        rows.append(InputQualityRow(
            source=r["lead_source"], field=r["input_field"], leads=int(r["leads"]),
            missing=int(r["missing"]), share=value(r["missing_rate"]),
            previous_share=value(last["missing_rate"]) if last else None,
            missing_failure_rate=value(r["missing_failure_rate"]),
            complete_failure_rate=value(r["complete_failure_rate"]),
        ))
    rows.sort(key=lambda row: (-(row.share or 0.0), row.source or "\uffff", row.field))
    return tuple(rows)


def _waits(now: Side, before: Side) -> tuple[WaitRow, ...]:
    return tuple(
        WaitRow(metric, now.metrics.get(metric), now.estimate(metric),
                before.metrics.get(metric), before.estimate(metric))
        for metric in KM_ESTIMATES
    )


GROUPINGS: tuple[tuple[str, ...], ...] = (
    ("region", "tier"), ("region",), ("tier",), ("day",), ("failure_reason",)
)


def _week_exports(facts: pd.DataFrame, params: MetricParams) -> dict[str, Any]:
    """The export rows of each grouping (keyed by its first key or ``region,tier``) + total,
    computed from the week's cohort as ``compute_export`` computes them."""
    out: dict[str, Any] = {",".join(by): metrics_rows(facts, list(by), params) for by in GROUPINGS}
    out["total"] = total_metrics(facts, params)
    return out


def _metrics_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in METRIC_NAMES}


def _row(
    config: RoutingConfig,
    keys: Mapping[str, str | None],
    current: Mapping[str, Any] | None,
    previous: Mapping[str, Any] | None,
) -> SegmentRow:
    now = _metrics_of(current) if current and current.get("leads") else None
    before = _metrics_of(previous) if previous and previous.get("leads") else None
    return SegmentRow(
        keys=dict(keys),
        current=now,
        previous=before,
        changes=changes(now, before, METRIC_NAMES),
        targets=target_checks(
            config, now, region=keys.get("region"), tier=keys.get("tier"), has_tier="tier" in keys
        ),
    )


def _rows(
    config: RoutingConfig,
    by: tuple[str, ...],
    current: Mapping[str, Any],
    previous: Mapping[str, Any],
) -> tuple[SegmentRow, ...]:
    name = ",".join(by)

    def index(rows: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
        return {tuple(row[k] for k in by): row for row in rows}

    now, before = index(current[name]), index(previous[name])
    keys = sorted({*now, *before}, key=lambda key: [(v is None, v or "") for v in key])
    return tuple(
        _row(config, dict(zip(by, key, strict=True)), now.get(key), before.get(key))
        for key in keys
    )


def _daily(rows: list[dict[str, Any]], week: Week) -> tuple[DayPoint, ...]:
    by_day = {row["day"]: row for row in rows}
    points = []
    for offset in range(7):
        day = week.start + timedelta(days=offset)
        row = by_day.get(day.isoformat(), {})
        points.append(
            DayPoint(
                day=day,
                weekday=offset,
                leads=int(row.get("leads") or 0),
                failed=int(row.get("failed") or 0),
                assignment_success_rate=row.get("assignment_success_rate"),
                tta_p95_minutes=row.get("tta_p95_minutes"),
            )
        )
    return tuple(points)


def _failure_reasons(
    current: list[dict[str, Any]], previous: list[dict[str, Any]]
) -> tuple[ReasonCount, ...]:
    """Failed leads per failure reason (the export's ``failure_reason`` groups), most first."""
    now = {r["failure_reason"]: int(r["failed"]) for r in current if r["failure_reason"]}
    before = {r["failure_reason"]: int(r["failed"]) for r in previous if r["failure_reason"]}
    rows = [ReasonCount(k, now.get(k, 0), before.get(k, 0)) for k in {*now, *before}]
    return tuple(sorted(rows, key=lambda r: (-r.count, -r.previous, r.reason or "")))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
