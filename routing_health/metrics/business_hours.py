"""Business minutes: the open time of a business-hours calendar between two instants, vectorised.

Semantics
---------
* ``business_minutes(start, end, calendar)`` is the time during which the calendar is open in the
  half-open span ``[start, end)``, in **open seconds / 60** (a float, never rounded; spec §4 and
  §10). It is ``0.0`` when ``end <= start`` and ``NaN`` when either instant is missing (NaT).
* A calendar's open time is a union of half-open intervals ``[open, close)``: on every local date
  the intervals of its weekday (``calendar.week``, Monday first, minutes after local midnight,
  ``1440`` = the next local midnight) minus that date's holiday closures (``calendar.holidays``:
  whole-day ``(0, 1440)`` or partial closed intervals, always on a *local* date). Touching
  intervals, also across midnight (``... 24:00`` then ``00:00 ...``), form one open stretch.
* Local wall-clock times become real instants through the calendar's IANA timezone (``zoneinfo``),
  so ``00:00-24:00`` on a DST change day is the real 23 or 25 hours. The rule for the hour a DST
  change touches: **an interval boundary is the first instant at which the local clock reads that
  time or later.** Hence
    - a nonexistent local time (spring-forward gap) moves forward to the end of the gap: in
      Europe/Berlin on 2026-03-29 an opening at 02:30 opens at 03:00 CEST (01:00 UTC) - what
      ``pandas``' ``nonexistent="shift_forward"`` does; a stretch inside the gap is empty;
    - an ambiguous local time (fall-back overlap) takes its first occurrence (the earlier offset,
      as ``zoneinfo``'s ``fold=0`` and ``java.time`` do): in Europe/Berlin on 2026-10-25,
      ``02:30-05:00`` runs from 02:30 CEST (00:30 UTC) to 05:00 CET (04:00 UTC), 3.5 real hours.
  Away from boundaries inside a DST hour this is exactly "open when the local clock shows an open
  time of an open local date". The mapping never reverses order, so the open stretches stay
  disjoint and sorted.
* This is Salesforce's ``BusinessHours.diff(id, start, end)`` (milliseconds of business time,
  holidays excluded) divided by 60,000, at minute precision: Salesforce ignores sub-minute
  precision in business-hours arithmetic, we keep it (seconds / 60). Salesforce does not document
  its behaviour when a business-hours boundary itself falls inside a DST gap or overlap; the rule
  above is ours.

Method
------
For the local dates the inputs cover (first local date - 1 day ... last local date + 1 day) the
open stretches are built in local time (vectorised per weekday, holidays per date), mapped to UTC
nanoseconds through the zone's UTC-offset segments (found by sampling ``zoneinfo`` every few hours
and bisecting each change to the second), and turned into a cumulative open-time array ``F``. Then
``open(start, end) = F(end) - F(start)`` with ``numpy.searchsorted``: O((rows + stretches) log) and
no Python loop over rows. The stretches are cached per (calendar, local date span).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from routing_health.lib.calendar import WEEKDAYS, Calendar, Interval

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_DAY = 1440 * NS_PER_MINUTE
MINUTES_PER_DAY = 1440

INVALID_WEEK = "calendar {name!r}: week must have 7 entries (Monday first), got {count}"
INVALID_INTERVAL = (
    "calendar {name!r}: interval {interval!r} on {where} is not 0 <= start < end <= 1440 minutes"
)
LENGTH_MISMATCH = "start, end (and calendar names) must have equal lengths or length 1: {lengths}"

_NAT = np.iinfo(np.int64).min
_INT64_MAX = np.iinfo(np.int64).max
_EPOCH = date(1970, 1, 1)
_ONE_SECOND = timedelta(seconds=1)
# Real offset changes are months apart; two that cancel out within this step would go unseen.
_OFFSET_SAMPLE_SECONDS = 6 * 3600
# A local date's stretches lie within a day of its UTC date whatever the offset (|offset| < 26 h).
_UTC_MARGIN_DAYS = 2


def business_minutes(start: Any, end: Any, calendar: Calendar) -> np.ndarray:
    """Open minutes of ``calendar`` between ``start`` and ``end``, row by row.

    ``start`` and ``end`` are array-likes of instants of equal length (or length 1, broadcast):
    pandas Series / DatetimeIndex of ``datetime64[ns, UTC]`` (any unit or timezone is converted),
    numpy ``datetime64`` (naive values are taken as UTC), or aware ``datetime`` objects. Rows are
    matched by position, not by index.

    Returns a float64 array: open seconds in ``[start, end)`` / 60; ``0.0`` where
    ``end <= start``; ``NaN`` where ``start`` or ``end`` is missing.
    """
    start_ns, end_ns = _broadcast(_utc_ns(start), _utc_ns(end))
    return _business_minutes_ns(start_ns, end_ns, calendar)


def business_minutes_by_calendar(
    start: Any,
    end: Any,
    calendar_names: Any,
    calendars: Mapping[str, Calendar],
) -> np.ndarray:
    """Open minutes between ``start`` and ``end``, each row on the calendar its row names.

    ``calendar_names`` (a Series or array-like, matched by position) holds each row's calendar
    name; ``calendars`` maps names to calendars. Rows whose name is missing (None/NaN) or not a
    key of ``calendars`` get ``NaN`` (they have no calendar: callers use wall-clock minutes
    there). Otherwise as ``business_minutes``.
    """
    start_ns, end_ns = _utc_ns(start), _utc_ns(end)
    names = np.asarray(calendar_names, dtype=object).reshape(-1)
    start_ns, end_ns, names = _broadcast(start_ns, end_ns, names)
    result = np.full(start_ns.shape[0], np.nan)
    codes, uniques = pd.factorize(names, use_na_sentinel=True)
    for code, name in enumerate(uniques):
        calendar = calendars.get(name)
        if calendar is None:
            continue
        rows = codes == code
        result[rows] = _business_minutes_ns(start_ns[rows], end_ns[rows], calendar)
    return result


def business_deadline(
    start: Any,
    minutes: Any,
    calendar_names: Any,
    calendars: Mapping[str, Calendar],
    *,
    horizon_days: int = 400,
) -> np.ndarray:
    """The instant after which more than ``minutes`` open minutes have passed since ``start``.

    The inverse of ``business_minutes_by_calendar`` in its end argument: the last instant
    ``t`` with ``open(start, t) == minutes``; every later instant has more open time, so a
    "strictly more than ``minutes``" clock (an SLA breach) holds from just after ``t``. When the
    minutes run out exactly at a closing time, ``t`` is the next opening. ``start`` as in
    ``business_minutes``; ``minutes`` a float array-like or scalar; ``calendar_names`` as in
    ``business_minutes_by_calendar``.

    Returns ``datetime64[ns]`` (UTC, naive) values; ``NaT`` where the row has no calendar,
    ``start`` is missing, ``minutes`` is negative or NaN, or the calendar does not open long
    enough within ``horizon_days`` local days after ``start``.
    """
    start_ns = _utc_ns(start)
    wanted = np.asarray(minutes, dtype=float).reshape(-1)
    names = np.asarray(calendar_names, dtype=object).reshape(-1)
    start_ns, wanted, names = _broadcast(start_ns, wanted, names)
    result = np.full(start_ns.shape[0], _NAT, dtype=np.int64)
    usable = (start_ns != _NAT) & np.isfinite(wanted) & (wanted >= 0)
    codes, uniques = pd.factorize(names, use_na_sentinel=True)
    for code, name in enumerate(uniques):
        calendar = calendars.get(name)
        rows = np.flatnonzero((codes == code) & usable)
        if calendar is None or rows.size == 0:
            continue
        zone = ZoneInfo(calendar.timezone)
        first_day = _local_date(int(start_ns[rows].min()), zone) - timedelta(days=1)
        last_start = _local_date(int(start_ns[rows].max()), zone)
        goal_ns = np.round(wanted[rows] * NS_PER_MINUTE).astype(np.int64)
        # Most deadlines fall within days; only the rest pay for a longer table.
        for horizon in sorted({min(14, horizon_days), min(60, horizon_days), horizon_days}):
            table = _open_table(calendar, first_day, last_start + timedelta(days=horizon))
            starts, _, cumulative = table
            goal = _open_before(table, start_ns[rows]) + goal_ns
            stretch = np.searchsorted(cumulative[1:], goal, side="right")
            found = stretch < starts.size
            at = stretch[found]
            result[rows[found]] = starts[at] + (goal[found] - cumulative[at])
            rows, goal_ns = rows[~found], goal_ns[~found]
            if rows.size == 0:
                break
    return result.view("datetime64[ns]")


def _business_minutes_ns(
    start_ns: np.ndarray, end_ns: np.ndarray, calendar: Calendar
) -> np.ndarray:
    missing = (start_ns == _NAT) | (end_ns == _NAT)
    result = np.zeros(start_ns.shape[0])
    result[missing] = np.nan
    positive = ~missing & (end_ns > start_ns)
    if not positive.any():
        return result
    starts_at, ends_at = start_ns[positive], end_ns[positive]
    zone = ZoneInfo(calendar.timezone)
    first_day = _local_date(int(starts_at.min()), zone) - timedelta(days=1)
    last_day = _local_date(int(ends_at.max()), zone) + timedelta(days=1)
    table = _open_table(calendar, first_day, last_day)
    open_ns = _open_before(table, ends_at) - _open_before(table, starts_at)
    result[positive] = open_ns / NS_PER_MINUTE
    return result


def _open_before(
    table: tuple[np.ndarray, np.ndarray, np.ndarray], instants: np.ndarray
) -> np.ndarray:
    """F(t): open nanoseconds from the first stretch up to each instant."""
    starts, ends, cumulative = table
    if starts.size == 0:
        return np.zeros(instants.shape[0], dtype=np.int64)
    done = np.searchsorted(ends, instants, side="right")  # stretches ending at or before t
    current = np.minimum(done, starts.size - 1)
    partial = np.where(done < starts.size, np.maximum(instants - starts[current], 0), 0)
    return cumulative[done] + partial


def _open_table(
    calendar: Calendar, first_day: date, last_day: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        return _cached_open_table(calendar, first_day, last_day)
    except TypeError:  # a Calendar built with lists is not hashable: compute without the cache
        return _build_open_table(calendar, first_day, last_day)


@lru_cache(maxsize=64)
def _cached_open_table(
    calendar: Calendar, first_day: date, last_day: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _build_open_table(calendar, first_day, last_day)


def _build_open_table(
    calendar: Calendar, first_day: date, last_day: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    local_starts, local_ends = _local_open_stretches(calendar, first_day, last_day)
    zone = ZoneInfo(calendar.timezone)
    lo_day = (first_day - _EPOCH).days - _UTC_MARGIN_DAYS
    hi_day = (last_day - _EPOCH).days + 1 + _UTC_MARGIN_DAYS
    segment_starts, segment_offsets = _offset_segments(zone, lo_day * 86400, hi_day * 86400)
    starts = _first_instant_reading(local_starts, segment_starts, segment_offsets)
    ends = _first_instant_reading(local_ends, segment_starts, segment_offsets)
    keep = ends > starts  # a stretch wholly inside a spring-forward gap is empty
    starts, ends = _merge(starts[keep], ends[keep])
    cumulative = np.concatenate(([0], np.cumsum(ends - starts))).astype(np.int64)
    for array in (starts, ends, cumulative):
        array.flags.writeable = False
    return starts, ends, cumulative


def _local_open_stretches(
    calendar: Calendar, first_day: date, last_day: date
) -> tuple[np.ndarray, np.ndarray]:
    """Open stretches in local wall-clock nanoseconds (local midnight of 1970-01-01 = 0)."""
    week = _validated_week(calendar)
    day0 = (first_day - _EPOCH).days
    days = np.arange(day0, (last_day - _EPOCH).days + 1, dtype=np.int64)
    weekdays = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    closures = {
        day: _validated(calendar, closed, f"holiday {day.isoformat()}")
        for day, closed in calendar.holidays
        if first_day <= day <= last_day
    }
    is_holiday = np.isin(days, np.array([(day - _EPOCH).days for day in closures], dtype=np.int64))
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for weekday, intervals in enumerate(week):
        if not intervals:
            continue
        bounds = np.array(intervals, dtype=np.int64) * NS_PER_MINUTE
        midnights = days[(weekdays == weekday) & ~is_holiday] * NS_PER_DAY
        starts.append((midnights[:, None] + bounds[None, :, 0]).ravel())
        ends.append((midnights[:, None] + bounds[None, :, 1]).ravel())
    for day, closed in closures.items():
        remaining = _subtract(week[day.weekday()], closed)
        midnight = (day - _EPOCH).days * NS_PER_DAY
        starts.append(np.array([midnight + a * NS_PER_MINUTE for a, _ in remaining], np.int64))
        ends.append(np.array([midnight + b * NS_PER_MINUTE for _, b in remaining], np.int64))
    if not starts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    all_starts, all_ends = np.concatenate(starts), np.concatenate(ends)
    order = np.argsort(all_starts, kind="stable")
    return _merge(all_starts[order], all_ends[order])


def _validated_week(calendar: Calendar) -> tuple[tuple[Interval, ...], ...]:
    if len(calendar.week) != 7:
        raise ValueError(INVALID_WEEK.format(name=calendar.name, count=len(calendar.week)))
    return tuple(
        _validated(calendar, day, name) for day, name in zip(calendar.week, WEEKDAYS, strict=True)
    )


def _validated(calendar: Calendar, intervals: Any, where: str) -> tuple[Interval, ...]:
    result = []
    for interval in intervals:
        a, b = (int(x) for x in interval)
        if not 0 <= a < b <= MINUTES_PER_DAY:
            raise ValueError(
                INVALID_INTERVAL.format(name=calendar.name, interval=interval, where=where)
            )
        result.append((a, b))
    return tuple(sorted(result))


def _subtract(intervals: tuple[Interval, ...], closed: tuple[Interval, ...]) -> list[Interval]:
    remaining = list(intervals)
    for c, d in closed:
        pieces: list[Interval] = []
        for a, b in remaining:
            if d <= a or b <= c:
                pieces.append((a, b))
                continue
            if a < c:
                pieces.append((a, c))
            if d < b:
                pieces.append((d, b))
        remaining = pieces
    return remaining


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of half-open intervals sorted by start; touching intervals join."""
    if starts.size == 0:
        return starts.astype(np.int64), ends.astype(np.int64)
    reach = np.maximum.accumulate(ends)
    begins = np.empty(starts.size, dtype=bool)
    begins[0] = True
    begins[1:] = starts[1:] > reach[:-1]
    first = np.flatnonzero(begins)
    return starts[first], np.maximum.reduceat(ends, first)


