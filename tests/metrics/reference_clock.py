"""A slow business clock for the reference: walk the span and ask the local clock at each step.

Written from spec section 10 without the engine's method (no open-stretch tables, no
cumulative sums): the span is cut at every UTC half hour, and a piece counts in full when the
local clock at its start shows an open time of an open local date (a weekday interval, not
closed by a holiday). That is exact when every interval boundary is a multiple of 30 local
minutes and every UTC offset a multiple of 30 minutes (true of the zones the tests use). The
engine's rule for a boundary *inside* a DST-repeated hour (first occurrence) is not modelled:
callers keep boundaries out of local 01:00-03:00 exclusive, where the changes happen in the
test zones; whole days (00:00-24:00) are fine, so a DST day still counts 23 or 25 hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from routing_health.lib.calendar import Calendar

STEP = timedelta(minutes=30)


def _is_open(calendar: Calendar, instant: datetime) -> bool:
    local = instant.astimezone(ZoneInfo(calendar.timezone))
    minute = local.hour * 60 + local.minute
    day = local.date()
    if not any(a <= minute < b for a, b in calendar.week[day.weekday()]):
        return False
    closed = dict(calendar.holidays).get(day, ())
    return not any(a <= minute < b for a, b in closed)


def _check(calendar: Calendar) -> None:
    boundaries = [x for day in calendar.week for interval in day for x in interval]
    boundaries += [x for _, closed in calendar.holidays for interval in closed for x in interval]
    assert all(x % 30 == 0 for x in boundaries), calendar


def open_minutes(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Open seconds / 60 of ``calendar`` in ``[start, end)``; minus that of ``[end, start)``
    when ``end`` is earlier."""
    _check(calendar)
    if end < start:
        return -open_minutes(calendar, end, start)
    total = timedelta(0)
    at = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while at < end:
        epoch = at - datetime(1970, 1, 1, tzinfo=UTC)
        next_step = datetime(1970, 1, 1, tzinfo=UTC) + (epoch // STEP + 1) * STEP
        piece_end = min(next_step, end)
        if _is_open(calendar, at):
            total += piece_end - at
        at = piece_end
    return total.total_seconds() / 60
