"""``business_deadline``: when a business clock runs past a limit (rollups schedule on it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from routing_health.lib.calendar import Calendar
from routing_health.metrics.business_hours import business_deadline, business_minutes

NINE_TO_FIVE = ((540, 1020),)
NEW_YORK = Calendar("amer", "America/New_York", (NINE_TO_FIVE,) * 5 + ((), ()))
CALENDARS = {"amer": NEW_YORK, "never": Calendar("never", "UTC", ((),) * 7)}


def deadline(start: str, minutes: float, name: str | None = "amer") -> pd.Timestamp:
    [value] = business_deadline([pd.Timestamp(start)], [minutes], [name], CALENDARS)
    return pd.Timestamp(value, tz="UTC")


def test_the_deadline_skips_the_night_and_the_weekend() -> None:
    # Fri 16:30 + 45 open minutes: 30 on Friday, 15 on Monday.
    assert deadline("2026-01-09T16:30-05:00", 45) == pd.Timestamp("2026-01-12T09:15-05:00")


def test_minutes_running_out_at_closing_time_breach_only_after_the_next_opening() -> None:
    assert deadline("2026-01-09T16:30-05:00", 30) == pd.Timestamp("2026-01-12T09:00-05:00")


def test_a_start_in_closed_time_counts_from_the_opening() -> None:
    assert deadline("2026-01-10T12:00-05:00", 0.5) == pd.Timestamp("2026-01-12T09:00:30-05:00")


def test_rows_without_a_calendar_or_never_open_have_no_deadline() -> None:
    assert pd.isna(deadline("2026-01-09T16:30-05:00", 30, None))
    assert pd.isna(deadline("2026-01-09T16:30-05:00", 30, "missing"))
    assert pd.isna(deadline("2026-01-09T16:30-05:00", 30, "never"))


def test_a_deadline_weeks_away_is_found() -> None:
    # 8 open hours a weekday: 4,800 minutes are 10 working days, two weeks later at closing,
    # so the breach waits for the following Monday's opening.
    assert deadline("2026-01-05T09:00-05:00", 4800) == pd.Timestamp("2026-01-19T09:00-05:00")


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 400 * 86_400),
    st.floats(0, 5_000, allow_nan=False),
)
def test_the_deadline_is_where_the_open_minutes_reach_the_limit_and_then_exceed_it(
    offset: int, minutes: float
) -> None:
    start = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(seconds=offset)
    at = deadline(str(start), minutes)
    [used] = business_minutes([start], [at], NEW_YORK)
    [after] = business_minutes([start], [at + pd.Timedelta(seconds=1)], NEW_YORK)
    assert np.isclose(used, minutes, rtol=0, atol=1e-6)
    assert after > minutes
