"""The metric pages: Overview, Trends and Segments (spec section 8), from stored rollups only.

Each page costs a handful of queries whatever the number of leads: the metrics' as-of time, the
rollups of the range (one query; see ``dashboards.metrics.data``), the filter suggestions (from
the rollups), plus the page's own: firing incidents (Overview) or flow version changes (Trends).
Every table exports CSV at the same URL with ``?format=csv&table=<name>``.

Page parameters besides the filters: ``clock=business`` (business-hours SLA clocks, offered when
the rollups carry them), and on Trends ``split=region|tier`` and ``grain=week``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboards.csv_export import csv_cell
from dashboards.filters import Filters
from dashboards.leads.queries import has_leads
from dashboards.metrics import charts as metric_charts
from dashboards.metrics.data import (
    METRICS,
    SECTIONS,
    Assessment,
    Change,
    Clock,
    IncidentLine,
    Metrics,
    MetricSpec,
    assess,
    change,
    clock_metrics,
    day_key,
    days_of,
    detail,
    format_value,
    incident_lines,
    load_rollups,
    merge,
    metric_target,
    ordered_regions,
    ordered_tiers,
    parse_clock,
    previous_period,
    region_key,
    rollup_suggestions,
    segment_key,
    tier_key,
    week_key,
    weeks_of,
)
from dashboards.navigation import PAGES_BY_NAME
from dashboards.rendering import PageState, page_state, render_page
from dashboards.rollup_cache import cached
from routing_health.alerts.selectors import firing_incidents
from routing_health.config import RoutingConfig
from routing_health.models import FlowVersionChange, MetricsState
from routing_health.rollups.selectors import metrics_state

BLANK = "(none)"
INCIDENT_LIMIT = 8
CHANGE_LIMIT = 5
TREND_METRICS = (
    "leads",
    "assignment_success_rate",
    "tta_p50_minutes",
    "tta_p95_minutes",
    "assign_sla_met_rate",
    "first_touch_p50_minutes",
    "first_touch_p95_minutes",
    "touch_sla_met_rate",
    "acceptance_rate",
    "bounce_rate",
    "rejection_rate",
    "queued_over_limit",
)
HEATMAP_METRICS = (
    "assignment_success_rate",
    "tta_p95_minutes",
    "assign_sla_met_rate",
    "first_touch_p95_minutes",
    "touch_sla_met_rate",
    "acceptance_rate",
    "bounce_rate",
    "rejection_rate",
    "queued_over_limit",
    "leads",
)
COMPARE_METRICS = (
    "assignment_success_rate",
    "tta_p95_minutes",
    "assign_sla_met_rate",
    "touch_sla_met_rate",
    "acceptance_rate",
    "rejection_rate",
)
# The Overview's region × tier table: leads, then these two, each against its target.
SEGMENT_METRICS = ("assignment_success_rate", "tta_p95_minutes")
SPLITS = {"": "All leads", "region": "By region", "tier": "By tier"}
GRAINS = {"day": "Daily", "week": "Weekly"}
Window = tuple[date, date]  # a date range, both ends inclusive


# --- Shared ------------------------------------------------------------------------------------


@dataclass
class MetricPage:
    """What every metric page starts from: filters, configuration, the metrics' as-of time."""

    request: HttpRequest
    name: str
    state: PageState
    config: RoutingConfig
    metrics_state: MetricsState | None
    params: dict[str, str] = field(default_factory=dict)  # page parameters links keep
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of(self) -> datetime | None:
        return self.metrics_state.as_of if self.metrics_state else None

    def numbers(self, part: str, compute: Callable[[], Any], *key: object) -> Any:
        """``compute()`` — merged rollup numbers — cached until the next ``compute_metrics``
        (``rollup_cache``)."""
        return cached(self.metrics_state, self.filters, (self.name, part, *key), compute)

    @property
    def filters(self) -> Filters:
        return self.state.filters

    def qs(self, **overrides: object) -> str:
        """A query string keeping the filters and the page parameters, with ``overrides``."""
        return self.filters.querystring(**{**self.params, **overrides})

    def url(self, name: str, **overrides: object) -> str:
        """Another page, with the filters (and ``overrides``), without this page's params."""
        return reverse(name) + self.filters.querystring(**overrides)

    def render(self) -> HttpResponse:
        return render_page(
            self.request, f"dashboards/{self.name}.html", self.state, page=self.name,
            context=self.context,
        )

    def set_clock(self, clock: Clock) -> None:
        if clock.is_business:
            self.params["clock"] = "business"
        self.context["clock"] = clock
        self.context["clock_links"] = {
            "wall": self.qs(clock=None),
            "business": self.qs(clock="business"),
        }


