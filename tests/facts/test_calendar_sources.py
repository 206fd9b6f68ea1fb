"""Calendars completed from synced Salesforce BusinessHours / Holiday records."""

from __future__ import annotations

from datetime import date, time

import pytest

from routing_health.config import parse_config
from routing_health.facts.calendars import (
    MSG_NEVER_OPEN,
    MSG_NO_BUSINESS_HOURS,
    MSG_NO_HOLIDAY,
    merge_salesforce,
    resolve,
    resolved_params,
)
from routing_health.facts.params import params_from_config
from routing_health.lib.calendar import WHOLE_DAY, Calendar
from routing_health.models import BusinessHoursRecord, HolidayRecord
from routing_health.sync.service import sync_salesforce
from tests.sync.calendar_records import add_business_hours, add_holiday

NINE_TO_HALF_FIVE = ((540, 1050),)
EMPTY_WEEK = ((),) * 7


def hours(**days: tuple[time | None, time | None]) -> BusinessHoursRecord:
    """An unsaved record: weekdays 09:00-17:30 in Berlin unless given."""
    fields = {}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        weekday = day not in ("saturday", "sunday")
        start, end = days.get(day, (time(9), time(17, 30)) if weekday else (None, None))
        fields[f"{day}_start"], fields[f"{day}_end"] = start, end
    return BusinessHoursRecord(
        id="01m000000000001AAA", name="EMEA Hours", is_active=True,
        time_zone_sid_key="Europe/Berlin", **fields,
    )


def holiday(name: str, day: date, minutes: tuple[int, int] | None = None, **extra) -> HolidayRecord:
    start, end = minutes or (None, None)
    return HolidayRecord(
        name=name, activity_date=day, is_all_day=minutes is None,
        start_time_in_minutes=start, end_time_in_minutes=end, **extra,
    )


def file_calendar(week=EMPTY_WEEK, holidays=(), timezone="Europe/Berlin") -> Calendar:
    return Calendar("emea", timezone, week, holidays)


def test_a_business_hours_record_gives_the_weekly_hours_in_its_timezone() -> None:
    calendar, problems = merge_salesforce(file_calendar(), hours(), {})
    assert calendar == Calendar("emea", "Europe/Berlin", (NINE_TO_HALF_FIVE,) * 5 + ((), ()))
    assert problems == []


def test_midnight_to_midnight_is_open_24_hours_and_a_midnight_end_runs_to_midnight() -> None:
    record = hours(monday=(time(0), time(0)), tuesday=(time(13), time(0)))
    calendar, _ = merge_salesforce(file_calendar(), record, {})
    assert calendar.week[0] == WHOLE_DAY
    assert calendar.week[1] == ((780, 1440),)


def test_a_day_listed_in_the_file_replaces_that_day_of_the_record() -> None:
    week = ((), (), (), (), ((540, 720),), (), ())
    calendar, _ = merge_salesforce(file_calendar(week), hours(), {})
    assert calendar.week[4] == ((540, 720),)  # the file's short Friday
    assert calendar.week[0] == NINE_TO_HALF_FIVE  # Salesforce's Monday


def test_the_records_timezone_wins_and_a_different_file_timezone_is_reported() -> None:
    calendar, problems = merge_salesforce(file_calendar(timezone="Europe/London"), hours(), {})
    assert calendar.timezone == "Europe/Berlin"
    assert problems and "Europe/London" in problems[0]


def test_holidays_of_the_file_and_of_salesforce_are_closed_together() -> None:
    file_holidays = ((date(2026, 12, 24), ((720, 1050),)), (date(2026, 12, 31), WHOLE_DAY))
    named = {
        "Christmas": [holiday("Christmas", date(2026, 12, 25))],
        "Christmas Eve": [holiday("Christmas Eve", date(2026, 12, 24), (540, 780))],
    }
    calendar, problems = merge_salesforce(file_calendar(holidays=file_holidays), hours(), named)
    assert dict(calendar.holidays) == {
        date(2026, 12, 24): ((540, 1050),),  # 09:00-13:00 from Salesforce, 12:00-17:30 the file
        date(2026, 12, 25): WHOLE_DAY,
        date(2026, 12, 31): WHOLE_DAY,
    }
    assert problems == []


