"""The weekly review's charts as plotly figure specs (plain JSON-ready dicts).

Figures are built with ``plotly.graph_objects`` (so every property is validated) and returned as
JSON data; the HTML embeds them with ``json_script`` and draws them with the one inline copy of
plotly.js. Salesforce text in a chart (failure reasons, regions) is HTML-escaped first:
plotly.js reads ``<b>``, ``<a href>`` and friends in labels as markup and decodes entities after
that, so ``&lt;script&gt;`` shows as the literal text ``<script>``.

Colours: one accent for this week, greys for the week before; series also differ by line dash,
marker shape or bar pattern, so no chart needs colour to be read.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import plotly.io as pio

from routing_health.lib.format import format_count, format_minutes
from routing_health.metrics.catalog import format_metric
from routing_health.reports.weekly import WeeklyReportData

ACCENT = "#2f5bd3"
ACCENT_SHADES = ("#1e3f99", "#2f5bd3", "#7f9be6", "#b9c8f1")
PATTERNS = ("", "/", ".", "x")
GREY = "#9aa3ad"
DARK_GREY = "#59636f"
TEXT = "#1d232b"
GRID = "#e2e5e9"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_REASONS = 10
LOG_TICKS = (1, 5, 15, 60, 240, 1440, 10080, 43200)  # minutes, labelled by lib.format
LABEL_CHARS = 60

CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True,
                          "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def chart_label(text: object, limit: int = LABEL_CHARS) -> str:
    """Salesforce text as a plotly label: shortened, then escaped so plotly shows it literally."""
    value = "(none)" if text is None else " ".join(str(text).split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return html.escape(value, quote=False)


def _layout(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "template": "none",
        "font": {"family": FONT, "size": 12, "color": TEXT},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 60, "r": 60, "t": 30, "b": 50},
        "height": 340,
        "legend": {"orientation": "h", "y": -0.2, "x": 0},
        "hoverlabel": {"font": {"family": FONT}},
    }
    base.update(extra)
    return base


def _spec(figure: go.Figure) -> dict[str, Any]:
    spec = json.loads(pio.to_json(figure, validate=True))
    return {"data": spec.get("data", []), "layout": spec.get("layout", {}), "config": CONFIG}


def daily_chart(report: WeeklyReportData) -> dict[str, Any] | None:
    """Leads per day (bars) and assignment success rate (lines), this week against the last;
    ``None`` when neither week has a lead."""
    if not any(p.leads for p in (*report.daily, *report.previous_daily)):
        return None
    labels = list(WEEKDAYS)
    shapes, notes = _flow_marks(report)
    figure = go.Figure()
    for points, period, colour, pattern, dash, symbol in (
        (report.previous_daily, report.previous_period, GREY, "/", "dash", "square"),
        (report.daily, report.period, ACCENT, "", "solid", "circle"),
    ):
        dates = [p.day.strftime("%d %b") for p in points]
        figure.add_bar(
            x=labels, y=[p.leads for p in points], name=f"Leads {period.week}",
            marker={"color": colour, "pattern": {"shape": pattern}},
            customdata=[[d, format_count(p.leads)] for d, p in zip(dates, points, strict=True)],
            hovertemplate="%{customdata[0]}: %{customdata[1]} leads<extra></extra>",
            offsetgroup=period.week,
        )
        figure.add_scatter(
            x=labels, y=[p.assignment_success_rate for p in points], yaxis="y2",
            name=f"Assignment success {period.week}", mode="lines+markers",
            line={"color": DARK_GREY if colour == GREY else colour, "dash": dash, "width": 2},
            marker={"symbol": symbol, "size": 7},
            customdata=[[d, format_metric("assignment_success_rate", p.assignment_success_rate)]
                        for d, p in zip(dates, points, strict=True)],
            hovertemplate="%{customdata[0]}: %{customdata[1]} success<extra></extra>",
            connectgaps=False,
        )
    figure.update_layout(
        **_layout(
            barmode="group",
            margin={"l": 60, "r": 60, "t": 40, "b": 50},
            yaxis={"title": {"text": "Leads created"}, "gridcolor": GRID, "rangemode": "tozero"},
            yaxis2={"title": {"text": "Assignment success"}, "overlaying": "y", "side": "right",
                    "tickformat": ".0%", "range": [0, 1.05], "tickvals": [0, 0.25, 0.5, 0.75, 1],
                    "showgrid": False},
            xaxis={"gridcolor": GRID, "range": [-0.5, 6.5]},
            shapes=shapes,
            annotations=notes,
        )
    )
    return _spec(figure)


def _flow_marks(report: WeeklyReportData) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A dotted vertical line per flow-version change, at its local time within the week."""
    tz = ZoneInfo(report.timezone)
    shapes, notes = [], []
    for change in report.flow_changes:
        local = change.changed_at.astimezone(tz)
        position = (local.date() - report.period.start).days - 0.5 + (
            local.hour * 3600 + local.minute * 60 + local.second
        ) / 86400
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": position,
                       "x1": position, "y0": 0, "y1": 1,
                       "line": {"color": TEXT, "width": 1, "dash": "dot"}})
        notes.append({"xref": "x", "yref": "paper", "x": position, "y": 1.0,
                      "yanchor": "bottom", "showarrow": False,
                      "text": chart_label(change.label or change.flow_api_name, 30) + " changed",
                      "font": {"size": 11, "color": DARK_GREY}, "xanchor": "left"})
    return shapes, notes