def _begin(request: HttpRequest, name: str) -> MetricPage:
    state = page_state(request)
    page = MetricPage(
        request, name, state, state.report.config or RoutingConfig(),
        metrics_state(),
    )
    page.context.update(
        {
            "has_metrics": page.as_of is not None,
            # Before the first compute_metrics: "no data yet" or "will show" (leads exist).
            "has_data": page.as_of is not None or has_leads(),
            "metrics_as_of": page.as_of,
            "suggestions": page.numbers(
                "suggestions",
                lambda: rollup_suggestions(state.filters, state.report.tier_names()),
                tuple(state.report.tier_names()),
            ),
        }
    )
    return page


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _clock(page: MetricPage) -> Clock:
    """The clock asked for, when the rollups have it (the merge of nothing lists the names)."""
    clock = parse_clock(page.request.GET.get("clock"), merge((), page.as_of))
    page.set_clock(clock)
    return clock


def _shown(request: HttpRequest, clock: Clock) -> set[str] | None:
    """The metrics whose values a page must load: those of its clock; all for an export."""
    return None if _wants_csv(request) else clock_metrics(clock)


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """A CSV download; text cells are protected against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else v if isinstance(v, int | float) else csv_cell(v) for v in row]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_name(page: MetricPage, table: str) -> str:
    f = page.filters
    return f"{page.name}_{table}_{f.start.isoformat()}_{f.end.isoformat()}.csv"


def _label(value: str | None) -> str:
    return BLANK if value is None else value


def _segment_link(
    page: MetricPage, name: str, region: str | None, tier: str | None, **extra: str
) -> str:
    overrides: dict[str, object] = {}
    if region is not None:
        overrides["region"] = region
    if tier is not None:
        overrides["tier"] = tier
    return page.url(name, **overrides, **extra)


# --- Overview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    spec: MetricSpec
    key: str  # the metric name read (its business twin on the business clock)
    label: str
    value: float | None
    value_text: str
    href: str
    assessment: Assessment
    change: Change | None
    previous_text: str
    spark: metric_charts.Sparkline | None
    detail: str

    @property
    def show_status(self) -> bool:
        return bool(self.assessment.target_text) or self.value is None


@dataclass(frozen=True)
class Section:
    title: str
    href: str
    page_label: str
    tiles: list[Tile]


def _page_label(name: str) -> str:
    return PAGES_BY_NAME[name].label


@dataclass(frozen=True)
class Cell:
    text: str
    level: str
    label: str
    href: str = ""


@dataclass(frozen=True)
class SegmentRow:
    region: str
    cells: tuple[tuple[Cell, Cell, Cell], ...]  # per tier: leads, success, TTA p95


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Headline metrics against targets, what is broken now, and region × tier at a glance."""
    page = _begin(request, "overview")
    if page.as_of is None:
        return page.render()
    filters = page.filters
    clock = _clock(page)
    prev_start, prev_end = previous_period(filters)
    shown = _shown(request, clock)

    def numbers() -> dict[str, Any]:
        rollups = load_rollups(filters, as_of=page.as_of, start=prev_start, metrics=shown)
        segments = rollups.only({clock.key(key) for key in SEGMENT_METRICS})
        return {
            "current": rollups.total(filters.start, filters.end),
            "previous": rollups.total(prev_start, prev_end),
            "by_day": rollups.grouped(day_key, filters.start, filters.end),
            "by_tier": rollups.grouped(tier_key, filters.start, filters.end),
            "by_segment": segments.grouped(segment_key, filters.start, filters.end),
            "empty": rollups.empty(),
        }

    found = page.numbers("overview", numbers, clock.name, shown is None)
    if _wants_csv(request):
        table = request.GET.get("table", "headline")
        if table == "segments":
            return _overview_segments_csv(page, clock, found["by_segment"])
        if table == "incidents":
            return _incidents_csv(page, _incidents(filters))
        tiles = [tile for section in _sections(page, clock, found) for tile in section.tiles]
        return _headline_csv(page, tiles, found["previous"])

    incidents = _incidents(filters)
    regions, tiers = _segment_axes(page, found["by_segment"])
    prev_label = Filters(start=prev_start, end=prev_end).range_label()
    page.context.update(
        {
            "sections": _sections(page, clock, found),
            "current": found["current"],
            "incidents": incidents[:INCIDENT_LIMIT],
            "incidents_more": max(0, len(incidents) - INCIDENT_LIMIT),
            "tiers": [_label(t) for t in tiers],
            "segment_rows": _segment_rows(page, clock, found["by_segment"], regions, tiers),
            "previous_label": prev_label,
            "previous_empty": not found["previous"]["leads"],
            "success_target": _target_text(page, "assignment_success_rate"),
            "csv": {
                name: page.qs(format="csv", table=name)
                for name in ("headline", "segments", "incidents")
            },
            "alerts_url": reverse("alerts"),
        }
    )
    return page.render()


