"""Salesforce BusinessHours and Holiday records in the emulator org (test helpers)."""

from __future__ import annotations

from datetime import date

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def add_business_hours(org, name: str = "EMEA Hours", **days: tuple[str | None, str | None]) -> str:
    """Europe/Berlin, weekdays 09:00-17:30 unless ``monday=("HH:MM", "HH:MM")`` etc. say
    otherwise (``(None, None)``: closed); Salesforce's ``09:00:00.000Z`` time format."""
    record = {"Name": name, "IsActive": True, "IsDefault": False, "TimeZoneSidKey": "Europe/Berlin"}
    for day in (*WEEKDAYS, "Saturday", "Sunday"):
        start, end = days.get(day.lower(), ("09:00", "17:30") if day in WEEKDAYS else (None, None))
        record[f"{day}StartTime"] = None if start is None else f"{start}:00.000Z"
        record[f"{day}EndTime"] = None if end is None else f"{end}:00.000Z"
    return org.insert("BusinessHours", record)


def add_holiday(org, name: str, day: date, minutes: tuple[int, int] | None = None) -> str:
    """An all-day holiday, or one closing ``minutes`` (start, end after local midnight)."""
    record = {"Name": name, "ActivityDate": day, "IsAllDay": minutes is None, "IsRecurrence": False}
    if minutes is not None:
        record["StartTimeInMinutes"], record["EndTimeInMinutes"] = minutes
    return org.insert("Holiday", record)