def tta_chart(report: WeeklyReportData) -> dict[str, Any] | None:
    """TTA p95 per region × tier this week (bars, log scale) with each tier's SLA (markers)."""
    rows = [r for r in report.segments if r.current and r.current.get("tta_p95_minutes")]
    if not rows:
        return None
    regions = sorted({r.keys.get("region") or "" for r in rows})
    tiers = sorted({r.keys.get("tier") or "" for r in rows})
    figure = go.Figure()
    for index, tier in enumerate(tiers):
        values = {r.keys.get("region") or "": r.current for r in rows
                  if (r.keys.get("tier") or "") == tier}
        x = [chart_label(region or None) for region in regions]
        y = [(values.get(region) or {}).get("tta_p95_minutes") for region in regions]
        figure.add_bar(
            x=x, y=y, name=f"{chart_label(tier or None)} p95", offsetgroup=tier,
            marker={"color": ACCENT_SHADES[index % len(ACCENT_SHADES)],
                    "pattern": {"shape": PATTERNS[index % len(PATTERNS)]}},
            text=[format_minutes(v) if v is not None else "" for v in y], textposition="outside",
            hovertemplate="%{x} · " + chart_label(tier or None) + ": %{text}<extra></extra>",
        )
        sla = report.tier_sla.get(tier)
        if sla is not None:
            figure.add_scatter(
                x=x, y=[sla[0] if v is not None else None for v in y], mode="markers",
                name=f"{chart_label(tier)} SLA ({format_minutes(sla[0])})", offsetgroup=tier,
                marker={"symbol": "line-ew-open", "size": 26, "color": TEXT,
                        "line": {"width": 2, "color": TEXT}},
                hovertemplate=chart_label(tier) + f" SLA {format_minutes(sla[0])}<extra></extra>",
            )
    figure.update_layout(
        **_layout(
            barmode="group", scattermode="group",
            yaxis={"title": {"text": "Time to a rep, p95 (log scale)"}, "type": "log",
                   "gridcolor": GRID, "tickvals": list(LOG_TICKS),
                   "ticktext": [format_minutes(v) for v in LOG_TICKS]},
            uniformtext={"minsize": 9, "mode": "hide"},
        )
    )
    return _spec(figure)


def failure_chart(report: WeeklyReportData) -> dict[str, Any] | None:
    """Failed leads per failure reason (top ten), this week against the last."""
    reasons = [r for r in report.failure_reasons if r.count or r.previous][:MAX_REASONS]
    if not reasons:
        return None
    most = max(max(r.count, r.previous) for r in reasons)
    reasons = list(reversed(reasons))  # plotly draws the first category at the bottom
    labels = [chart_label(r.reason) for r in reasons]
    figure = go.Figure()
    figure.add_bar(
        y=labels, x=[r.previous for r in reasons], orientation="h",
        name=report.previous_period.week, marker={"color": GREY, "pattern": {"shape": "/"}},
        hovertemplate="%{y}: %{x} failed<extra>" + report.previous_period.week + "</extra>",
    )
    figure.add_bar(
        y=labels, x=[r.count for r in reasons], orientation="h", name=report.period.week,
        marker={"color": ACCENT}, text=[str(r.count) for r in reasons], textposition="outside",
        hovertemplate="%{y}: %{x} failed<extra>" + report.period.week + "</extra>",
    )
    figure.update_layout(
        **_layout(
            barmode="group", height=max(240, 60 + 44 * len(reasons)),
            margin={"l": 20, "r": 40, "t": 20, "b": 50},
            xaxis={"title": {"text": "Failed leads"}, "gridcolor": GRID, "rangemode": "tozero",
                   "tick0": 0, "dtick": max(1, math.ceil(most / 8))},
            yaxis={"automargin": True},
        )
    )
    return _spec(figure)
