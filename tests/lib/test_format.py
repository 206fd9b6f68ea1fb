"""The one formatter: each rule at its thresholds, with hand-written expected strings."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from routing_health.lib.format import (
    NO_DATA,
    format_count,
    format_date,
    format_duration,
    format_hours,
    format_minutes,
    format_rate,
    format_time,
    format_value,
)
from routing_health.metrics.catalog import format_metric


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.9375, "93.8%"),
        (0.95, "95.0%"),
        (0.011, "1.1%"),
        (0.9899, "99.0%"),
        (0.99, "99.00%"),
        (0.9953, "99.53%"),
        (0.995, "99.50%"),
        (0.0047, "0.47%"),
        (0.01, "1.00%"),
        (0.0, "0%"),
        (1.0, "100%"),
    ],
)
def test_a_rate_reads_with_one_decimal_and_two_within_a_point_of_either_end(
    value: float, shown: str
) -> None:
    assert format_rate(value) == shown


def test_a_rate_short_of_one_never_reads_100_percent_nor_above_zero_0_percent() -> None:
    assert format_rate(0.99999) == "99.99%"
    assert format_rate(0.00001) == "0.01%"


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (0.2, "12 s"),
        (59.4 / 60, "59 s"),
        (0.999, "1 min"),  # 59.94 s shows as a minute, not "60 s"
        (4.5, "4.5 min"),
        (42.0, "42 min"),
        (59.94, "59.9 min"),
        (59.96, "1 h"),  # would read "60 min"
        (60.0, "1 h"),
        (190.0, "3.2 h"),
        (47.94 * 60, "47.9 h"),
        (47.96 * 60, "2 d"),  # would read "48 h"
        (48 * 60.0, "2 d"),
        (3000.0, "2.1 d"),
        (1440.0 * 1234, "1,234 d"),
        (-3.5, "−3.5 min"),
    ],
)
def test_a_duration_reads_in_seconds_minutes_hours_or_days_at_fixed_thresholds(
    minutes: float, shown: str
) -> None:
    assert format_minutes(minutes) == shown


def test_hours_and_timedeltas_follow_the_minutes_rule() -> None:
    assert format_hours(30.5) == "30.5 h"
    assert format_hours(50.0) == "2.1 d"
    assert format_duration(timedelta(minutes=42)) == "42 min"


def test_counts_have_thousands_separators() -> None:
    assert format_count(12345) == "12,345"
    assert format_count(7.0) == "7"
    assert format_count(0) == "0"


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, float("nan"), pd.NA])
def test_missing_values_read_no_data_in_every_unit(missing: object) -> None:
    for unit in ("rate", "minutes", "hours", "count"):
        assert format_value(missing, unit) == NO_DATA  # type: ignore[arg-type]
    assert NO_DATA == "—"


def test_format_metric_takes_the_unit_from_the_catalog() -> None:
    assert format_metric("assignment_success_rate", 0.9953) == "99.53%"
    assert format_metric("tta_p95_minutes", 3000.0) == "2.1 d"
    assert format_metric("tta_p95_business_minutes", 42.0) == "42 min"
    assert format_metric("oldest_queue_age_hours", 30.5) == "30.5 h"
    assert format_metric("leads", 12345) == "12,345"
    assert format_metric("bounce_rate", None) == NO_DATA


def test_format_metric_of_an_unknown_metric_names_it() -> None:
    with pytest.raises(KeyError, match="'tta_p99_minutes'"):
        format_metric("tta_p99_minutes", 1.0)


def test_an_unknown_unit_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'percent'"):
        format_value(0.5, "percent")


def test_a_time_reads_in_the_report_timezone_across_the_spring_dst_change() -> None:
    # Europe/Berlin moves from CET (+1) to CEST (+2) at 01:00 UTC on 2026-03-29.
    assert format_time(datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "Europe/Berlin") == (
        "2026-03-29 01:59 CET"
    )
    assert format_time(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "Europe/Berlin") == (
        "2026-03-29 03:00 CEST"
    )


def test_a_time_reads_in_the_report_timezone_across_the_autumn_dst_change() -> None:
    # New York falls back from EDT (-4) to EST (-5) at 06:00 UTC on 2026-11-01: 01:30 twice.
    zone = ZoneInfo("America/New_York")
    assert format_time(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), zone) == "2026-11-01 01:30 EDT"
    assert format_time(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), zone) == "2026-11-01 01:30 EST"


def test_a_naive_time_is_read_as_utc() -> None:
    assert format_time(datetime(2026, 1, 5, 10, 0), "UTC") == "2026-01-05 10:00 UTC"
    assert format_time(datetime(2026, 1, 5, 10, 0), "Asia/Tokyo") == "2026-01-05 19:00 JST"


def test_a_missing_time_reads_no_data() -> None:
    assert format_time(None, "UTC") == NO_DATA
    assert format_time(pd.NaT, "UTC") == NO_DATA


def test_an_unknown_timezone_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'Europe/Atlantis'"):
        format_time(datetime(2026, 1, 5, tzinfo=UTC), "Europe/Atlantis")


def test_a_date_reads_iso_and_a_datetime_takes_its_local_date() -> None:
    assert format_date(date(2026, 3, 29)) == "2026-03-29"
    # 23:30 UTC on the 28th is already the 29th in Berlin.
    assert format_date(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "Europe/Berlin") == "2026-03-29"
    assert format_date(None) == NO_DATA