def _sections(page: MetricPage, clock: Clock, found: dict[str, Any]) -> list[Section]:
    """The headline tiles, by section, from the Overview's merged numbers."""
    filters = page.filters
    current, previous, by_tier = found["current"], found["previous"], found["by_tier"]
    days = days_of(filters.start, filters.end)
    daily = [found["by_day"].get(day, found["empty"]) for day in days]
    return [
        Section(title, page.url(page_name), _page_label(page_name),
                [_tile(page, METRICS[key], clock, current, previous, daily, days, by_tier)
                 for key in keys])
        for title, page_name, keys in SECTIONS
    ]


def _incidents(filters: Filters) -> list[IncidentLine]:
    return incident_lines(firing_incidents(), filters, now=timezone.now())


def _target_text(page: MetricPage, key: str) -> str:
    filters = page.filters
    target = metric_target(
        key, page.config, region=filters.region or None, tier=filters.tier or None
    )
    return target.text if target else ""


def _tile(
    page: MetricPage,
    spec: MetricSpec,
    clock: Clock,
    current: Metrics,
    previous: Metrics,
    daily: Sequence[Metrics],
    days: Sequence[date],
    by_tier: dict[Hashable, Metrics],
) -> Tile:
    key = clock.key(spec.key)
    value = current.get(key)
    filters = page.filters
    assessment = assess(
        spec, value, config=page.config, region=filters.region or None,
        tier=filters.tier or None, by_tier=by_tier, clock=clock,
    )
    spark = metric_charts.sparkline(
        [m.get(key) for m in daily], [f"{d:%b} {d.day}" for d in days], spec.unit
    )
    return Tile(
        spec=spec,
        key=key,
        label=clock.label(spec),
        value=value,
        value_text=format_value(value, spec.unit),
        href=page.url("leads", **dict(spec.records)),
        assessment=assessment,
        change=change(value, previous.get(key), spec),
        previous_text=format_value(previous.get(key), spec.unit),
        spark=spark,
        detail=detail(spec, current),
    )


def _segment_axes(
    page: MetricPage, by_segment: dict[Hashable, Metrics]
) -> tuple[list[str | None], list[str | None]]:
    """The regions and tiers of a region × tier table, in display order."""
    regions = ordered_regions(r for r, _ in by_segment)
    tiers = ordered_tiers((t for _, t in by_segment), page.config)
    return regions, tiers


def _segment_checks(
    page: MetricPage, clock: Clock, metrics: Metrics, region: str | None, tier: str | None
) -> Iterator[tuple[MetricSpec, float | None, Assessment]]:
    """The region × tier table's assessed figures of one segment (success, TTA p95)."""
    for key in SEGMENT_METRICS:
        spec = METRICS[key]
        value = metrics.get(clock.key(key))
        yield spec, value, assess(spec, value, config=page.config, region=region, tier=tier)


