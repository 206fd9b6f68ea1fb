"""Template tags of the dashboard shell: navigation, freshness line, status labels."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from dashboards.filters import report_settings
from dashboards.navigation import NAV_PAGES
from routing_health.lib.format import format_count, format_duration, format_rate, format_time
from routing_health.metrics.catalog import format_metric
from routing_health.rollups.freshness import data_freshness

register = template.Library()

# Never colour alone: each level has a glyph and a word (colour-blind-safe palette in app.css).
STATUS_GLYPHS = {"ok": "●", "warn": "▲", "breach": "■", "neutral": "○", "info": "◆"}
RUN_LEVELS = {"succeeded": "ok", "failed": "breach", "running": "neutral"}


@register.inclusion_tag("dashboards/_nav.html", takes_context=True)
def nav_links(context: template.Context) -> dict[str, Any]:
    """The top navigation; links keep the current filters."""
    request = context.get("request")
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    filters = context.get("filters")
    querystring = filters.querystring() if filters is not None else ""
    return {
        "links": [
            {
                "label": page.label,
                "href": reverse(page.url_name) + querystring,
                "active": page.url_name == current,
            }
            for page in NAV_PAGES
        ]
    }


@register.inclusion_tag("dashboards/_freshness.html")
def freshness_line() -> dict[str, Any]:
    """"Data as of <last successful sync, report timezone> · <relative age>"."""
    report = report_settings()
    freshness = data_freshness()
    as_of = ""
    if freshness.last_success is not None:
        as_of = format_time(freshness.last_success, report.zone)
    return {"freshness": freshness, "as_of": as_of, "glyph": STATUS_GLYPHS[freshness.level]}


@lru_cache(maxsize=1)
def _plotly_links() -> tuple[dict[str, str], ...]:
    path = finders.find("vendor/plotly-styles.json")
    if not path:
        return ()
    with open(path, encoding="utf-8") as manifest:
        return tuple(json.load(manifest))


@register.inclusion_tag("dashboards/_plotly_css.html")
def plotly_stylesheets() -> dict[str, Any]:
    """The stylesheets plotly.js would inject inline, as <link>s (see ``vendor_static``)."""
    links = [
        {"id": link["id"], "class": link.get("class", ""), "href": static(f"vendor/{link['href']}")}
        for link in _plotly_links()
    ]
    return {"links": links}


@register.simple_tag
def report_problem() -> str | None:
    """Why the routing configuration could not be used (the page shows it as a banner)."""
    return report_settings().problem


@register.inclusion_tag("dashboards/_status.html")
def status(level: str, label: str) -> dict[str, str]:
    """A status label: glyph + text, coloured by ``level`` (ok, warn, breach, neutral, info)."""
    level = level if level in STATUS_GLYPHS else "neutral"
    return {"level": level, "glyph": STATUS_GLYPHS[level], "label": label}


@register.filter
def run_level(status_value: str) -> str:
    return RUN_LEVELS.get(status_value, "neutral")


@register.filter
def duration(start: datetime | None, end: datetime | None) -> str:
    """``end - start`` by the one duration rule (``"4 s"``, ``"3.1 min"``, ``"1 h"``); ``""``
    if unknown."""
    if start is None or end is None:
        return ""
    return format_duration(max(end - start, timedelta(0)))


@register.filter
def age(value: datetime | None) -> str:
    """How long ago ``value`` was, e.g. ``"5 min ago"``."""
    if value is None:
        return ""
    delta = max(timezone.now() - value, timedelta(0))
    minutes = delta.total_seconds() / 60
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{int(minutes)} min ago"
    if minutes < 48 * 60:
        return f"{int(minutes // 60)} h ago"
    return f"{int(minutes // 1440)} days ago"


@register.filter
def percent(value: float | None) -> str:
    """A share 0..1 by the one rate rule (``routing_health.lib.format.format_rate``)."""
    return format_rate(value)


@register.filter
def metric(value: float | None, name: str) -> str:
    """``value`` of the catalog metric ``name`` as every surface shows it."""
    return format_metric(name, value)


@register.filter
def when(value: datetime | None) -> str:
    """An instant in the report timezone (the page renders under it, see ``rendering``):
    ``"2026-03-29 03:30 CEST"`` (``format_time``)."""
    return format_time(value, timezone.get_current_timezone())


@register.filter
def thousands(value: int | None) -> str:
    """``12345`` → ``"12,345"`` (``format_count``)."""
    return format_count(value)
