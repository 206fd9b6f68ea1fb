"""Salesforce BusinessHours and Holiday: read in full each run, before the leads they time."""

from __future__ import annotations

from datetime import date, time

import pytest

from routing_health.models import BusinessHoursRecord, HolidayRecord, SyncRun
from routing_health.sync.objects import OBJECTS
from routing_health.sync.service import sync_salesforce
from tests.sync.calendar_records import add_business_hours, add_holiday

pytestmark = pytest.mark.django_db

def stored() -> dict[str, list[tuple]]:
    def rows(model) -> list[tuple]:
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "synced_at"]
        return sorted(model.objects.values_list(*fields))

    return {"hours": rows(BusinessHoursRecord), "holidays": rows(HolidayRecord)}


def test_business_hours_and_holidays_are_synced_before_the_leads() -> None:
    order = list(OBJECTS)
    assert order.index("BusinessHours") < order.index("Lead")
    assert order.index("Holiday") < order.index("Lead")
    assert OBJECTS["BusinessHours"].watermark_field is None
    assert OBJECTS["Holiday"].watermark_field is None


def test_business_hours_keep_local_times_and_closed_days(sf_client, config, tiny):
    hours = add_business_hours(
        tiny.org, monday=("00:00", "00:00"), friday=("09:00", "16:00"), saturday=("10:00", "14:00")
    )
    outcome = sync_salesforce(client=sf_client, config=config, objects=["BusinessHours"])
    assert outcome.ok, outcome.summary()
    assert outcome.objects[0].mode == "full"
    row = BusinessHoursRecord.objects.get(id=hours)
    assert (row.name, row.time_zone_sid_key, row.is_active) == ("EMEA Hours", "Europe/Berlin", True)
    assert (row.monday_start, row.monday_end) == (time(0), time(0))  # 24 hours
    assert (row.tuesday_start, row.tuesday_end) == (time(9), time(17, 30))
    assert (row.friday_start, row.friday_end) == (time(9), time(16))
    assert (row.saturday_start, row.saturday_end) == (time(10), time(14))
    assert (row.sunday_start, row.sunday_end) == (None, None)  # closed


def test_holidays_keep_their_date_and_closed_minutes(sf_client, config, tiny):
    christmas = add_holiday(tiny.org, "Christmas Day", date(2026, 12, 25))
    eve = add_holiday(tiny.org, "Christmas Eve", date(2026, 12, 24), minutes=(720, 1440))
    assert sync_salesforce(client=sf_client, config=config, objects=["Holiday"]).ok
    whole = HolidayRecord.objects.get(id=christmas)
    assert (whole.name, whole.activity_date, whole.is_all_day) == (
        "Christmas Day",
        date(2026, 12, 25),
        True,
    )
    partial = HolidayRecord.objects.get(id=eve)
    assert partial.is_all_day is False
    assert (partial.start_time_in_minutes, partial.end_time_in_minutes) == (720, 1440)


def test_syncing_calendars_twice_gives_identical_rows(sf_client, config, tiny):
    add_business_hours(tiny.org)
    add_holiday(tiny.org, "Christmas Day", date(2026, 12, 25))
    assert sync_salesforce(client=sf_client, config=config).ok
    first = stored()
    assert sync_salesforce(client=sf_client, config=config).ok
    assert stored() == first
    assert len(first["hours"]) == 1 and len(first["holidays"]) == 1


def test_a_holiday_removed_in_salesforce_is_removed_by_the_next_sync(sf_client, config, tiny):
    keep = add_holiday(tiny.org, "Christmas Day", date(2026, 12, 25))
    gone = add_holiday(tiny.org, "Boxing Day", date(2026, 12, 26))
    assert sync_salesforce(client=sf_client, config=config, objects=["Holiday"]).ok
    assert HolidayRecord.objects.count() == 2
    with tiny.org.lock:  # Holiday has no IsDeleted: Salesforce deletes it for good
        tiny.org._data["Holiday"].pop(gone)
    assert sync_salesforce(client=sf_client, config=config, objects=["Holiday"]).ok
    assert list(HolidayRecord.objects.values_list("id", flat=True)) == [keep]


def test_a_changed_business_hours_record_is_updated(sf_client, config, tiny):
    hours = add_business_hours(tiny.org)
    assert sync_salesforce(client=sf_client, config=config, objects=["BusinessHours"]).ok
    tiny.org.update("BusinessHours", hours, FridayEndTime="15:00:00.000Z")
    assert sync_salesforce(client=sf_client, config=config, objects=["BusinessHours"]).ok
    assert BusinessHoursRecord.objects.get(id=hours).friday_end == time(15)


def test_a_failed_run_removes_nothing(sf_client, config, tiny, emulator):
    add_holiday(tiny.org, "Christmas Day", date(2026, 12, 25))
    assert sync_salesforce(client=sf_client, config=config, objects=["Holiday"]).ok
    emulator.faults.add(kind=403, path="/query")
    outcome = sync_salesforce(client=sf_client, config=config, objects=["Holiday"])
    assert "limit" in outcome.objects[0].error.lower()  # optional: recorded, not blocking
    assert HolidayRecord.objects.count() == 1
    assert SyncRun.objects.filter(object_name="Holiday").first().status == SyncRun.Status.FAILED


def test_a_malformed_business_hours_time_is_skipped_and_counted(sf_client, config, tiny):
    add_business_hours(tiny.org, name="Good")
    bad = add_business_hours(tiny.org, name="Bad")
    tiny.org.update("BusinessHours", bad, MondayStartTime="nine o'clock")
    outcome = sync_salesforce(client=sf_client, config=config, objects=["BusinessHours"])
    assert outcome.ok
    assert outcome.objects[0].skipped == 1
    assert list(BusinessHoursRecord.objects.values_list("name", flat=True)) == ["Good"]