def _segment_rows(
    page: MetricPage,
    clock: Clock,
    by_segment: dict[Hashable, Metrics],
    regions: Sequence[str | None],
    tiers: Sequence[str | None],
) -> list[SegmentRow]:
    rows = []
    for region in regions:
        cells = []
        for tier in tiers:
            metrics = by_segment.get((region, tier))
            if metrics is None:
                none = Cell("—", "neutral", "no leads")
                cells.append((none, none, none))
                continue
            href = _segment_link(page, "leads", region, tier)
            triple = [Cell(f"{metrics['leads']:,}", "neutral", "", href)]
            for spec, value, found in _segment_checks(page, clock, metrics, region, tier):
                records = _segment_link(page, "leads", region, tier, **dict(spec.records))
                triple.append(
                    Cell(format_value(value, spec.unit), found.level, found.label, records)
                )
            cells.append((triple[0], triple[1], triple[2]))
        rows.append(SegmentRow(_label(region), tuple(cells)))
    return rows


def _headline_csv(page: MetricPage, tiles: Sequence[Tile], previous: Metrics) -> HttpResponse:
    header = ["metric", "label", "value", "unit", "target", "status", "previous_value",
              "change", "detail"]
    rows = []
    for t in tiles:
        before = previous.get(t.key)
        delta = t.value - before if t.value is not None and before is not None else None
        rows.append([t.key, t.label, t.value, t.spec.unit, t.assessment.target_text,
                     t.assessment.label, before, delta, t.detail])
    return csv_response(_csv_name(page, "headline"), header, rows)


def _overview_segments_csv(
    page: MetricPage, clock: Clock, by_segment: dict[Hashable, Metrics]
) -> HttpResponse:
    success_key, tta_key = (clock.key(key) for key in SEGMENT_METRICS)
    header = ["region", "tier", "leads", success_key, "success_status", tta_key, "tta_status"]
    regions, tiers = _segment_axes(page, by_segment)
    rows = []
    for region in regions:
        for tier in tiers:
            metrics = by_segment.get((region, tier))
            if metrics is None:
                continue
            row: list[Any] = [region, tier, metrics["leads"]]
            for _spec, value, found in _segment_checks(page, clock, metrics, region, tier):
                row += [value, found.label]
            rows.append(row)
    return csv_response(_csv_name(page, "segments"), header, rows)


def _incidents_csv(page: MetricPage, incidents: Sequence[IncidentLine]) -> HttpResponse:
    header = ["rule", "title", "region", "tier", "failure_reason", "value", "comparison",
              "threshold", "firing_since", "snoozed", "page"]
    rows = [
        [i.rule, i.title, i.region, i.tier, i.failure_reason, i.value_text, i.comparison,
         i.threshold_text, i.since.isoformat(), "yes" if i.snoozed else "no", i.href]
        for i in incidents
    ]
    return csv_response(_csv_name(page, "incidents"), header, rows)


