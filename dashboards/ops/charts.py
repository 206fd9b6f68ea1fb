"""Plotly figure specs of the Queues and Failures pages (plain dicts for ``json_script``).

Same conventions as ``dashboards.charts``: the house layout is merged in by
``static/js/charts.js``; days go to plotly as local ``YYYY-MM-DD`` strings; colours come from the
colour-blind-safe list; counts get whole-number ticks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from dashboards.charts import BREACH, Figure, integer_dtick
from dashboards.ops.failures import ReasonRow
from dashboards.ops.queries import AgeBucket, QueueSummary
from routing_health.lib.format import format_hours

# The series colours of charts.js (Okabe–Ito based), in order.
COLORWAY = ("#2f5bd3", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#d55e00", "#0072b2")
OTHER_COLOR = "#9aa3ad"
OVER_LIMIT_FILL = "rgba(152, 25, 28, 0.07)"
MAX_SERIES = 6  # more reasons or queues than this are summed as "Other"


def queue_age_chart(
    buckets: Sequence[AgeBucket], queues: Sequence[QueueSummary], *, limit_hours: float
) -> Figure:
    """Queued leads per age bucket, stacked by queue; the buckets past the limit are shaded
    and labelled (not colour alone)."""
    labels = [_hover_safe(b.label) for b in buckets]
    ordered = sorted(queues, key=lambda q: -q.queued)
    shown, rest = ordered[:MAX_SERIES], ordered[MAX_SERIES:]
    traces = [
        _bar(q.name, labels, list(q.buckets), COLORWAY[i % len(COLORWAY)])
        for i, q in enumerate(shown)
    ]
    if rest:
        other = [sum(q.buckets[i] for q in rest) for i in range(len(buckets))]
        traces.append(_bar(f"{len(rest)} other queues", labels, other, OTHER_COLOR))
    totals = [sum(q.buckets[i] for q in queues) for i in range(len(buckets))]
    first_over = next((i for i, b in enumerate(buckets) if b.over_limit), None)
    layout: dict = {
        "barmode": "stack",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "xaxis": {"type": "category"},
        "yaxis": {
            "rangemode": "tozero",
            "dtick": integer_dtick(max(totals, default=0)),
            "tickformat": ",d",
            "title": {"text": "leads"},
        },
        "bargap": 0.3,
        "margin": {"t": 28},
    }
    if first_over is not None:
        layout["shapes"] = [
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": first_over - 0.5,
                "x1": len(buckets) - 0.5,
                "y0": 0,
                "y1": 1,
                "fillcolor": OVER_LIMIT_FILL,
                "line": {"width": 0},
                "layer": "below",
            }
        ]
        layout["annotations"] = [
            {
                "xref": "x",
                "yref": "paper",
                "x": first_over - 0.5,
                "y": 1,
                "xanchor": "left",
                "yanchor": "bottom",
                "text": f"■ over the {format_hours(limit_hours)} limit",
                "showarrow": False,
                "font": {"color": BREACH, "size": 11},
            }
        ]
    return {"data": traces, "layout": layout}


def _bar(name: str, x: list[str], y: list[int], color: str) -> dict:
    return {
        "type": "bar",
        "name": _hover_safe(name),
        "x": x,
        "y": y,
        "marker": {"color": color},
        "hovertemplate": f"%{{x}}: %{{y}} leads<extra>{_hover_safe(name)}</extra>",
    }


def _hover_safe(text: str) -> str:
    """Plotly reads labels as a small HTML subset (it never executes them): escape a
    Salesforce name so ``<b>`` or ``&`` in it shows literally."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def reason_colors(reasons: Sequence[ReasonRow]) -> list[str]:
    """One colour per reason (largest first), the same in both failure charts."""
    return [COLORWAY[i] if i < MAX_SERIES else OTHER_COLOR for i in range(len(reasons))]


def failure_reason_chart(reasons: Sequence[ReasonRow]) -> Figure:
    """Failed leads per failure reason, largest at the top."""
    ordered = list(reasons)[::-1]  # plotly draws the first category at the bottom
    colors = reason_colors(reasons)[::-1]
    largest = max((r.count for r in reasons), default=0)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "Failed leads",
                "y": [_hover_safe(_short(r.reason)) for r in ordered],
                "x": [r.count for r in ordered],
                "customdata": [_hover_safe(r.reason) for r in ordered],
                "marker": {"color": colors},
                "text": [str(r.count) for r in ordered],
                "textposition": "outside",
                "cliponaxis": False,
                "hovertemplate": "%{customdata}: %{x} failed leads<extra></extra>",
            }
        ],
        "layout": {
            "xaxis": {
                "rangemode": "tozero",
                "dtick": integer_dtick(largest),
                "tickformat": ",d",
                "title": {"text": "failed leads"},
            },
            "yaxis": {"type": "category", "automargin": True},
            "bargap": 0.35,
            "margin": {"l": 12, "r": 28},
        },
    }


def failures_per_day_chart(
    daily: Sequence[tuple[date, dict[str, int]]], reasons: Sequence[ReasonRow]
) -> Figure:
    """Failed leads per local creation day, stacked by failure reason (zero-filled days)."""
    x = [day.isoformat() for day, _ in daily]
    names = [r.reason for r in reasons]
    shown, rest = names[:MAX_SERIES], set(names[MAX_SERIES:])
    traces = []
    for i, name in enumerate(shown):
        trace = _bar(_short(name), x, [counts.get(name, 0) for _, counts in daily],
                     COLORWAY[i % len(COLORWAY)])
        trace["hovertemplate"] = "%{x|%a %b %-d}: %{y}<extra>" + _hover_safe(name) + "</extra>"
        traces.append(trace)
    if rest:
        other = [sum(n for reason, n in counts.items() if reason in rest) for _, counts in daily]
        trace = _bar(f"{len(rest)} other reasons", x, other, OTHER_COLOR)
        trace["hovertemplate"] = "%{x|%a %b %-d}: %{y}<extra>other reasons</extra>"
        traces.append(trace)
    totals = [sum(counts.values()) for _, counts in daily]
    step = max(1, math.ceil(len(daily) / 12))  # about a dozen day ticks, never crowded
    return {
        "data": traces,
        "layout": {
            "barmode": "stack",
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.22, "x": 0},
            "xaxis": {"type": "date", "tickformat": "%b %-d", "dtick": 86400000.0 * step},
            "yaxis": {
                "rangemode": "tozero",
                "dtick": integer_dtick(max(totals, default=0)),
                "tickformat": ",d",
                "title": {"text": "failed leads"},
            },
            "bargap": 0.35,
        },
    }


def _short(text: str, limit: int = 42) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
