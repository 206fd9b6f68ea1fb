"""Plotly figure specs as plain dicts, for templates to emit with ``json_script``.

A page puts ``{{ chart|json_script:"chart-id" }}`` and ``<div data-chart="chart-id">`` in its
template; ``static/js/charts.js`` draws it with the house layout and config (no plotly logo,
responsive). Data never reaches the page through ``|safe``: ``json_script`` escapes ``<``,
``>`` and ``&``, so a Salesforce value cannot close the script element.

Times go to plotly as naive local strings in the report timezone: plotly.js has no timezone
support and would otherwise show UTC.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from routing_health.lib.format import format_count, format_rate
from routing_health.models import SyncRun

# Colour-blind-safe (Okabe–Ito based) series colours; charts.js holds the same list.
ACCENT = "#2f5bd3"
WARN = "#d97706"
BREACH = "#9b1c1c"

Figure = dict[str, Any]


def local_time(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def integer_dtick(largest: int, ticks: int = 5) -> int:
    """A whole-number tick step showing about ``ticks`` ticks up to ``largest`` (counts have
    no fractional ticks)."""
    return max(1, math.ceil(largest / ticks))


def leads_per_day_chart(counts: Sequence[tuple[date, int]]) -> Figure:
    """A bar per local day of the range (zero-filled)."""
    largest = max((n for _, n in counts), default=0)
    return {
        "data": [
            {
                "type": "bar",
                "name": "Leads created",
                "x": [day.isoformat() for day, _ in counts],
                "y": [n for _, n in counts],
                "marker": {"color": ACCENT},
                "hovertemplate": "%{x|%a %b %-d}: %{y} leads<extra></extra>",
            }
        ],
        "layout": {
            "xaxis": {"type": "date", "tickformat": "%b %-d", "dtick": 86400000.0},
            "yaxis": {
                "rangemode": "tozero",
                "dtick": integer_dtick(largest),
                "tickformat": ",d",
                "title": {"text": "leads"},
            },
            "bargap": 0.35,
        },
    }


def api_usage_chart(runs: Sequence[SyncRun], zone: ZoneInfo, *, limit_share: float) -> Figure:
    """Daily API usage reported by each sync run (as a share of the org's limit), oldest
    first, with the configured stop share as a dashed line."""
    points = [
        run
        for run in sorted(runs, key=lambda run: run.started_at)
        if run.api_usage_used is not None and run.api_usage_max
    ]
    x = [local_time(run.started_at, zone) for run in points]
    shares = [run.api_usage_used / run.api_usage_max for run in points]  # type: ignore[operator]
    labels = [
        f"{format_count(run.api_usage_used)} / {format_count(run.api_usage_max)} "
        f"({format_rate(share)})"
        for run, share in zip(points, shares, strict=True)
    ]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "API usage",
                "x": x,
                "y": shares,
                "customdata": labels,
                "line": {"color": ACCENT, "width": 2},
                "marker": {"size": 6},
                "hovertemplate": "%{x|%b %-d %H:%M}<br>%{customdata}<extra></extra>",
            }
        ],
        "layout": {
            "yaxis": {"tickformat": ".0%", "rangemode": "tozero", "range": [0, 1]},
            "xaxis": {"type": "date"},
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": limit_share,
                    "y1": limit_share,
                    "line": {"color": WARN, "width": 1.5, "dash": "dash"},
                }
            ],
            "annotations": [
                {
                    "xref": "paper",
                    "x": 1,
                    "y": limit_share,
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "text": f"sync stops at {format_rate(limit_share)}",
                    "showarrow": False,
                    "font": {"color": WARN, "size": 11},
                }
            ],
        },
    }
