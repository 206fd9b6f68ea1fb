"""Figures of the metric pages: plotly specs (plain dicts for ``json_script``) and sparklines.

Same conventions as ``dashboards.charts``: the page writes ``{{ fig|json_script:"id" }}`` and
``<div data-chart="id">``; ``static/js/charts.js`` draws it. Times are naive local strings in the
report timezone. Rates are 0..1 with percent tick formats; a null value is a gap, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dashboards.charts import ACCENT, Figure, local_time
from dashboards.metrics.specs import MetricSpec
from routing_health.lib.format import format_count, format_value

MUTED = "#7b8591"
MARKER = "#6b4fa0"  # flow-version annotations: apart from every series colour
TARGET = "#9a4a00"
INCOMPLETE_FILL = "rgba(128, 128, 128, 0.12)"  # periods not over yet (works on light and dark)
# Okabe–Ito based, like charts.js's colourway, ordered so neighbours differ most; each split
# line also gets its own dash pattern (never colour alone).
SERIES_COLOURS = ("#2f5bd3", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#0072b2")
SERIES_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

AXIS = {
    "rate": {"tickformat": ".0%", "rangemode": "tozero"},
    "minutes": {"tickformat": ",.0f", "rangemode": "tozero", "title": {"text": "minutes"}},
    "hours": {"tickformat": ",.0f", "rangemode": "tozero", "title": {"text": "hours"}},
    "count": {"tickformat": ",d", "rangemode": "tozero"},
}


# --- Sparklines (inline SVG, drawn without JavaScript) --------------------------------------

SPARK_WIDTH = 160
SPARK_HEIGHT = 32
SPARK_PAD = 3


@dataclass(frozen=True)
class Sparkline:
    """Polylines (one per run of known values; gaps are null days), the last point, and a
    text equivalent for assistive technology."""

    lines: tuple[str, ...]
    dots: tuple[tuple[float, float], ...]
    last: tuple[float, float] | None
    description: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT
    tail: str = ""  # dotted: the segment to an incomplete last day


def sparkline(
    values: Sequence[float | None],
    labels: Sequence[str],
    unit: str,
    *,
    incomplete_last: bool = False,
) -> Sparkline | None:
    """An SVG sparkline of daily ``values`` (``None``: no data that day), or ``None`` when no
    day has a value. With ``incomplete_last`` the last day is not over yet: the segment to it is
    dotted and its value is labelled "so far"."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    low, high = min(known), max(known)
    span = high - low
    count = len(values)
    inner_w = SPARK_WIDTH - 2 * SPARK_PAD
    inner_h = SPARK_HEIGHT - 2 * SPARK_PAD

    def point(i: int, value: float) -> tuple[float, float]:
        x = SPARK_PAD + (inner_w * i / (count - 1) if count > 1 else inner_w / 2)
        y = SPARK_PAD + (inner_h / 2 if span == 0 else inner_h * (high - value) / span)
        return round(x, 1), round(y, 1)

    runs: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(point(i, value))
    runs = [run for run in runs if run]
    tail = ""
    if incomplete_last and values[-1] is not None and len(runs[-1]) > 1:
        tail = " ".join(f"{x},{y}" for x, y in runs[-1][-2:])
        runs[-1] = runs[-1][:-1]
    lines = tuple(" ".join(f"{x},{y}" for x, y in run) for run in runs if len(run) > 1)
    dots = tuple(run[0] for run in runs if len(run) == 1)
    last_index = max(i for i, v in enumerate(values) if v is not None)
    last_value = values[last_index]
    assert last_value is not None
    shown = [
        f"{label} {format_value(v, unit)}" for label, v in zip(labels, values, strict=True)
    ]
    if incomplete_last:
        shown[-1] += " so far (the day is not over)"
    description = "Daily values: " + ", ".join(shown)
    return Sparkline(lines, dots, point(last_index, last_value), description, tail=tail)


