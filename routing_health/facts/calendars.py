"""Business-hours calendars completed from synced Salesforce BusinessHours and Holiday records.

A ``[calendars.<name>]`` table may name a Salesforce BusinessHours record
(``salesforce_business_hours``) and Holiday records (``salesforce_holidays``, by Name). The
configuration keeps those references unresolved (it is Django-free); this module resolves them
against the synced ``BusinessHoursRecord`` / ``HolidayRecord`` rows. Precedence:

1. **Timezone**: the BusinessHours record's ``TimeZoneSidKey`` when the record is found (its
   times are local to it); a different ``timezone`` in the file is reported. Without the record
   (not synced yet, or misnamed), the file's ``timezone``.
2. **Weekly hours**: a weekday listed in the file replaces that day of the record; a weekday not
   listed takes the record's hours (null start/end = closed; 00:00-00:00 = open 24 hours; an
   end of 00:00 after a later start = until midnight).
3. **Holidays**: the file's and the named records' closures together; on a date both close,
   the union of the closed times (a whole-day closure wins).
4. A calendar that has no open hours after that (a reference that did not resolve and no hours
   in the file) is left out: its regions use wall-clock time rather than a never-open clock.

Salesforce recurring holidays (``IsRecurrence``) are not expanded: a record counts on its
``ActivityDate`` only (reported); list the other dates in the file's ``holidays``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routing_health.config import CalendarSalesforceRefs, RoutingConfig
from routing_health.facts.kill_switch import with_kill_switch
from routing_health.facts.params import params_from_config
from routing_health.lib.calendar import WEEKDAYS, WHOLE_DAY, Calendar, Interval
from routing_health.metrics import MetricParams
from routing_health.models import BusinessHoursRecord, HolidayRecord

log = logging.getLogger(__name__)

MSG_NO_BUSINESS_HOURS = (
    "calendar {calendar!r}: no synced BusinessHours named {name!r}; using the file's hours"
)
MSG_NEVER_OPEN = "calendar {calendar!r}: no open hours, so its regions use wall-clock time"
MSG_TIMEZONE = (
    "calendar {calendar!r}: BusinessHours {name!r} is in {salesforce}, the file says {file}; "
    "using {salesforce}"
)
MSG_BAD_TIMEZONE = "calendar {calendar!r}: BusinessHours {name!r} has an unknown timezone {zone!r}"
MSG_BAD_DAY = "calendar {calendar!r}: BusinessHours {name!r} {day} {start}-{end} read as closed"
MSG_INACTIVE = "calendar {calendar!r}: BusinessHours {name!r} is inactive in Salesforce"
MSG_NO_HOLIDAY = "calendar {calendar!r}: no synced Holiday named {name!r}"
MSG_BAD_HOLIDAY = "calendar {calendar!r}: Holiday {name!r} on {day} has no valid times; ignored"
MSG_RECURRING = (
    "calendar {calendar!r}: Holiday {name!r} recurs in Salesforce; only {day} is closed "
    "(list the other dates in the file)"
)

_reported: set[str] = set()


@dataclass(frozen=True)
class Resolution:
    """Usable calendars by name, and what could not be resolved (for check_config / health)."""

    calendars: Mapping[str, Calendar]
    problems: tuple[str, ...]


def resolve(config: RoutingConfig) -> Resolution:
    """Resolve every calendar of ``config`` against the synced Salesforce records."""
    refs = {
        name: config.calendar_salesforce.get(name, CalendarSalesforceRefs())
        for name in config.calendars
    }
    hours_names = {r.business_hours for r in refs.values() if r.business_hours}
    holiday_names = {h for r in refs.values() for h in r.holidays}
    hours = _business_hours(hours_names) if hours_names else {}
    holidays = _holidays(holiday_names) if holiday_names else {}
    calendars: dict[str, Calendar] = {}
    problems: list[str] = []
    for name, calendar in config.calendars.items():
        ref = refs[name]
        record = hours.get(ref.business_hours) if ref.business_hours else None
        if ref.business_hours and record is None:
            problems.append(MSG_NO_BUSINESS_HOURS.format(calendar=name, name=ref.business_hours))
        named = {h: holidays.get(h, []) for h in ref.holidays}
        resolved, found = merge_salesforce(calendar, record, named)
        problems += found
        if resolved is not None:
            calendars[name] = resolved
    return Resolution(MappingProxyType(calendars), tuple(problems))


def resolve_calendars(config: RoutingConfig) -> Mapping[str, Calendar]:
    """The usable calendars of ``config`` by name, Salesforce references resolved. Problems are
    logged once per process."""
    resolution = resolve(config)
    for problem in resolution.problems:
        if problem not in _reported:
            _reported.add(problem)
            log.warning("business hours: %s", problem)
    return resolution.calendars


def resolved_params(config: RoutingConfig) -> MetricParams:
    """``params_from_config`` with the calendars resolved against synced Salesforce data, and
    the kill switch's ON intervals (``routing_health.facts.kill_switch``)."""
    if not any(
        ref.business_hours or ref.holidays for ref in config.calendar_salesforce.values()
    ):
        return with_kill_switch(params_from_config(config), config)  # no calendar to look up
    return with_kill_switch(params_from_config(config, calendars=resolve_calendars(config)),
                            config)


