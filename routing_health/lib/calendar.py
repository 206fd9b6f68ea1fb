"""Business-hours calendars: the shape shared by the configuration and the clock arithmetic.

Minutes are minutes after local midnight in the calendar's timezone, 0..1440; an interval
``(540, 1050)`` is 09:00–17:30 and ``(0, 1440)`` a whole day (which is 23 or 25 real hours on a
DST change day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

Interval = tuple[int, int]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WHOLE_DAY: tuple[Interval, ...] = ((0, 1440),)


@dataclass(frozen=True)
class Calendar:
    """Weekly open hours in an IANA timezone, with closures on given local dates.

    ``week`` has 7 entries, Monday first; each is a sorted tuple of non-overlapping open
    intervals (an empty tuple is a closed day). ``holidays`` maps a local date to the intervals
    closed that day (``WHOLE_DAY`` for a whole-day holiday), as sorted pairs for hashability.
    """

    name: str
    timezone: str
    week: tuple[tuple[Interval, ...], ...]
    holidays: tuple[tuple[date, tuple[Interval, ...]], ...] = ()

    def holiday_map(self) -> dict[date, tuple[Interval, ...]]:
        return dict(self.holidays)
