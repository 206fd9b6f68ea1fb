"""Business minutes: hand-computed cases, then a property test against slow references.

Instants are written with their local UTC offset ("2026-01-06T10:00-05:00" is 10:00 in New York,
15:00 UTC) so each expected value can be checked by hand.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing_health.lib.calendar import WHOLE_DAY, Calendar, Interval
from routing_health.metrics.business_hours import (
    INVALID_INTERVAL,
    business_minutes,
    business_minutes_by_calendar,
)

CLOSED: tuple[Interval, ...] = ()
NINE_TO_FIVE: tuple[Interval, ...] = ((540, 1020),)


def weekdays_only(hours: tuple[Interval, ...]) -> tuple[tuple[Interval, ...], ...]:
    return (hours,) * 5 + (CLOSED, CLOSED)


def sundays_only(hours: tuple[Interval, ...]) -> tuple[tuple[Interval, ...], ...]:
    return (CLOSED,) * 6 + (hours,)


NEW_YORK = Calendar("amer", "America/New_York", weekdays_only(NINE_TO_FIVE))
# The spec's example calendar (section 10).
EMEA = Calendar(
    "emea",
    "Europe/Berlin",
    (((540, 1050),), ((540, 720), (780, 1050)), WHOLE_DAY, CLOSED, CLOSED, CLOSED, CLOSED),
)


def minutes(calendar: Calendar, start: str, end: str) -> float:
    [value] = business_minutes([pd.Timestamp(start)], [pd.Timestamp(end)], calendar)
    return float(value)


def test_time_inside_one_open_interval_counts_in_full() -> None:
    assert minutes(NEW_YORK, "2026-01-06T10:00-05:00", "2026-01-06T11:30-05:00") == 90


def test_seconds_count_as_fractions_of_a_minute() -> None:
    assert minutes(NEW_YORK, "2026-01-06T10:00:00-05:00", "2026-01-06T10:00:30-05:00") == 0.5


def test_the_night_between_two_working_days_is_closed() -> None:
    # Tue 16:00-17:00 and Wed 09:00-10:00
    assert minutes(NEW_YORK, "2026-01-06T16:00-05:00", "2026-01-07T10:00-05:00") == 120


def test_a_weekend_is_closed() -> None:
    # Fri 16:30-17:00 and Mon 09:00-09:45
    assert minutes(NEW_YORK, "2026-01-09T16:30-05:00", "2026-01-12T09:45-05:00") == 75


def test_a_span_inside_closed_time_has_no_open_minutes() -> None:
    friday_evening_to_monday_morning = ("2026-01-09T18:00-05:00", "2026-01-12T08:00-05:00")
    assert minutes(NEW_YORK, *friday_evening_to_monday_morning) == 0


def test_a_whole_day_holiday_is_closed() -> None:
    calendar = Calendar("amer", "America/New_York", NEW_YORK.week, ((date(2026, 1, 7), WHOLE_DAY),))
    # Tue 16:00-17:00, Wednesday closed, Thu 09:00-10:00
    assert minutes(calendar, "2026-01-06T16:00-05:00", "2026-01-08T10:00-05:00") == 120


def test_a_partial_day_holiday_closes_only_its_hours() -> None:
    calendar = Calendar(
        "amer", "America/New_York", NEW_YORK.week, ((date(2026, 1, 7), ((720, 1020),)),)
    )
    # Tue 16:00-17:00, Wed 09:00-12:00, Thu 09:00-10:00
    assert minutes(calendar, "2026-01-06T16:00-05:00", "2026-01-08T10:00-05:00") == 300


def test_a_lunch_break_is_closed() -> None:
    # Tuesday 09:00-12:00 and 13:00-17:30: 11:00-12:00 and 13:00-14:00
    assert minutes(EMEA, "2026-01-06T11:00+01:00", "2026-01-06T14:00+01:00") == 120


def test_a_24_hour_day_counts_1440_minutes() -> None:
    # Tue 17:00-17:30, all of Wednesday, Thursday closed
    assert minutes(EMEA, "2026-01-06T17:00+01:00", "2026-01-08T09:00+01:00") == 30 + 1440


def test_open_time_runs_on_across_midnight() -> None:
    late = Calendar("late", "UTC", (((1320, 1440),), ((0, 120),)) + (CLOSED,) * 5)
    assert minutes(late, "2026-01-05T23:00Z", "2026-01-06T01:00Z") == 120


@pytest.mark.parametrize(
    ("timezone", "saturday_noon", "monday_noon", "expected"),
    [
        ("Europe/Berlin", "2026-03-28T12:00+01:00", "2026-03-30T12:00+02:00", 23 * 60),
        ("Europe/Berlin", "2026-10-24T12:00+02:00", "2026-10-26T12:00+01:00", 25 * 60),
        ("America/New_York", "2026-03-07T12:00-05:00", "2026-03-09T12:00-04:00", 23 * 60),
        ("America/New_York", "2026-10-31T12:00-04:00", "2026-11-02T12:00-05:00", 25 * 60),
    ],
    ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
)
def test_a_24_hour_day_on_a_dst_change_is_its_real_length(
    timezone: str, saturday_noon: str, monday_noon: str, expected: int
) -> None:
    calendar = Calendar("sundays", timezone, sundays_only(WHOLE_DAY))
    assert minutes(calendar, saturday_noon, monday_noon) == expected


def test_working_hours_are_unaffected_by_a_dst_change_over_the_weekend() -> None:
    # Fri 16:00-17:00 EST and Mon 09:00-10:00 EDT; 65 wall-clock hours
    assert minutes(NEW_YORK, "2026-03-06T16:00-05:00", "2026-03-09T10:00-04:00") == 120


def test_an_opening_time_in_the_spring_forward_gap_opens_when_the_gap_ends() -> None:
    calendar = Calendar("night", "Europe/Berlin", sundays_only(((150, 300),)))
    # 02:30 does not exist on 2026-03-29: open from 03:00 CEST (01:00Z) to 05:00 CEST (03:00Z)
    assert minutes(calendar, "2026-03-28T00:00Z", "2026-03-30T00:00Z") == 120


def test_an_ambiguous_opening_time_takes_its_first_occurrence() -> None:
    calendar = Calendar("night", "Europe/Berlin", sundays_only(((150, 300),)))
    # 2026-10-25: from the first 02:30 (CEST, 00:30Z) to 05:00 CET (04:00Z)
    assert minutes(calendar, "2026-10-24T00:00Z", "2026-10-26T00:00Z") == 210


def test_an_ambiguous_closing_time_takes_its_first_occurrence() -> None:
    calendar = Calendar("night", "Europe/Berlin", sundays_only(((0, 150),)))
    # 2026-10-25: from 00:00 CEST (Sat 22:00Z) to the first 02:30 (CEST, 00:30Z)
    assert minutes(calendar, "2026-10-24T00:00Z", "2026-10-26T00:00Z") == 150


def test_a_local_date_the_zone_skips_has_no_open_time() -> None:
    # Samoa skipped Friday 2011-12-30: Thursday 23:59:59 -10:00 was followed by Saturday +14:00.
    fridays = Calendar("apia", "Pacific/Apia", (CLOSED,) * 4 + (WHOLE_DAY,) + (CLOSED,) * 2)
    assert minutes(fridays, "2011-12-25T00:00Z", "2012-01-03T00:00Z") == 0


def test_the_same_instants_differ_by_calendar_timezone() -> None:
    calendars = [
        Calendar(name, timezone, weekdays_only(NINE_TO_FIVE))
        for name, timezone in [
            ("amer", "America/New_York"),
            ("emea", "Europe/Berlin"),
            ("apac", "Asia/Singapore"),
        ]
    ]
    start, end = "2026-01-06T00:00Z", "2026-01-06T15:30Z"
    # New York Mon 19:00 -> Tue 10:30; Berlin Tue 01:00 -> 16:30; Singapore Tue 08:00 -> 23:30
    assert [minutes(calendar, start, end) for calendar in calendars] == [90, 450, 480]


def test_a_singapore_lead_arriving_at_night_waits_five_business_minutes() -> None:
    singapore = Calendar("apac", "Asia/Singapore", weekdays_only(((540, 1080),)))
    # arrives Tue 23:00 local, assigned Wed 09:05 local
    assert minutes(singapore, "2026-01-06T23:00+08:00", "2026-01-07T09:05+08:00") == 5


def test_a_missing_start_or_end_gives_nan() -> None:
    start = pd.Series(pd.to_datetime(["2026-01-06T15:00Z", None, "2026-01-06T15:00Z"], utc=True))
    end = pd.Series(pd.to_datetime(["2026-01-06T16:00Z", "2026-01-06T16:00Z", None], utc=True))
    result = business_minutes(start, end, NEW_YORK)
    assert result[0] == 60
    assert np.isnan(result[1:]).all()


def test_an_end_before_or_at_the_start_gives_zero() -> None:
    start = pd.to_datetime(["2026-01-06T16:00Z", "2026-01-06T16:00Z"], utc=True)
    end = pd.to_datetime(["2026-01-06T15:00Z", "2026-01-06T16:00Z"], utc=True)
    assert business_minutes(start, end, NEW_YORK).tolist() == [0, 0]


def test_a_single_end_instant_applies_to_every_start() -> None:
    start = pd.to_datetime(["2026-01-06T15:00Z", "2026-01-06T16:00Z"], utc=True)
    as_of = pd.Timestamp("2026-01-06T17:00Z")
    assert business_minutes(start, as_of, NEW_YORK).tolist() == [120, 60]


def test_naive_numpy_datetimes_of_any_unit_are_taken_as_utc() -> None:
    start = np.array(["2026-01-06T15:00"], dtype="datetime64[s]")
    end = np.array(["2026-01-06T15:30"], dtype="datetime64[ns]")
    assert business_minutes(start, end, NEW_YORK).tolist() == [30]


def test_empty_input_gives_an_empty_result() -> None:
    empty = pd.Series([], dtype="datetime64[ns, UTC]")
    result = business_minutes(empty, empty, NEW_YORK)
    assert result.dtype == np.float64
    assert result.shape == (0,)


def test_rows_use_their_own_calendar_and_nan_without_one() -> None:
    singapore = Calendar("apac", "Asia/Singapore", weekdays_only(NINE_TO_FIVE))
    start = pd.Series(pd.to_datetime(["2026-01-06T00:00Z"] * 4, utc=True))
    end = pd.Series(pd.to_datetime(["2026-01-06T15:30Z"] * 4, utc=True))
    names = pd.Series(["amer", "apac", None, "unknown"])
    result = business_minutes_by_calendar(start, end, names, {"amer": NEW_YORK, "apac": singapore})
    assert result[:2].tolist() == [90, 480]
    assert np.isnan(result[2:]).all()


def test_a_malformed_interval_is_rejected() -> None:
    calendar = Calendar("bad", "UTC", (((600, 540),),) + (CLOSED,) * 6)
    with pytest.raises(ValueError) as raised:
        minutes(calendar, "2026-01-05T00:00Z", "2026-01-06T00:00Z")
    expected = INVALID_INTERVAL.format(name="bad", interval=(600, 540), where="monday")
    assert str(raised.value) == expected


# --- Property test against slow references ---------------------------------------------------
#
# Both references are written from the module docstring, independently of the implementation:
# per local date a 1440-minute grid says which local minutes are open (weekday hours, minus the
# holiday's closed minutes), and each UTC minute between start and end is walked.
# * `wall_clock_open`: a UTC minute is open when its local clock reading (zoneinfo) is an open
#   minute of its local date - the plain definition.
# * `boundary_open`: each run of open minutes runs from the first instant the local clock reads
#   its first minute to the first instant it reads its end (zoneinfo fold round trips; in a gap,
#   a walk to where the clock jumps past). This is the documented rule; it differs from the plain
#   definition only when a run starts or ends at an ambiguous local time.
# UTC offsets and transitions of the chosen zones fall on whole minutes, so a minute's openness
# holds for all of it.

US_PER_MINUTE = 60_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WINDOW_DAYS = 10
ZONES = (
    "America/New_York",
    "Europe/Berlin",
    "Asia/Singapore",
    "Europe/London",
    "America/Santiago",  # DST changes at local midnight
    "America/St_Johns",  # -03:30
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute DST change
    "Pacific/Auckland",
    "Pacific/Chatham",  # +12:45
    "Asia/Kolkata",
    "Africa/Casablanca",  # a negative DST around Ramadan
)
DST_HOUR_MINUTES = (0, 30, 60, 90, 120, 150, 180, 210, 1380, 1410, 1440)


def _instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _us(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def _open_grid(calendar: Calendar, day: date) -> list[bool]:
    grid = [False] * 1440
    for a, b in calendar.week[day.weekday()]:
        grid[a:b] = [True] * (b - a)
    for a, b in calendar.holiday_map().get(day, ()):
        grid[a:b] = [False] * (b - a)
    return grid


def _open_runs(grid: list[bool]) -> list[Interval]:
    runs, start = [], None
    for minute, is_open in enumerate([*grid, False]):
        if is_open and start is None:
            start = minute
        elif not is_open and start is not None:
            runs.append((start, minute))
            start = None
    return runs


def _reading(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _first_instant_reading(local: datetime, zone: ZoneInfo) -> tuple[datetime, bool]:
    """The first UTC instant whose local reading is ``local`` or later; whether it is ambiguous."""
    candidates = {local.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    exact = sorted(c for c in candidates if _reading(c, zone) == local)
    if exact:
        return exact[0], len(exact) > 1
    instant = min(candidates).replace(second=0, microsecond=0)
    while _reading(instant, zone) < local:
        instant += timedelta(minutes=1)
    while _reading(instant - timedelta(seconds=1), zone) >= local:
        instant -= timedelta(seconds=1)
    return instant, False


@lru_cache(maxsize=256)
def _boundary_stretches(calendar: Calendar, first: date, last: date) -> tuple[list, bool]:
    zone = ZoneInfo(calendar.timezone)
    stretches, ambiguous = [], False
    day = first
    while day <= last:
        midnight = datetime(day.year, day.month, day.day)
        for a, b in _open_runs(_open_grid(calendar, day)):
            opens, a_ambiguous = _first_instant_reading(midnight + timedelta(minutes=a), zone)
            closes, b_ambiguous = _first_instant_reading(midnight + timedelta(minutes=b), zone)
            ambiguous = ambiguous or a_ambiguous or b_ambiguous
            if opens < closes:
                stretches.append((_us(opens), _us(closes)))
        day += timedelta(days=1)
    return sorted(stretches), ambiguous


def reference_minutes(
    calendar: Calendar, start_us: int, end_us: int, rule: str
) -> tuple[float, bool]:
    """Slow open minutes in [start, end) under ``rule``; and whether a boundary was ambiguous."""
    zone = ZoneInfo(calendar.timezone)
    first = _instant(min(start_us, end_us)).astimezone(zone).date() - timedelta(days=1)
    last = _instant(max(start_us, end_us)).astimezone(zone).date() + timedelta(days=1)
    stretches, ambiguous = _boundary_stretches(calendar, first, last)
    opens = [a for a, _ in stretches]
    grids: dict[date, list[bool]] = {}

    def boundary_open(minute_us: int) -> bool:
        i = bisect.bisect_right(opens, minute_us) - 1
        return i >= 0 and minute_us < stretches[i][1]

    def wall_clock_open(minute_us: int) -> bool:
        local = _reading(_instant(minute_us), zone)
        if local.date() not in grids:
            grids[local.date()] = _open_grid(calendar, local.date())
        return grids[local.date()][local.hour * 60 + local.minute]

    is_open = boundary_open if rule == "boundary" else wall_clock_open
    total, t = 0, start_us
    while t < end_us:
        minute_us = t - t % US_PER_MINUTE
        piece_end = min(minute_us + US_PER_MINUTE, end_us)
        if is_open(minute_us):
            total += piece_end - t
        t = piece_end
    return total / US_PER_MINUTE, ambiguous


@cache
def _offset_change_days(timezone: str) -> tuple[datetime, ...]:
    zone = ZoneInfo(timezone)
    days = [datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n) for n in range(3 * 366)]
    return tuple(
        day
        for day, following in pairwise(days)
        if day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset()
    )


minute_of_day = st.one_of(st.integers(0, 1440), st.sampled_from(DST_HOUR_MINUTES))


@st.composite
def interval_lists(draw: st.DrawFn) -> tuple[Interval, ...]:
    points = sorted(set(draw(st.lists(minute_of_day, min_size=2, max_size=6))))
    points = points[: len(points) // 2 * 2]
    return tuple(zip(points[::2], points[1::2], strict=True))


day_hours = st.one_of(st.just(CLOSED), st.just(WHOLE_DAY), interval_lists())


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Calendar, list[tuple[int, int]]]:
    timezone = draw(st.sampled_from(ZONES))
    anchors = _offset_change_days(timezone)
    near_change = bool(anchors) and draw(st.booleans())
    if near_change:
        anchor = draw(st.sampled_from(anchors)) - timedelta(days=draw(st.integers(0, 6)))
    else:
        anchor = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=draw(st.integers(0, 1000)))
    window_us = _us(anchor) + draw(st.integers(0, 86_400)) * 1_000_000
    local_first = _instant(window_us).astimezone(ZoneInfo(timezone)).date()
    holiday_days = draw(st.lists(st.integers(-1, WINDOW_DAYS + 1), max_size=4, unique=True))
    holidays = tuple(
        sorted(
            (local_first + timedelta(days=n), draw(st.one_of(st.just(WHOLE_DAY), interval_lists())))
            for n in holiday_days
        )
    )
    calendar = Calendar("random", timezone, tuple(draw(day_hours) for _ in range(7)), holidays)
    offset_us = st.one_of(
        st.integers(0, WINDOW_DAYS * 86_400 * 1_000_000),
        st.integers(0, WINDOW_DAYS * 24 * 4).map(lambda quarter: quarter * 15 * US_PER_MINUTE),
    )
    pairs = draw(st.lists(st.tuples(offset_us, offset_us), min_size=1, max_size=4))
    return calendar, [(window_us + s, window_us + e) for s, e in pairs]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_vectorised_minutes_equal_the_slow_reference(
    scenario: tuple[Calendar, list[tuple[int, int]]],
) -> None:
    calendar, pairs = scenario
    start = pd.to_datetime([s * 1000 for s, _ in pairs], unit="ns", utc=True)
    end = pd.to_datetime([e * 1000 for _, e in pairs], unit="ns", utc=True)
    result = business_minutes(start, end, calendar)
    for value, (s, e) in zip(result, pairs, strict=True):
        expected, ambiguous = reference_minutes(calendar, s, e, "boundary")
        assert value == pytest.approx(expected, abs=1e-6)
        if not ambiguous:
            wall_clock, _ = reference_minutes(calendar, s, e, "wall_clock")
            assert wall_clock == pytest.approx(expected, abs=1e-6)
