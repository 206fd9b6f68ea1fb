"""The metric engine's parameters, built from the routing configuration.

Django-free. Business-hours calendars come from the TOML file as written; calendars that refer to
Salesforce BusinessHours / Holiday records are completed from synced data by
``routing_health.facts.calendars.resolved_params`` (Django side), which passes them in here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from routing_health.config import RoutingConfig
from routing_health.lib.calendar import Calendar
from routing_health.metrics import MetricParams


def toml_calendars(config: RoutingConfig) -> dict[str, Calendar]:
    """The calendars of the file that are usable on their own: those with open hours.

    A calendar that takes its hours only from ``salesforce_business_hours`` has an empty week
    until resolved against synced data; it is left out (its regions use wall-clock time) rather
    than treated as never open, which would make every business SLA trivially met.
    """
    return {
        name: calendar
        for name, calendar in config.calendars.items()
        if any(calendar.week)
    }


def params_from_config(
    config: RoutingConfig, calendars: Mapping[str, Calendar] | None = None
) -> MetricParams:
    """``MetricParams`` of ``config``; ``calendars`` replaces the file's calendars (by name)
    when given, e.g. the Salesforce-resolved ones of ``calendar_sources.resolve_calendars``."""
    windows = config.windows
    sla = {
        tier: (float(s.assign_minutes), float(s.touch_minutes))
        for tier, s in config.tiers.sla.items()
    }
    default = config.tier_sla(None)
    return MetricParams(
        holding=frozenset(config.owners.holding),
        fallback=frozenset(config.owners.fallback),
        accepted_statuses=frozenset(config.statuses.accepted),
        rejected_statuses=frozenset(config.statuses.rejected),
        closed_statuses=frozenset(config.statuses.closed),
        routing_grace_minutes=float(windows.routing_grace_minutes),
        bounce_hours=float(windows.bounce_hours),
        accept_hours=float(windows.accept_hours),
        queue_age_limit_hours=float(windows.queue_age_limit_hours),
        tier_sla=MappingProxyType(sla),
        default_tier_sla=(float(default.assign_minutes), float(default.touch_minutes)),
        report_timezone=config.report.timezone,
        calendars=MappingProxyType(
            dict(toml_calendars(config) if calendars is None else calendars)
        ),
        region_calendars=MappingProxyType(dict(config.regions.calendars)),
    )
