"""The filter helper: parsing, defaults in the report timezone, links."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict

from dashboards.filters import (
    MSG_SWAPPED,
    Filters,
    ReportSettings,
    parse_filters,
    report_settings,
)

NEW_YORK = ReportSettings("America/New_York", ZoneInfo("America/New_York"))
UTC_REPORT = ReportSettings("UTC", ZoneInfo("UTC"))
# 02:00 UTC on Nov 20 is still Nov 19 in New York.
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def parse(query: str, report: ReportSettings = UTC_REPORT) -> Filters:
    return parse_filters(QueryDict(query), report=report, now=NOW)


def test_the_default_range_is_the_last_seven_complete_days_in_the_report_timezone():
    filters = parse("", NEW_YORK)
    assert (filters.start, filters.end) == (date(2026, 11, 12), date(2026, 11, 18))
    assert filters.is_default_range
    assert filters.errors == ()


def test_the_default_range_in_utc_ends_yesterday_utc():
    filters = parse("")
    assert (filters.start, filters.end) == (date(2026, 11, 13), date(2026, 11, 19))


def test_iso_dates_and_text_filters_are_read():
    filters = parse("start=2026-11-01&end=2026-11-07&region=EMEA&tier=hot&source=Web")
    assert (filters.start, filters.end) == (date(2026, 11, 1), date(2026, 11, 7))
    assert (filters.region, filters.tier, filters.source) == ("EMEA", "hot", "Web")
    assert filters.days == 7


def test_a_bad_date_falls_back_to_the_default_and_says_so():
    filters = parse("start=yesterday")
    assert filters.start == date(2026, 11, 13)
    assert filters.errors and "start='yesterday'" in filters.errors[0]
    assert "start" not in filters.explicit


def test_a_start_after_the_end_is_swapped_and_reported():
    filters = parse("start=2026-11-09&end=2026-11-02")
    assert (filters.start, filters.end) == (date(2026, 11, 2), date(2026, 11, 9))
    assert MSG_SWAPPED in filters.errors


def test_an_absurd_year_is_refused():
    assert parse("end=9999-12-31").end == date(2026, 11, 19)


def test_text_filters_are_trimmed_and_blank_ones_ignored():
    filters = parse("region=%20EMEA%20&tier=")
    assert filters.region == "EMEA"
    assert filters.tier == ""
    assert filters.explicit == {"region"}


def test_an_overlong_text_filter_is_ignored_with_an_error():
    filters = parse("region=" + "x" * 300)
    assert filters.region == ""
    assert filters.errors


def test_querystring_repeats_only_explicit_filters():
    assert parse("region=EMEA").querystring() == "?region=EMEA"
    assert parse("").querystring() == ""


def test_querystring_applies_overrides_and_removals():
    filters = parse("start=2026-11-01&end=2026-11-07&region=EMEA")
    assert filters.querystring(page=2) == "?start=2026-11-01&end=2026-11-07&region=EMEA&page=2"
    assert filters.querystring(region=None) == "?start=2026-11-01&end=2026-11-07"
    assert filters.querystring(start=date(2026, 10, 1), end="") == "?start=2026-10-01&region=EMEA"


def test_querystring_encodes_values():
    assert parse("source=Web%20%26%20Events").querystring() == "?source=Web+%26+Events"


def test_the_filters_are_immutable():
    with pytest.raises(AttributeError):
        parse("").region = "EMEA"  # type: ignore[misc]


def test_created_between_spans_the_local_days_in_utc():
    filters = parse("start=2026-11-01&end=2026-11-01", NEW_YORK)
    begin, stop = filters.created_between()
    # Nov 1, 2026 is the day US daylight saving time ends: a 25-hour local day.
    assert begin == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert stop == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)


def test_chips_offer_removal_of_explicit_filters_only():
    chips = parse("region=EMEA").chips()
    assert [chip.label for chip in chips] == ["Nov 13 – Nov 19, 2026 (last 7 days)", "Region: EMEA"]
    assert [chip.removable for chip in chips] == [False, True]
    assert chips[1].remove_querystring == ""


def test_report_settings_fall_back_to_utc_with_a_reason_when_the_file_is_missing(
    settings, tmp_path
):
    settings.ROUTING_HEALTH_CONFIG = str(tmp_path / "nowhere.toml")
    report = report_settings()
    assert report.timezone_name == "UTC"
    assert report.problem and "nowhere.toml" in report.problem


def test_report_settings_fall_back_to_utc_when_the_file_is_invalid(settings, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[report]\ntimezone = 5\n")
    settings.ROUTING_HEALTH_CONFIG = str(path)
    report = report_settings()
    assert report.timezone_name == "UTC"
    assert report.problem


def test_report_settings_read_the_report_timezone(settings, tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text('[report]\ntimezone = "Europe/Berlin"\n')
    settings.ROUTING_HEALTH_CONFIG = str(path)
    report = report_settings()
    assert (report.timezone_name, report.problem) == ("Europe/Berlin", None)