# --- Trend lines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """A vertical annotation (local time): a flow version activation ("Lead_Router version
    activated"), or the kill switch turned on or off ("Kill switch ON")."""

    at: datetime
    label: str
    words: str = "version activated"

    @property
    def text(self) -> str:
        return f"{self.label} {self.words}"


def trend_chart(
    spec: MetricSpec,
    x: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    hover_x: Sequence[str],
    step_days: int = 1,
    markers: Sequence[Marker] = (),
    zone: ZoneInfo,
    target: float | None = None,
    incomplete_from: int | None = None,
) -> Figure:
    """Lines of one metric over aligned periods ``x`` (ISO dates: days, or ISO weeks' Mondays
    with ``step_days=7``), one per split value; ``None`` values are gaps. ``markers`` draw
    dotted verticals with a label; ``target`` a dashed horizontal (the page says what it
    is). Periods from index ``incomplete_from`` on have not ended yet: their points are hollow
    on a shaded band labelled "incomplete" (their leads are still young). Minutes are shown as
    hours when the values run past three hours."""
    split = len(series) > 1
    unit = spec.unit
    scale = 1.0
    known = [v for _, values in series for v in values if v is not None]
    if unit == "minutes" and max(known, default=0) > 180:
        unit, scale = "hours", 1 / 60
    data: list[dict[str, Any]] = []
    for index, (name, values) in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)] if split else ACCENT
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": list(x),
                "y": [None if v is None else v * scale for v in values],
                "customdata": list(hover_x),
                "text": [format_value(v, spec.unit) for v in values],
                "connectgaps": False,
                "line": {"color": colour, "width": 2, "dash": dash},
                "marker": {"size": 5, "color": colour, "symbol": [
                    "circle-open" if incomplete_from is not None and i >= incomplete_from
                    else "circle" for i in range(len(x))
                ]},
                "hovertemplate": (
                    f"%{{customdata}}<br>{name + ': ' if split else ''}%{{text}}<extra></extra>"
                ),
            }
        )
    first = datetime.fromisoformat(x[0])
    last = datetime.fromisoformat(x[-1])
    half = timedelta(days=step_days / 2)
    span = (last - first) + 2 * half
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for marker in markers:
        at = local_time(marker.at, zone)
        position = (datetime.fromisoformat(at) - (first - half)) / span
        shapes.append(
            {
                "type": "line", "xref": "x", "yref": "paper", "x0": at, "x1": at, "y0": 0, "y1": 1,
                "line": {"color": MARKER, "width": 1.5, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "xref": "x", "yref": "paper", "x": at, "y": 1,
                "xanchor": "right" if position > 0.6 else "left", "yanchor": "top",
                "text": marker.text, "showarrow": False,
                "font": {"color": MARKER, "size": 10}, "bgcolor": "rgba(255,255,255,0.85)",
            }
        )
    if incomplete_from is not None and incomplete_from < len(x):
        start = datetime.fromisoformat(x[incomplete_from]) - half
        shapes.append(
            {
                "type": "rect", "xref": "x", "yref": "paper", "layer": "below",
                "x0": start.isoformat(sep=" "), "x1": (last + half).isoformat(sep=" "),
                "y0": 0, "y1": 1, "fillcolor": INCOMPLETE_FILL, "line": {"width": 0},
            }
        )
        annotations.append(
            {
                "xref": "x", "yref": "paper", "x": (last + half).isoformat(sep=" "), "y": 0,
                "xanchor": "right", "yanchor": "bottom", "showarrow": False,
                "text": "incomplete", "font": {"color": MARKER, "size": 10},
            }
        )
    if target is not None:
        shapes.append(
            {
                "type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": target * scale,
                "y1": target * scale, "line": {"color": TARGET, "width": 1, "dash": "dash"},
            }
        )
    layout: dict[str, Any] = {
        "xaxis": {
            "type": "date",
            "tickformat": "%b %-d",
            "hoverformat": "%b %-d",
            "range": [(first - half).isoformat(sep=" "), (last + half).isoformat(sep=" ")],
        },
        "yaxis": dict(AXIS[unit]),
        "shapes": shapes,
        "annotations": annotations,
        "margin": {"t": 18, "b": 32, "l": 52, "r": 12},
        "hovermode": "x unified" if split else "closest",
        "meta": {"unit": unit, "scale": scale},  # y = metric value × scale
    }
    if len(x) <= 2:
        layout["xaxis"]["dtick"] = 86400000.0 * step_days
    if split:
        layout["showlegend"] = True
        layout["legend"] = {"orientation": "h", "y": -0.2, "x": 0, "font": {"size": 11}}
        layout["margin"]["b"] = 60
    return {"data": data, "layout": layout}


# --- Heatmaps ---------------------------------------------------------------------------------


# Sequential, colour-blind safe (one hue family, lightness carries the order) and in the status
# palette's sense: cream where the target is met, orange at the warning bound, dark red beyond.
MISS_SCALE = [
    [0.0, "#f7f4ee"], [0.2, "#fbe6c9"], [0.5, "#f2a65a"], [0.75, "#d2582a"], [1.0, "#86201b"],
]
VOLUME_SCALE = [[0.0, "#eef2fb"], [1.0, "#2f5bd3"]]


def heatmap_chart(
    spec: MetricSpec,
    label: str,
    regions: Sequence[str],
    tiers: Sequence[str],
    values: Sequence[Sequence[float | None]],
    scores: Sequence[Sequence[float | None]] | None,
    leads: Sequence[Sequence[int]],
) -> Figure:
    """A region (rows) × tier (columns) heatmap of one metric, each cell annotated with its
    value (``customdata`` holds the raw values).

    The colour is how far a cell misses its target (``scores``: 0 met … 1 twice the warning
    bound; see ``Target.score``), so every metric and tier reads the same way and a lower-is-
    better metric is "reversed" by construction. Without targets (a volume) the colour is the
    value on a blue scale. Empty segments are gaps (not clickable).
    """
    texts = [
        [format_value(v, spec.unit) if n else "" for v, n in zip(row, counts, strict=True)]
        for row, counts in zip(values, leads, strict=True)
    ]
    hover = [
        [
            f"{region} · {tier}<br>{label}: {text or 'no leads'}<br>"
            f"{format_count(n)} lead{'s' * (n != 1)}"
            for tier, text, n in zip(tiers, row_texts, counts, strict=True)
        ]
        for region, row_texts, counts in zip(regions, texts, leads, strict=True)
    ]
    if scores is None:
        known = [v for row in values for v in row if v is not None]
        top = max(known, default=0) or 1
        z = [[None if v is None else v / top for v in row] for row in values]
        scale = VOLUME_SCALE
    else:
        z = [list(row) for row in scores]
        scale = MISS_SCALE
    return {
        "data": [
            {
                "type": "heatmap",
                "x": list(tiers),
                "y": list(regions),
                "z": z,
                "zmin": 0,
                "zmax": 1,
                "customdata": [list(row) for row in values],
                "text": texts,
                "texttemplate": "%{text}",
                "textfont": {"size": 13},
                "hovertext": hover,
                "hovertemplate": "%{hovertext}<extra></extra>",
                "colorscale": scale,
                "xgap": 3,
                "ygap": 3,
                # No colour bar: plotly.js draws it with style attributes, which the CSP
                # refuses; every cell carries its value instead.
                "showscale": False,
                "hoverongaps": False,
            }
        ],
        "layout": {
            "xaxis": {"type": "category", "side": "top", "fixedrange": True, "showgrid": False,
                      "ticks": ""},
            "yaxis": {"type": "category", "autorange": "reversed", "fixedrange": True,
                      "showgrid": False, "ticks": ""},
            "margin": {"t": 28, "b": 8, "l": 76, "r": 8},
            "dragmode": False,
        },
    }


def heatmap_height(rows: int) -> str:
    """A CSS size class for a heatmap of ``rows`` regions (no inline styles under the CSP)."""
    if rows <= 2:
        return "chart--hm-s"
    if rows <= 5:
        return "chart--hm-m"
    return "chart--hm-l"
