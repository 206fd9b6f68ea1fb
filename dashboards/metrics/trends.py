"""The Trends page: metrics per day or week, split by region or tier, and changes between periods.

CSV tables: the series and the period-over-period changes (``?format=csv&table=<name>``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from dashboards.filters import Filters
from dashboards.metrics import charts as metric_charts
from dashboards.metrics.data import (
    day_key,
    days_of,
    equal_age_comparisons,
    load_rollups,
    ordered_regions,
    ordered_tiers,
    region_key,
    tier_key,
    week_key,
    weeks_of,
)
from dashboards.metrics.drivers import drivers_context, drivers_csv, keep_drivers_param
from dashboards.metrics.flow_checks import flow_checks
from dashboards.metrics.page import (
    MetricPage,
    _begin,
    _clock,
    _csv_name,
    _label,
    _shown,
    _wants_csv,
    csv_response,
)
from dashboards.metrics.specs import (
    FLOW_CHANGES,
    METRICS,
    TRENDS,
    Change,
    Clock,
    Metrics,
    MetricSpec,
    change,
    shown_on,
)
from dashboards.metrics.targets import metric_target
from routing_health.facts.kill_switch import switch_changes
from routing_health.metrics.catalog import format_metric
from routing_health.models import FlowVersionChange
from routing_health.reports.compare import KM_ESTIMATES, EqualAge
from routing_health.reports.formatting import estimate_text

CHANGE_LIMIT = 5
MAX_AFTER_DAYS = 28  # days after an activation compared with as many days before it
TREND_METRICS: tuple[MetricSpec, ...] = shown_on(TRENDS)
COMPARE_METRICS: tuple[MetricSpec, ...] = shown_on(FLOW_CHANGES)
SPLITS = {"": "All leads", "region": "By region", "tier": "By tier"}
GRAINS = {"day": "Daily", "week": "Weekly"}
Window = tuple[date, date]  # a date range, both ends inclusive


@dataclass(frozen=True)
class Period:
    key: Hashable  # the rollup group key: a date, or an ISO week
    x: str  # the chart's x: ISO date (a week's Monday)
    label: str  # for people
    partial: bool = False  # cut by the filters' range
    incomplete: bool = False  # not over at the metrics' as-of: its leads are still young


@dataclass(frozen=True)
class TrendChart:
    id: str
    title: str
    description: str
    figure: dict[str, Any]
    target_text: str = ""


@dataclass(frozen=True)
class Comparison:
    """Metrics before and after a flow version activation (the activation day left out), the
    days before seen at the same age as the days after (``routing_health.reports.compare``);
    ``reason`` says why they cannot be compared yet (then no change is called)."""

    label: str
    at: datetime
    before_label: str
    after_label: str
    before_leads: int
    after_leads: int
    rows: tuple[tuple[str, str, str, Change | None], ...]  # metric label, before, after, change
    before_as_of: datetime | None = None
    after_incomplete: bool = False
    reason: str = ""


@require_GET
def trends(request: HttpRequest) -> HttpResponse:
    """Daily or weekly series of each metric, optionally split by region or tier, with flow
    version activations drawn on every chart."""
    page = _begin(request, "trends")
    split = request.GET.get("split", "")
    split = split if split in SPLITS else ""
    grain = "week" if request.GET.get("grain") == "week" else "day"
    if split:
        page.params["split"] = split
    if grain == "week":
        page.params["grain"] = grain
    keep_drivers_param(page)
    if page.as_of is None:
        return page.render()
    if _wants_csv(request) and request.GET.get("table") == "drivers":
        return drivers_csv(page)
    filters = page.filters
    clock = _clock(page)
    periods = _periods(filters, grain, page.as_of)
    begin, stop = filters.created_between()
    changes = list(
        FlowVersionChange.objects.filter(changed_at__gte=begin, changed_at__lt=stop).order_by(
            "changed_at", "id"
        )
    )
    windows = _comparison_windows(filters, changes, page.as_of)
    shown = _shown(request, clock)

    def numbers() -> dict[str, Any]:
        rollups = load_rollups(filters, as_of=page.as_of, metrics=shown)
        period_of: Callable[[Any], Hashable] = day_key if grain == "day" else week_key
        split_of: Callable[[Any], Hashable] = (
            region_key if split == "region" else tier_key if split == "tier"
            else (lambda _row: "")
        )
        return {
            "grouped": rollups.grouped(
                lambda row: (period_of(row), split_of(row)), filters.start, filters.end
            ),
            "windows": equal_age_comparisons(filters, page.config, windows, page.as_of),
            "empty": rollups.empty(),
        }

    found = page.numbers("trends", numbers, clock.name, shown is None, split, grain, windows)
    grouped, totals, empty = found["grouped"], found["windows"], found["empty"]
    split_values: list[Any] = [""]
    if split == "region":
        split_values = ordered_regions(s for _, s in grouped)
    elif split == "tier":
        split_values = ordered_tiers((s for _, s in grouped), page.config)
    markers = [metric_charts.Marker(c.changed_at, c.label or c.flow_api_name) for c in changes]
    switches = switch_changes(page.config, begin, stop - timedelta(microseconds=1))
    markers += [metric_charts.Marker(c.changed_at, "Kill switch", "ON" if c.is_on else "OFF")
                for c in switches]
    markers.sort(key=lambda m: m.at)

    if _wants_csv(request):
        if request.GET.get("table") == "changes":
            return _changes_csv(page, _comparisons(page, totals, clock, changes))
        return _series_csv(page, clock, periods, split, split_values, grouped, empty)

    charts = []
    for spec in TREND_METRICS:
        key = spec.key
        metric = clock.key(key)
        series = [
            (
                _label(value) if split else "All leads",
                [grouped.get((p.key, value), empty).get(metric) for p in periods],
            )
            for value in split_values
        ]
        target = None
        if not spec.tier_sla or filters.tier:
            target = metric_target(key, page.config, region=filters.region or None,
                                   tier=filters.tier or None)
        threshold = target.threshold if target is not None and spec.unit != "count" else None
        figure = metric_charts.trend_chart(
            spec,
            [p.x for p in periods],
            series,
            hover_x=[p.label for p in periods],
            step_days=7 if grain == "week" else 1,
            markers=markers,
            zone=filters.zone,
            target=threshold,
            incomplete_from=next((i for i, p in enumerate(periods) if p.incomplete), None),
        )
        label = clock.label(spec)
        charts.append(
            TrendChart(
                f"trend-{key.replace('_', '-')}",
                label,
                f"{GRAINS[grain]} line chart of {label.lower()}"
                + (f", one line per {split}" if split else ""),
                figure,
                target.text if threshold is not None and target is not None else "",
            )
        )
    keys = [clock.key(spec.key) for spec in TREND_METRICS]
    table_rows = [
        (p, [format_metric(key, grouped.get((p.key, ""), empty).get(key)) for key in keys])
        for p in periods
    ] if not split else []
    page.context.update(
        {
            "charts": charts,
            "split": split,
            "grain": grain,
            "split_links": [(label, page.qs(split=value or None), value == split)
                            for value, label in SPLITS.items()],
            "grain_links": [(label, page.qs(grain=None if value == "day" else value),
                             value == grain) for value, label in GRAINS.items()],
            "changes": changes,
            "switches": switches,
            "comparisons": _comparisons(page, totals, clock, changes),
            "flow_checks": flow_checks(page.config, filters, page.as_of),
            "change_safety": page.config.change_safety,
            "table_metrics": [(clock.short(spec), clock.label(spec)) for spec in TREND_METRICS],
            "table_rows": table_rows,
            "csv": {name: page.qs(format="csv", table=name) for name in ("series", "changes")},
        }
    )
    page.context.update(drivers_context(page))
    return page.render()


def _periods(filters: Filters, grain: str, as_of: datetime | None) -> list[Period]:
    """The days or ISO weeks of the range; those not over at ``as_of`` (the metrics' time, in
    the report time zone) are ``incomplete``: drawn and labelled as such, never compared."""
    today = as_of.astimezone(filters.zone).date() if as_of else None

    def incomplete(last_day: date) -> bool:
        return today is not None and last_day >= today

    if grain == "day":
        return [
            Period(day, day.isoformat(),
                   f"{day:%a} {day:%b} {day.day}" + (" (incomplete)" if incomplete(day) else ""),
                   incomplete=incomplete(day))
            for day in days_of(filters.start, filters.end)
        ]
    periods = []
    for week, monday, partial in weeks_of(filters.start, filters.end):
        sunday = monday + timedelta(days=6)
        span = f"{monday:%b} {monday.day}–{sunday:%b} {sunday.day}"
        notes = [word for word, yes in (("partial", partial), ("incomplete", incomplete(sunday)))
                 if yes]
        label = f"{week} ({span}{''.join(', ' + n for n in notes)})"
        periods.append(Period(week, monday.isoformat(), label, partial, incomplete(sunday)))
    return periods


def _flow_windows(
    filters: Filters, changes: Sequence[FlowVersionChange], as_of: datetime
) -> Iterator[tuple[FlowVersionChange, Window, Window]]:
    """The latest flow changes, newest first, with their before / after date ranges: after =
    the days from the one after the activation to the filters' end (at most
    ``MAX_AFTER_DAYS``, not past ``as_of``'s day); before = as many days up to the one before
    the activation. The activation day itself is left out (it mixes both versions)."""
    zone = filters.zone
    today = as_of.astimezone(zone).date()
    for flow_change in list(changes)[-CHANGE_LIMIT:][::-1]:
        day = flow_change.changed_at.astimezone(zone).date()
        after_start = day + timedelta(days=1)
        after_end = max(after_start, min(filters.end, today,
                                         after_start + timedelta(days=MAX_AFTER_DAYS - 1)))
        days = (after_end - after_start).days + 1
        yield flow_change, (day - timedelta(days=days), day - timedelta(days=1)), (
            after_start, after_end)


def _comparison_windows(
    filters: Filters, changes: Sequence[FlowVersionChange], as_of: datetime | None
) -> tuple[tuple[Window, Window], ...]:
    """The before / after date ranges of ``_flow_windows`` (the cohorts to compare)."""
    if as_of is None:
        return ()
    return tuple(
        (before, after) for _change, before, after in _flow_windows(filters, changes, as_of)
    )


def _comparisons(
    page: MetricPage,
    found: dict[tuple[Window, Window], EqualAge],
    clock: Clock,
    changes: Sequence[FlowVersionChange],
) -> list[Comparison]:
    comparisons = []
    for flow_change, before_range, after_range in _flow_windows(
        page.filters, changes, page.as_of
    ):
        compared = found[(before_range, after_range)]
        before, after = compared.earlier, compared.later
        rows = []
        estimates = km_rows(compared)
        for spec in COMPARE_METRICS:
            metric = clock.key(spec.key)
            rows.append(
                (
                    clock.label(spec),
                    format_metric(metric, before.metrics.get(metric)),
                    format_metric(metric, after.metrics.get(metric)),
                    change(after.metrics.get(metric), before.metrics.get(metric), spec)
                    if compared.ready else None,
                )
            )
            if spec.key in estimates:  # the censoring-aware estimate beside the exact one
                rows.append(estimates[spec.key])
        comparisons.append(
            Comparison(
                label=flow_change.label or flow_change.flow_api_name,
                at=flow_change.changed_at,
                before_label=Filters(*before_range).range_label(),
                after_label=Filters(*after_range).range_label(),
                before_leads=before.leads,
                after_leads=after.leads,
                rows=tuple(rows),
                before_as_of=before.as_of,
                after_incomplete=not after.complete,
                reason=compared.reason,
            )
        )
    return comparisons


def km_rows(compared: EqualAge) -> dict[str, tuple[str, str, str, Change | None]]:
    """Kaplan–Meier p50 / p95 of time to assignment and to first touch on both sides, the
    leads still waiting censored: beside the exact percentiles, so a young cohort's p95 is not
    read as an improvement. A quantile not reached yet reads "more than <longest wait>"."""
    rows = {}
    for key in KM_ESTIMATES:
        spec = METRICS[key]
        before, after = compared.earlier.estimate(key), compared.later.estimate(key)
        both = compared.ready and before.reached and after.reached
        rows[key] = (
            f"{spec.metric.label}, Kaplan–Meier",
            estimate_text(key, before),
            estimate_text(key, after),
            change(after.value, before.value, spec) if both else None,
        )
    return rows


def _series_csv(
    page: MetricPage,
    clock: Clock,
    periods: Sequence[Period],
    split: str,
    split_values: Sequence[Any],
    grouped: dict[Hashable, Metrics],
    empty: Metrics,
) -> HttpResponse:
    names = list(empty)
    period_column = "day" if page.params.get("grain") != "week" else "week"
    header = [period_column, *([split] if split else []), *names]
    rows = []
    for p in periods:
        for value in split_values:
            metrics = grouped.get((p.key, value), empty)
            rows.append([str(p.key), *([value] if split else []), *(metrics[n] for n in names)])
    return csv_response(_csv_name(page, "series"), header, rows)


def _changes_csv(page: MetricPage, comparisons: Sequence[Comparison]) -> HttpResponse:
    header = ["flow", "activated_at", "metric", "before", "after", "change", "verdict"]
    rows = [
        [c.label, c.at.isoformat(), label, before, after, ch.text if ch else "",
         ch.verdict if ch else ""]
        for c in comparisons
        for label, before, after, ch in c.rows
    ]
    return csv_response(_csv_name(page, "changes"), header, rows)
