"""Template helpers of the operational pages: durations for people, alert delivery health."""

from __future__ import annotations

from datetime import datetime

from django import template

from dashboards.leads.timeline import format_hours, format_minutes
from dashboards.ops.alerts import EVENT_LEVELS, PROBLEM_STATES, NotificationHealth
from routing_health.alerts.rules import RULES
from routing_health.alerts.selectors import notification_problems

register = template.Library()


@register.filter
def minutes(value: float | None) -> str:
    """``3.2`` → ``"3.2 min"``, ``130`` → ``"2 h 10 min"``; ``"—"`` for none."""
    return format_minutes(value)


@register.filter
def hours(value: float | None) -> str:
    """``30.5`` → ``"30 h 30 min"``, ``80`` → ``"3 d 8 h"``; ``"—"`` for none."""
    return format_hours(value)


@register.filter
def elapsed(start: datetime | None, end: datetime | None) -> str:
    """``end - start`` for people (``"5 d 2 h"``); ``""`` when either is unknown."""
    if start is None or end is None:
        return ""
    return format_minutes(max((end - start).total_seconds(), 0.0) / 60)


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
