"""The ``[calendars.<name>]`` tables of the routing configuration → ``Calendar`` objects."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from routing_health.config.model import CalendarSalesforceRefs
from routing_health.config.reader import KeyPath, Problems, Table
from routing_health.lib.calendar import WEEKDAYS, WHOLE_DAY, Calendar, Interval

CALENDAR_KEYS = (
    "timezone",
    *WEEKDAYS,
    "holidays",
    "salesforce_business_hours",
    "salesforce_holidays",
)
HOLIDAY_KEYS = ("date", "closed")

MSG_BAD_INTERVAL = '{value!r} is not an interval (use "HH:MM-HH:MM", e.g. "09:00-17:30")'
MSG_BAD_TIME = "{value!r} has a time out of range (00:00 to 23:59, or 24:00 as an end)"
MSG_EMPTY_INTERVAL = (
    "{value!r}: the start must be before the end (split an overnight interval across two days)"
)
MSG_OVERLAP = "{value!r} overlaps {other!r}"
MSG_BAD_DATE = "{value!r} is not a date (YYYY-MM-DD)"
MSG_DUPLICATE_DATE = "{value} is listed more than once"
MSG_CLOSES_NOTHING = "closes nothing (leave out `closed` to close the whole day)"
MSG_NEVER_OPEN = (
    "calendar is never open: list open intervals for at least one weekday "
    "or set salesforce_business_hours"
)

_INTERVAL = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_interval(text: str) -> Interval | str:
    """``"09:00-17:30"`` → ``(540, 1050)``; an error message when it is not a valid interval."""
    match = _INTERVAL.fullmatch(text)
    if match is None:
        return MSG_BAD_INTERVAL.format(value=text)
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        return MSG_BAD_TIME.format(value=text)
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start >= end:
        return MSG_EMPTY_INTERVAL.format(value=text)
    return (start, end)


def _intervals(problems: Problems, path: KeyPath, items: list[Any]) -> tuple[Interval, ...]:
    """Sorted, non-overlapping intervals from an array of strings; touching ones are merged."""
    parsed: list[tuple[Interval, int]] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            problems.wrong_type((*path, index), 'a string "HH:MM-HH:MM"', item)
            continue
        interval = parse_interval(item)
        if isinstance(interval, str):
            problems.add((*path, index), interval)
        else:
            parsed.append((interval, index))
    parsed.sort()
    merged: list[Interval] = []
    for position, (interval, index) in enumerate(parsed):
        if merged and interval[0] < merged[-1][1]:
            previous = items[parsed[position - 1][1]]
            problems.add((*path, index), MSG_OVERLAP.format(value=items[index], other=previous))
            merged[-1] = (merged[-1][0], max(merged[-1][1], interval[1]))
        elif merged and interval[0] == merged[-1][1]:
            merged[-1] = (merged[-1][0], interval[1])
        else:
            merged.append(interval)
    return tuple(merged)


def _date(problems: Problems, path: KeyPath, value: object) -> dt.date | None:
    # A bare TOML date (2026-12-25, unquoted) parses to a date; a datetime is a different thing.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        problems.wrong_type(path, 'a date "YYYY-MM-DD"', value)
        return None
    try:
        if not _DATE.fullmatch(value.strip()):
            raise ValueError(value)
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        problems.add(path, MSG_BAD_DATE.format(value=value))
        return None


def _holidays(table: Table) -> tuple[tuple[dt.date, tuple[Interval, ...]], ...]:
    closures: dict[dt.date, tuple[Interval, ...]] = {}
    for index, item in enumerate(table.array("holidays")):
        path = (*table.path, "holidays", index)
        if isinstance(item, dict):
            entry = Table(table.problems, item, path, HOLIDAY_KEYS)
            day = None
            if entry.has("date"):
                day = _date(table.problems, (*path, "date"), entry.raw("date"))
            else:
                entry.string("date", required=True)
            closed = WHOLE_DAY
            if entry.has("closed"):
                closed = _intervals(table.problems, (*path, "closed"), entry.array("closed"))
                if not entry.raw("closed"):
                    table.problems.add((*path, "closed"), MSG_CLOSES_NOTHING)
            entry.finish()
        else:
            day = _date(table.problems, path, item)
            closed = WHOLE_DAY
        if day is None:
            continue
        if day in closures:
            table.problems.add(path, MSG_DUPLICATE_DATE.format(value=day.isoformat()))
            continue
        closures[day] = closed
    return tuple(sorted(closures.items()))


def parse_calendars(
    table: Table,
) -> tuple[dict[str, Calendar], dict[str, CalendarSalesforceRefs], frozenset[str]]:
    """Calendars and their Salesforce references by name, plus every declared name (valid or
    not, so references to a broken calendar are not reported a second time)."""
    calendars: dict[str, Calendar] = {}
    references: dict[str, CalendarSalesforceRefs] = {}
    for name, value in table.items():
        if not isinstance(value, dict):
            table.problems.wrong_type((*table.path, name), "a table", value)
            continue
        entry = table.table(name, CALENDAR_KEYS)
        before = len(table.problems.items)
        timezone = entry.timezone("timezone", required=True)
        week = tuple(
            _intervals(table.problems, (*entry.path, day), entry.array(day)) for day in WEEKDAYS
        )
        holidays = _holidays(entry)
        business_hours = entry.string("salesforce_business_hours")
        holiday_names = entry.string_list("salesforce_holidays")
        # Judged on the raw lists, so a day of invalid intervals is reported once, not twice.
        listed = any(value.get(day) for day in WEEKDAYS)
        if not listed and "salesforce_business_hours" not in value:
            table.problems.add(entry.path, MSG_NEVER_OPEN)
        entry.finish()
        if len(table.problems.items) == before and timezone is not None:
            calendars[name] = Calendar(name=name, timezone=timezone, week=week, holidays=holidays)
            references[name] = CalendarSalesforceRefs(business_hours, holiday_names)
    return calendars, references, frozenset(table.data)