def merge_salesforce(
    calendar: Calendar, record: Any | None, holidays: Mapping[str, Iterable[Any]]
) -> tuple[Calendar | None, list[str]]:
    """The file's ``calendar`` completed by a BusinessHours ``record`` (or ``None``) and the
    Holiday records per referenced name (attribute access: the synced models' fields).

    Returns the calendar (``None`` when it is never open) and the problems found.
    """
    name = calendar.name
    problems: list[str] = []
    timezone, week = calendar.timezone, list(calendar.week)
    if record is not None:
        timezone = _record_timezone(calendar, record, problems)
        if not record.is_active:
            problems.append(MSG_INACTIVE.format(calendar=name, name=record.name))
        for index, day in enumerate(WEEKDAYS):
            if not calendar.week[index]:  # a weekday listed in the file wins
                week[index] = _record_day(calendar, record, day, problems)
    closures = {day: list(closed) for day, closed in calendar.holidays}
    for holiday_name, rows in holidays.items():
        rows = list(rows)
        if not rows:
            problems.append(MSG_NO_HOLIDAY.format(calendar=name, name=holiday_name))
        for row in rows:
            closed = _holiday_closure(calendar, row, problems)
            if closed is not None:
                closures.setdefault(row.activity_date, []).extend(closed)
    if not any(week):
        problems.append(MSG_NEVER_OPEN.format(calendar=name))
        return None, problems
    merged = tuple(sorted((day, _union(closed)) for day, closed in closures.items()))
    return Calendar(name, timezone, tuple(week), merged), problems


def _record_timezone(calendar: Calendar, record: Any, problems: list[str]) -> str:
    zone = record.time_zone_sid_key or calendar.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            MSG_BAD_TIMEZONE.format(calendar=calendar.name, name=record.name, zone=zone)
        )
        return calendar.timezone
    if zone != calendar.timezone:
        problems.append(
            MSG_TIMEZONE.format(
                calendar=calendar.name, name=record.name, salesforce=zone, file=calendar.timezone
            )
        )
    return zone


def _record_day(
    calendar: Calendar, record: Any, day: str, problems: list[str]
) -> tuple[Interval, ...]:
    start: time | None = getattr(record, f"{day}_start")
    end: time | None = getattr(record, f"{day}_end")
    if start is None and end is None:
        return ()
    if start is not None and end is not None:
        a, b = start.hour * 60 + start.minute, end.hour * 60 + end.minute
        if b == 0:
            b = 1440  # 00:00-00:00 is 24 hours; a later start runs to midnight
        if a < b:
            return ((a, b),)
    problems.append(
        MSG_BAD_DAY.format(calendar=calendar.name, name=record.name, day=day, start=start, end=end)
    )
    return ()


def _holiday_closure(
    calendar: Calendar, row: Any, problems: list[str]
) -> tuple[Interval, ...] | None:
    day: date | None = row.activity_date
    if day is None:
        problems.append(MSG_BAD_HOLIDAY.format(calendar=calendar.name, name=row.name, day=day))
        return None
    if row.is_recurrence:
        problems.append(MSG_RECURRING.format(calendar=calendar.name, name=row.name, day=day))
    if row.is_all_day:
        return WHOLE_DAY
    a, b = row.start_time_in_minutes, row.end_time_in_minutes
    if a is None or b is None or not 0 <= a < b <= 1440:
        problems.append(MSG_BAD_HOLIDAY.format(calendar=calendar.name, name=row.name, day=day))
        return None
    return ((a, b),)


def _union(intervals: list[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return tuple(merged)


def _business_hours(names: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    # Names are unique in Salesforce; should two rows share one, the active, then lowest Id wins.
    for row in BusinessHoursRecord.objects.filter(name__in=names).order_by("-is_active", "id"):
        found.setdefault(row.name, row)
    return found


def _holidays(names: set[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for row in HolidayRecord.objects.filter(name__in=names).order_by("activity_date", "id"):
        found.setdefault(row.name, []).append(row)
    return found
