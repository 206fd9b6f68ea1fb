"""ISO weeks in the report time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from routing_health.reports.weeks import (
    Week,
    WeekError,
    is_complete,
    last_complete_week,
    parse_week,
)

NEW_YORK = ZoneInfo("America/New_York")


def test_a_week_runs_from_monday_to_sunday():
    week = parse_week("2026-W47")
    assert (week.start, week.end) == (date(2026, 11, 16), date(2026, 11, 22))
    assert week.label == "2026-W47"


def test_the_previous_week_crosses_the_year_boundary():
    assert parse_week("2026-W01").previous() == Week(2025, 52)
    assert parse_week("2026-W53").previous() == Week(2026, 52)


@pytest.mark.parametrize("text", ["2026-47", "2026W47", "2026-W7", "W47", "", "2026-W47x", "nope"])
def test_a_malformed_week_is_rejected(text):
    with pytest.raises(WeekError, match="ISO week such as 2026-W47"):
        parse_week(text)


def test_a_week_the_year_does_not_have_is_rejected():
    with pytest.raises(WeekError, match="2025 has 52 ISO weeks"):
        parse_week("2025-W53")
    with pytest.raises(WeekError, match="ISO weeks"):
        parse_week("2026-W00")


def test_the_last_complete_week_of_a_friday_is_the_week_before():
    assert last_complete_week(datetime(2026, 11, 20, 12, tzinfo=UTC), NEW_YORK).label == "2026-W46"


def test_the_last_complete_week_follows_the_report_time_zone():
    # Monday 03:00 UTC is still Sunday evening in New York: W47 has not ended there yet.
    monday_utc = datetime(2026, 11, 23, 3, tzinfo=UTC)
    assert last_complete_week(monday_utc, NEW_YORK).label == "2026-W46"
    assert last_complete_week(monday_utc, ZoneInfo("UTC")).label == "2026-W47"


def test_a_week_is_complete_from_the_next_local_monday():
    week = parse_week("2026-W47")
    assert not is_complete(week, datetime(2026, 11, 23, 4, 59, tzinfo=UTC), NEW_YORK)
    assert is_complete(week, datetime(2026, 11, 23, 5, 0, tzinfo=UTC), NEW_YORK)
