"""Salesforce BusinessHours and Holiday (spec section 10): small, read in full every run.

Stored as ``BusinessHoursRecord`` / ``HolidayRecord``; ``routing_health.facts.calendars`` turns
them into business-hours calendars. A completed run deletes the rows it did not write (records
deleted in Salesforce), through ``ObjectSpec.prune``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import models

from routing_health.config import RoutingConfig
from routing_health.lib.upsert import upsert
from routing_health.models import BusinessHoursRecord, HolidayRecord
from routing_health.sync.records import (
    PageResult,
    parse_all,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_id,
    parse_int,
    parse_time,
    text,
)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
BUSINESS_HOURS_FIELDS = (
    "Id",
    "Name",
    "IsActive",
    "IsDefault",
    "TimeZoneSidKey",
    *(f"{day}{edge}Time" for day in WEEKDAY_NAMES for edge in ("Start", "End")),
    "SystemModstamp",
)
HOLIDAY_FIELDS = (
    "Id",
    "Name",
    "ActivityDate",
    "IsAllDay",
    "StartTimeInMinutes",
    "EndTimeInMinutes",
    "IsRecurrence",
    "SystemModstamp",
)


def _modstamp(r: dict[str, Any]) -> datetime | None:
    value = r.get("SystemModstamp")
    return parse_datetime(value, "SystemModstamp") if value else None


def write_business_hours(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    def build(r: dict[str, Any]) -> BusinessHoursRecord:
        times = {
            f"{day.lower()}_{edge.lower()}": parse_time(
                r.get(f"{day}{edge}Time"), f"{day}{edge}Time"
            )
            for day in WEEKDAY_NAMES
            for edge in ("Start", "End")
        }
        return BusinessHoursRecord(
            id=parse_id(r.get("Id"), "Id"),
            name=text(r.get("Name")),
            is_active=parse_bool(r.get("IsActive")),
            is_default=parse_bool(r.get("IsDefault")),
            time_zone_sid_key=text(r.get("TimeZoneSidKey"), 64),
            system_modstamp=_modstamp(r),
            **times,
        )

    rows, skipped = parse_all("BusinessHours", records, build)
    return PageResult(upsert(BusinessHoursRecord, rows), skipped, None)


def write_holidays(records: list[dict[str, Any]], config: RoutingConfig) -> PageResult:
    def build(r: dict[str, Any]) -> HolidayRecord:
        return HolidayRecord(
            id=parse_id(r.get("Id"), "Id"),
            name=text(r.get("Name")),
            activity_date=parse_date(r.get("ActivityDate"), "ActivityDate"),
            is_all_day=parse_bool(r.get("IsAllDay")),
            start_time_in_minutes=parse_int(r.get("StartTimeInMinutes"), "StartTimeInMinutes"),
            end_time_in_minutes=parse_int(r.get("EndTimeInMinutes"), "EndTimeInMinutes"),
            is_recurrence=parse_bool(r.get("IsRecurrence")),
            system_modstamp=_modstamp(r),
        )

    rows, skipped = parse_all("Holiday", records, build)
    return PageResult(upsert(HolidayRecord, rows), skipped, None)


def pruner(model: type[models.Model]) -> Callable[[datetime], int]:
    def prune(before: datetime) -> int:
        deleted, _ = model.objects.filter(synced_at__lt=before).delete()
        return deleted

    return prune