def test_a_holiday_name_with_several_records_closes_every_date() -> None:
    named = {"Christmas Day": [holiday("Christmas Day", date(y, 12, 25)) for y in (2025, 2026)]}
    calendar, _ = merge_salesforce(file_calendar(), hours(), named)
    assert [day for day, _ in calendar.holidays] == [date(2025, 12, 25), date(2026, 12, 25)]


def test_a_recurring_holiday_counts_on_its_date_and_is_reported() -> None:
    named = {"New Year": [holiday("New Year", date(2026, 1, 1), is_recurrence=True)]}
    calendar, problems = merge_salesforce(file_calendar(), hours(), named)
    assert dict(calendar.holidays) == {date(2026, 1, 1): WHOLE_DAY}
    assert "recurs" in problems[0]


def test_an_unresolved_reference_without_file_hours_leaves_the_region_on_wall_clock() -> None:
    calendar, problems = merge_salesforce(file_calendar(), None, {"Gone": []})
    assert calendar is None
    assert problems == [
        MSG_NO_HOLIDAY.format(calendar="emea", name="Gone"),
        MSG_NEVER_OPEN.format(calendar="emea"),
    ]


def test_an_unresolved_reference_with_file_hours_keeps_the_file_calendar() -> None:
    week = (NINE_TO_HALF_FIVE,) * 5 + ((), ())
    calendar, _ = merge_salesforce(file_calendar(week), None, {})
    assert calendar == file_calendar(week)


SALESFORCE_CALENDAR = """
[regions.by_country]
DE = "EMEA"
[regions.calendars]
EMEA = "emea"
[calendars.emea]
timezone = "Europe/Berlin"
salesforce_business_hours = "EMEA Hours"
salesforce_holidays = ["Christmas Day", "Boxing Day"]
"""


@pytest.mark.django_db
def test_a_calendar_resolves_against_the_synced_records(sf_client, config, tiny) -> None:
    add_business_hours(tiny.org, friday=("09:00", "16:00"))
    add_business_hours(tiny.org, name="AMER Hours")
    add_holiday(tiny.org, "Christmas Day", date(2026, 12, 25))
    add_holiday(tiny.org, "Boxing Day", date(2026, 12, 26), minutes=(0, 720))
    add_holiday(tiny.org, "Labor Day", date(2026, 9, 7))
    assert sync_salesforce(client=sf_client, config=config, objects=["BusinessHours", "Holiday"]).ok
    routing = parse_config(SALESFORCE_CALENDAR)
    resolution = resolve(routing)
    assert resolution.problems == ()
    assert resolution.calendars["emea"] == Calendar(
        "emea",
        "Europe/Berlin",
        (NINE_TO_HALF_FIVE,) * 4 + (((540, 960),), (), ()),
        ((date(2026, 12, 25), WHOLE_DAY), (date(2026, 12, 26), ((0, 720),))),
    )
    params = resolved_params(routing)
    assert params.calendar_for("EMEA") == resolution.calendars["emea"]


@pytest.mark.django_db
def test_before_the_first_sync_a_salesforce_only_calendar_is_left_out() -> None:
    routing = parse_config(SALESFORCE_CALENDAR)
    resolution = resolve(routing)
    assert resolution.calendars == {}
    assert MSG_NO_BUSINESS_HOURS.format(calendar="emea", name="EMEA Hours") in resolution.problems
    assert resolved_params(routing).calendar_for("EMEA") is None
    # The Django-free parameters never treat it as a never-open calendar either.
    assert params_from_config(routing).calendar_for("EMEA") is None
