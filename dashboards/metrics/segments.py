"""The Segments page: a region × tier heatmap of the segment metrics against their targets.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboards.metrics import charts as metric_charts
from dashboards.metrics.data import load_rollups, segment_key
from dashboards.metrics.page import (
    BLANK,
    MetricPage,
    _begin,
    _clock,
    _csv_name,
    _label,
    _segment_link,
    _shown,
    _wants_csv,
    csv_response,
)
from dashboards.metrics.specs import HEATMAPS, Clock, Metrics, MetricSpec, shown_on
from dashboards.metrics.targets import TIER_SLA_TEXT, assess, metric_target
from dashboards.metrics.views import Cell, _segment_axes
from routing_health.lib.format import NO_DATA

# Volumes (no target) after the metrics judged against one.
HEATMAP_METRICS: tuple[MetricSpec, ...] = tuple(
    sorted(shown_on(HEATMAPS), key=lambda spec: spec.better == "none")
)


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
        _heatmap(page, spec, clock, by_segment, regions, tiers, drilldown)
        for spec in HEATMAP_METRICS
    ]
    table = [
        (
            _label(region),
            _label(tier),
            _segment_link(page, "overview", region, tier),
            [
                _cell(page, spec, clock, by_segment[(region, tier)], region, tier)
                for spec in HEATMAP_METRICS
            ],
        )
        for region in regions
        for tier in tiers
        if (region, tier) in by_segment
    ]
    page.context.update(
        {
            "heatmaps": heatmaps,
            "table_metrics": [(clock.short(spec), clock.label(spec)) for spec in HEATMAP_METRICS],
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
        return Cell(NO_DATA, "neutral", "no leads")
    value = metrics.get(clock.key(spec.key))
    found = assess(spec, value, config=page.config, region=region, tier=tier)
    href = _segment_link(page, "overview", region, tier)
    if page.params.get("clock"):
        href += ("&" if "?" in href else "?") + "clock=business"
    return Cell(spec.format(value), found.level, found.label, href)


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
    target_text = TIER_SLA_TEXT if spec.tier_sla else (target.text if target else "")
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