def _offset_segments(zone: ZoneInfo, lo_s: int, hi_s: int) -> tuple[np.ndarray, np.ndarray]:
    """UTC-offset segments of ``zone`` over ``[lo_s, hi_s]`` (epoch seconds).

    Returns ``(segment_starts, offsets)`` in nanoseconds; the first segment starts at -inf and
    the last runs to +inf.
    """

    def offset(second: int) -> int:
        delta = datetime.fromtimestamp(second, zone).utcoffset()
        return 0 if delta is None else delta // _ONE_SECOND

    samples = [*range(lo_s, hi_s, _OFFSET_SAMPLE_SECONDS), hi_s]
    offsets = [offset(second) for second in samples]
    starts, values = [_NAT], [offsets[0]]
    for before, after, offset_after in zip(samples[:-1], samples[1:], offsets[1:], strict=True):
        while values[-1] != offset_after:
            # bisect to the first second in (before, after] whose offset differs
            lo, hi, current = before, after, values[-1]
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            starts.append(hi * NS_PER_SECOND)
            values.append(offset(hi))
            before = hi
    return np.array(starts, dtype=np.int64), np.array(values, dtype=np.int64) * NS_PER_SECOND


def _first_instant_reading(
    local_ns: np.ndarray, segment_starts: np.ndarray, offsets: np.ndarray
) -> np.ndarray:
    """For each local wall-clock time, the first UTC instant the clock reads it or later.

    Segment k shows local times ``[segment_starts[k] + offsets[k], segment_starts[k+1] +
    offsets[k])``; the answer lies in the first segment whose local end exceeds the time (the
    running maximum of the ends makes that a binary search even when the clock goes back).
    """
    local_ends = np.empty(segment_starts.size, dtype=np.int64)
    local_ends[:-1] = segment_starts[1:] + offsets[:-1]
    local_ends[-1] = _INT64_MAX
    segment = np.searchsorted(np.maximum.accumulate(local_ends), local_ns, side="right")
    return np.maximum(segment_starts[segment], local_ns - offsets[segment])


def _local_date(instant_ns: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(instant_ns // NS_PER_SECOND, zone).date()


def _utc_ns(values: Any) -> np.ndarray:
    """Instants as int64 UTC nanoseconds (NaT as int64 min), one dimension."""
    if np.ndim(values) == 0:
        values = [values]
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        values = values.reshape(-1)
    index = pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("ns").tz_convert(None)
    return index.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _broadcast(*arrays: np.ndarray) -> list[np.ndarray]:
    lengths = {array.shape[0] for array in arrays}
    if len(lengths - {1}) > 1:
        raise ValueError(LENGTH_MISMATCH.format(lengths=[array.shape[0] for array in arrays]))
    size = max(lengths)
    return [
        np.broadcast_to(array, (size,)) if array.shape[0] != size else array for array in arrays
    ]
