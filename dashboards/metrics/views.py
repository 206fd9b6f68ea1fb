"""The metric pages: Overview, Trends and Segments (spec section 8), from stored rollups only.

Each page costs a handful of queries whatever the number of leads: the metrics' as-of time, the
rollups of the range (one query; see ``dashboards.metrics.data``), the filter choices (from the
rollups, cached), plus the page's own: firing incidents (Overview) or flow version changes (Trends).
Every table exports CSV at the same URL with ``?format=csv&table=<name>``.

Page parameters besides the filters: ``clock=business`` (business-hours SLA clocks, offered when
the rollups carry them), and on Trends ``split=region|tier`` and ``grain=week``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboards.filters import Filters
from dashboards.metrics import charts as metric_charts
from dashboards.metrics.data import (
    day_key,
    days_of,
    load_rollups,
    ordered_regions,
    ordered_tiers,
    previous_period,
    segment_key,
    side_at_equal_age,
    tier_key,
)
from dashboards.metrics.page import (
    MetricPage,
    _begin,
    _clock,
    _csv_name,
    _label,
    _page_label,
    _segment_link,
    _shown,
    _wants_csv,
    csv_response,
)
from dashboards.metrics.specs import (
    METRICS,
    SECTIONS,
    Change,
    Clock,
    Metrics,
    MetricSpec,
    change,
    drill_down,
)
from dashboards.metrics.targets import (
    Assessment,
    IncidentLine,
    assess,
    detail,
    firing_words,
    incident_lines,
    metric_target,
)
from routing_health.alerts.selectors import firing_incidents
from routing_health.config import RoutingConfig
from routing_health.facts.kill_switch import switch_state
from routing_health.lib.format import NO_DATA, format_count, format_hours
from routing_health.metrics.catalog import format_metric
from routing_health.reports import compare as equal_age

INCIDENT_LIMIT = 8
# The Overview's region × tier table: leads, then these two, each against its target.
SEGMENT_METRICS = ("assignment_success_rate", "tta_p95_minutes")


# --- Shared ------------------------------------------------------------------------------------


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
        rollups = load_rollups(filters, as_of=page.as_of, metrics=shown)
        segments = rollups.only({clock.key(key) for key in SEGMENT_METRICS})
        current = rollups.total(filters.start, filters.end)
        # The previous period at equal age: as it stood one period length before as_of.
        previous = side_at_equal_age(filters, page.config, (prev_start, prev_end), page.as_of)
        return {
            "current": current,
            "previous": dict(previous.metrics),
            "previous_as_of": previous.as_of,
            "comparable": equal_age.compare(
                previous, equal_age.Side(filters.start, filters.end, page.as_of, False, current)
            ),
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
            return _incidents_csv(page, _incidents(filters, page.config))
        tiles = [tile for section in _sections(page, clock, found) for tile in section.tiles]
        return _headline_csv(page, tiles, found["previous"])

    incidents = _incidents(filters, page.config)
    regions, tiers = _segment_axes(page, found["by_segment"])
    prev_label = Filters(start=prev_start, end=prev_end).range_label()
    page.context.update(
        {
            "sections": _sections(page, clock, found),
            "current": found["current"],
            "incidents": incidents[:INCIDENT_LIMIT],
            "incidents_more": max(0, len(incidents) - INCIDENT_LIMIT),
            "incidents_words": firing_words(
                min(len(incidents), INCIDENT_LIMIT), max(0, len(incidents) - INCIDENT_LIMIT)
            ),
            "tiers": [_label(t) for t in tiers],
            "segment_rows": _segment_rows(page, clock, found["by_segment"], regions, tiers),
            "previous_label": prev_label,
            "previous_as_of": found["previous_as_of"],
            "previous_empty": not found["comparable"].ready,
            "previous_reason": found["comparable"].reason,
            "success_target": _target_text(page, SEGMENT_METRICS[0]),
            "segment_metrics": [METRICS[key] for key in SEGMENT_METRICS],
            "csv": {
                name: page.qs(format="csv", table=name)
                for name in ("headline", "segments", "incidents")
            },
            "alerts_url": reverse("alerts"),
            **_kill_switch_context(page, found["current"]),
        }
    )
    return page.render()


def _kill_switch_context(page: Any, current: Mapping[str, Any]) -> dict[str, Any]:
    """The kill switch strip of the Overview (spec section 10): state, since when, and the
    leads of the range it sent to triage (drill-down to them)."""
    switch = page.config.change_safety.kill_switch
    if switch is None:
        return {"kill_switch": switch_state(page.config, page.as_of)}
    unfiltered = Filters(start=page.filters.start, end=page.filters.end)
    segment = {k: v for k, v in (("region", page.filters.region), ("tier", page.filters.tier))
               if v}
    return {
        "kill_switch": switch_state(page.config, page.as_of),
        "kill_switch_limit": format_hours(switch.limit_hours),
        "triaged_count": int(current.get("triaged") or 0),
        "triaged_href": reverse("leads") + unfiltered.querystring(**segment, outcome="triaged"),
        "as_of": page.as_of,
    }


def _sections(page: MetricPage, clock: Clock, found: dict[str, Any]) -> list[Section]:
    """The headline tiles, by section, from the Overview's merged numbers."""
    filters = page.filters
    current, by_tier = found["current"], found["by_tier"]
    # Nothing is called better or worse when the two periods cannot be compared yet.
    previous = found["previous"] if found["comparable"].ready else {}
    days = days_of(filters.start, filters.end)
    daily = [found["by_day"].get(day, found["empty"]) for day in days]
    return [
        Section(title, page.url(page_name), _page_label(page_name),
                [_tile(page, METRICS[key], clock, current, previous, daily, days, by_tier)
                 for key in keys])
        for title, page_name, keys in SECTIONS
    ]


def _incidents(filters: Filters, config: RoutingConfig) -> list[IncidentLine]:
    return incident_lines(
        firing_incidents(), filters, now=timezone.now(), group_by=config.alerts.group_by
    )


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
    today = page.as_of.astimezone(filters.zone).date() if page.as_of else None
    spark = metric_charts.sparkline(
        [m.get(key) for m in daily], [f"{d:%b} {d.day}" for d in days], spec.unit,
        incomplete_last=bool(days) and today is not None and days[-1] >= today,
    )
    return Tile(
        spec=spec,
        key=key,
        label=clock.label(spec),
        value=value,
        value_text=format_metric(key, value),
        href=page.url("leads", **dict(drill_down(spec, key, value))),
        assessment=assessment,
        change=change(value, previous.get(key), spec),
        previous_text=format_metric(key, previous.get(key)),
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
                none = Cell(NO_DATA, "neutral", "no leads")
                cells.append((none, none, none))
                continue
            href = _segment_link(page, "leads", region, tier)
            triple = [Cell(format_count(metrics["leads"]), "neutral", "", href)]
            for spec, value, found in _segment_checks(page, clock, metrics, region, tier):
                records = _segment_link(page, "leads", region, tier,
                                        **dict(drill_down(spec, clock.key(spec.key), value)))
                triple.append(
                    Cell(spec.format(value), found.level, found.label, records)
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


# --- Segments ----------------------------------------------------------------------------------


