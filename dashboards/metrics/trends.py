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
    load_rollups,
    ordered_regions,
    ordered_tiers,
    region_key,
    tier_key,
    week_key,
    weeks_of,
)
from dashboards.metrics.drivers import drivers_context, drivers_csv, keep_drivers_param
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
    TRENDS,
    Change,
    Clock,
    Metrics,
    MetricSpec,
    change,
    shown_on,
)
from dashboards.metrics.targets import metric_target
from routing_health.metrics.catalog import format_metric
from routing_health.models import FlowVersionChange

CHANGE_LIMIT = 5
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
    partial: bool = False


@dataclass(frozen=True)
class TrendChart:
    id: str
    title: str
    description: str
    figure: dict[str, Any]
    target_text: str = ""


@dataclass(frozen=True)
class Comparison:
    """Metrics before and after a flow version activation (the activation day left out)."""

    label: str
    at: datetime
    before_label: str
    after_label: str
    before_leads: int
    after_leads: int
    rows: tuple[tuple[str, str, str, Change | None], ...]  # metric label, before, after, change


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
    periods = _periods(filters, grain)
    begin, stop = filters.created_between()
    changes = list(
        FlowVersionChange.objects.filter(changed_at__gte=begin, changed_at__lt=stop).order_by(
            "changed_at", "id"
        )
    )
    windows = _comparison_windows(filters, changes)
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
            "windows": {w: rollups.total(*w) for window in windows for w in window},
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
            "comparisons": _comparisons(page, totals, clock, changes),
            "table_metrics": [(clock.short(spec), clock.label(spec)) for spec in TREND_METRICS],
            "table_rows": table_rows,
            "csv": {name: page.qs(format="csv", table=name) for name in ("series", "changes")},
        }
    )
    page.context.update(drivers_context(page))
    return page.render()


def _periods(filters: Filters, grain: str) -> list[Period]:
    if grain == "day":
        return [
            Period(day, day.isoformat(), f"{day:%a} {day:%b} {day.day}")
            for day in days_of(filters.start, filters.end)
        ]
    periods = []
    for week, monday, partial in weeks_of(filters.start, filters.end):
        sunday = monday + timedelta(days=6)
        span = f"{monday:%b} {monday.day}–{sunday:%b} {sunday.day}"
        label = f"{week} ({span}{', partial' if partial else ''})"
        periods.append(Period(week, monday.isoformat(), label, partial))
    return periods


def _flow_windows(
    filters: Filters, changes: Sequence[FlowVersionChange]
) -> Iterator[tuple[FlowVersionChange, Window, Window]]:
    """The latest flow changes, newest first, with their before / after date ranges (the
    activation day left out): those with days on both sides inside the filters' range."""
    zone = filters.zone
    for flow_change in list(changes)[-CHANGE_LIMIT:][::-1]:
        day = flow_change.changed_at.astimezone(zone).date()
        before_end, after_start = day - timedelta(days=1), day + timedelta(days=1)
        if before_end < filters.start or after_start > filters.end:
            continue
        yield flow_change, (filters.start, before_end), (after_start, filters.end)


def _comparison_windows(
    filters: Filters, changes: Sequence[FlowVersionChange]
) -> tuple[tuple[Window, Window], ...]:
    """The before / after date ranges of ``_flow_windows`` (the rollups to merge)."""
    return tuple((before, after) for _change, before, after in _flow_windows(filters, changes))


def _comparisons(
    page: MetricPage,
    totals: dict[Window, Metrics],
    clock: Clock,
    changes: Sequence[FlowVersionChange],
) -> list[Comparison]:
    found = []
    for flow_change, before_range, after_range in _flow_windows(page.filters, changes):
        before, after = totals[before_range], totals[after_range]
        rows = []
        for spec in COMPARE_METRICS:
            metric = clock.key(spec.key)
            rows.append(
                (
                    clock.label(spec),
                    format_metric(metric, before.get(metric)),
                    format_metric(metric, after.get(metric)),
                    change(after.get(metric), before.get(metric), spec),
                )
            )
        found.append(
            Comparison(
                label=flow_change.label or flow_change.flow_api_name,
                at=flow_change.changed_at,
                before_label=Filters(*before_range).range_label(),
                after_label=Filters(*after_range).range_label(),
                before_leads=before["leads"],
                after_leads=after["leads"],
                rows=tuple(rows),
            )
        )
    return found


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
