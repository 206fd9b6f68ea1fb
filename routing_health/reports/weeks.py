"""ISO weeks in the report time zone: parsing ``2026-W47`` and finding the last complete week."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from routing_health.facts.frames import local_days_utc

MSG_BAD_WEEK = "week must be an ISO week such as 2026-W47, got {value!r}"
MSG_NO_SUCH_WEEK = "{value} does not exist: {year} has {weeks} ISO weeks"
MSG_FUTURE_WEEK = "{week} starts on {start}, after the report time {as_of}: nothing to report"

_WEEK = re.compile(r"(\d{4})-W(\d{2})")


class WeekError(ValueError):
    """A week that cannot be reported; the message says why."""


@dataclass(frozen=True)
class Week:
    """One ISO week: Monday ``start`` to Sunday ``end``, local dates in the report time zone."""

    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def start(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    def previous(self) -> Week:
        return week_of(self.start - timedelta(days=7))

    def starts_at(self, tz: ZoneInfo) -> datetime:
        """Monday 00:00 local, as a UTC instant."""
        return local_days_utc(self.start, self.end, tz)[0]

    def ends_at(self, tz: ZoneInfo) -> datetime:
        """The next Monday 00:00 local, as a UTC instant (exclusive end of the week)."""
        return local_days_utc(self.start, self.end, tz)[1]

    def __str__(self) -> str:
        return self.label


def week_of(day: date) -> Week:
    year, number, _ = day.isocalendar()
    return Week(year, number)


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last ISO week


def parse_week(value: str) -> Week:
    """``"2026-W47"`` → ``Week``; raises ``WeekError`` naming the problem."""
    match = _WEEK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise WeekError(MSG_BAD_WEEK.format(value=value))
    year, number = int(match.group(1)), int(match.group(2))
    weeks = _weeks_in(year) if 1 <= year <= 9998 else 0
    if not weeks:
        raise WeekError(MSG_BAD_WEEK.format(value=value))
    if not 1 <= number <= weeks:
        raise WeekError(MSG_NO_SUCH_WEEK.format(value=value, year=year, weeks=weeks))
    return Week(year, number)


def last_complete_week(as_of: datetime, tz: ZoneInfo) -> Week:
    """The latest ISO week whose Sunday (local) ended at or before ``as_of``."""
    return week_of(as_of.astimezone(tz).date()).previous()


def is_complete(week: Week, as_of: datetime, tz: ZoneInfo) -> bool:
    return as_of >= week.ends_at(tz)
