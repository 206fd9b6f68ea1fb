"""The demo org's configuration with its calendars taken from Salesforce instead of the file."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from routing_health.config import CalendarSalesforceRefs, RoutingConfig
from routing_health.lib.calendar import Calendar
from routing_health.sandbox.synthetic_catalog import REGIONS, holidays


def salesforce_calendars(config: RoutingConfig) -> RoutingConfig:
    """Each calendar stripped to its timezone, naming the synthetic org's BusinessHours record
    and Holiday records instead (the same hours and dates the file lists)."""
    rows = holidays(2020, 2030)
    stripped, refs = {}, {}
    for region in REGIONS:
        calendar = config.calendars[region.calendar]
        names = tuple(sorted({name for _, name, keys in rows if region.calendar in keys}))
        stripped[region.calendar] = Calendar(calendar.name, calendar.timezone, ((),) * 7)
        refs[region.calendar] = CalendarSalesforceRefs(region.hours_name, names)
    return replace(
        config,
        calendars=MappingProxyType(stripped),
        calendar_salesforce=MappingProxyType(refs),
    )


def without_calendars(config: RoutingConfig) -> RoutingConfig:
    return replace(config, calendars=MappingProxyType({}), calendar_salesforce=MappingProxyType({}))
