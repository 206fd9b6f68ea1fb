"""Template helpers of the operational pages: durations for people, alert delivery health."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template

from dashboards.ops.alerts import EVENT_LEVELS, PROBLEM_STATES, NotificationHealth
from routing_health.alerts.rules import RULES
from routing_health.alerts.selectors import notification_problems
from routing_health.lib.format import format_duration, format_hours, format_minutes

register = template.Library()


@register.filter
def minutes(value: float | None) -> str:
    """``3.2`` → ``"3.2 min"``, ``185`` → ``"3.1 h"``; ``"—"`` for none (``format_minutes``)."""
    return format_minutes(value)


@register.filter
def hours(value: float | None) -> str:
    """``30.5`` → ``"30.5 h"``, ``80`` → ``"3.3 d"``; ``"—"`` for none (``format_hours``)."""
    return format_hours(value)


@register.filter
def elapsed(start: datetime | None, end: datetime | None) -> str:
    """``end - start`` for people (``"5.1 d"``); ``""`` when either is unknown."""
    if start is None or end is None:
        return ""
    return format_duration(max(end - start, timedelta(0)))


@register.filter
def event_level(kind: str) -> str:
    """The status level of an incident event kind (fired, resolved, snoozed…)."""
    return EVENT_LEVELS.get(kind, "neutral")


@register.filter
def problem_level(kind: str) -> str:
    return PROBLEM_STATES.get(kind, ("neutral", kind))[0]


@register.filter
def problem_label(kind: str) -> str:
    return PROBLEM_STATES.get(kind, ("neutral", kind))[1]


@register.filter
def rule_title(rule: str) -> str:
    """An alert rule's title (``queue_aging`` → "Leads waiting in a queue past the limit")."""
    spec = RULES.get(rule)
    return spec.title if spec else rule


@register.simple_tag
def notification_health() -> NotificationHealth:
    """Alert delivery problems of the last 7 days (``notification_problems()``)."""
    return NotificationHealth(tuple(notification_problems()))


@register.filter
def seconds(value: float | None) -> str:
    """A duration in seconds for people (``5`` → ``"5 s"``), by ``format_minutes``."""
    return format_minutes(None if value is None else value / 60.0)


@register.filter
def test_level(value: str | bool) -> str:
    """The status level of a routing test run status or a case's passed flag."""
    if value is True or value == "passed":
        return "ok"
    if value == "refused":
        return "warn"
    return "breach"