# --- Trends ------------------------------------------------------------------------------------


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
    if page.as_of is None:
        return page.render()
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
    for key in TREND_METRICS:
        spec = METRICS[key]
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
    table_rows = [
        (p, [format_value(grouped.get((p.key, ""), empty).get(clock.key(k)), METRICS[k].unit)
             for k in TREND_METRICS])
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
            "table_metrics": [(clock.short(METRICS[k]), clock.label(METRICS[k]))
                              for k in TREND_METRICS],
            "table_rows": table_rows,
            "csv": {name: page.qs(format="csv", table=name) for name in ("series", "changes")},
        }
    )
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
        for key in COMPARE_METRICS:
            spec = METRICS[key]
            metric = clock.key(key)
            rows.append(
                (
                    clock.label(spec),
                    format_value(before.get(metric), spec.unit),
                    format_value(after.get(metric), spec.unit),
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


# --- Segments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heatmap:
    id: str
    title: str
    spec: MetricSpec
    figure: dict[str, Any]
    size: str
    drilldown: str
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]  # region, one cell per tier
    target_text: str


@require_GET
def segments(request: HttpRequest) -> HttpResponse:
    """A region × tier heatmap per key metric; a cell opens the Overview for that segment."""
    page = _begin(request, "segments")
    if page.as_of is None:
        return page.render()
    filters = page.filters
    clock = _clock(page)
    shown = _shown(request, clock)

    def numbers() -> dict[str, Any]:
        rollups = load_rollups(filters, as_of=page.as_of, metrics=shown)
        return {
            "by_segment": rollups.grouped(segment_key, filters.start, filters.end),
            "names": list(rollups.empty()),
        }

    found = page.numbers("segments", numbers, clock.name, shown is None)
    by_segment, names = found["by_segment"], found["names"]
    regions, tiers = _segment_axes(page, by_segment)

    if _wants_csv(request):
        header = ["region", "tier", *names]
        rows = [
            [region, tier, *(by_segment[(region, tier)][n] for n in names)]
            for region in regions
            for tier in tiers
            if (region, tier) in by_segment
        ]
        return csv_response(_csv_name(page, "segments"), header, rows)

    base = page.filters.querystring(region=None, tier=None, **page.params)
    drilldown = reverse("overview") + (base + "&" if base else "?") + "region={y}&tier={x}"
    heatmaps = [
        _heatmap(page, METRICS[key], clock, by_segment, regions, tiers, drilldown)
        for key in HEATMAP_METRICS
    ]
    table = [
        (
            _label(region),
            _label(tier),
            _segment_link(page, "overview", region, tier),
            [
                _cell(page, METRICS[key], clock, by_segment[(region, tier)], region, tier)
                for key in HEATMAP_METRICS
            ],
        )
        for region in regions
        for tier in tiers
        if (region, tier) in by_segment
    ]
    page.context.update(
        {
            "heatmaps": heatmaps,
            "table_metrics": [(clock.short(METRICS[k]), clock.label(METRICS[k]))
                              for k in HEATMAP_METRICS],
            "table": table,
            "blank": BLANK,
            "tier_labels": [_label(t) for t in tiers],
            "csv": {"segments": page.qs(format="csv", table="segments")},
        }
    )
    return page.render()


def _cell(
    page: MetricPage,
    spec: MetricSpec,
    clock: Clock,
    metrics: Metrics | None,
    region: str | None,
    tier: str | None,
) -> Cell:
    if metrics is None:
        return Cell("—", "neutral", "no leads")
    value = metrics.get(clock.key(spec.key))
    found = assess(spec, value, config=page.config, region=region, tier=tier)
    href = _segment_link(page, "overview", region, tier)
    if page.params.get("clock"):
        href += ("&" if "?" in href else "?") + "clock=business"
    return Cell(format_value(value, spec.unit), found.level, found.label, href)


def _score(
    page: MetricPage, spec: MetricSpec, value: float | None, region: str | None, tier: str | None
) -> float | None:
    target = metric_target(spec.key, page.config, region=region, tier=tier)
    return None if target is None else target.score(value)


def _heatmap(
    page: MetricPage,
    spec: MetricSpec,
    clock: Clock,
    by_segment: dict[Hashable, Metrics],
    regions: Sequence[str | None],
    tiers: Sequence[str | None],
    drilldown: str,
) -> Heatmap:
    key = clock.key(spec.key)
    values = [
        [(by_segment.get((r, t)) or {}).get(key) for t in tiers] for r in regions
    ]
    leads = [[(by_segment.get((r, t)) or {}).get("leads", 0) for t in tiers] for r in regions]
    target = metric_target(spec.key, page.config, region=None, tier=None)
    scores = None
    if target is not None:
        scores = [
            [_score(page, spec, value, region, tier) for tier, value in zip(tiers, row,
                                                                          strict=True)]
            for region, row in zip(regions, values, strict=True)
        ]
    label = clock.label(spec)
    figure = metric_charts.heatmap_chart(
        spec, label, [_label(r) for r in regions], [_label(t) for t in tiers], values, scores,
        leads,
    )
    rows = tuple(
        (
            _label(region),
            tuple(_cell(page, spec, clock, by_segment.get((region, tier)), region, tier)
                  for tier in tiers),
        )
        for region in regions
    )
    target_text = "≤ tier SLA" if spec.tier_sla else (target.text if target else "")
    return Heatmap(
        id=f"heatmap-{spec.key.replace('_', '-')}",
        title=label,
        spec=spec,
        figure=figure,
        size=metric_charts.heatmap_height(len(regions)),
        drilldown=drilldown,
        rows=rows,
        target_text=target_text,
    )
