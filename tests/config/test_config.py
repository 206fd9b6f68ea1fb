"""The routing configuration file: parsing, defaults, validation and segment helpers."""

from __future__ import annotations

import datetime as dt
import pickle
import textwrap
from types import MappingProxyType

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing_health.config import (
    ALERT_RULE_NAMES,
    DEFAULT_TIER_SLA,
    CalendarSalesforceRefs,
    ConfigError,
    ConfigProblem,
    LeadFields,
    ReportConfig,
    RoutingConfig,
    RuleConfig,
    RuleOverride,
    Statuses,
    TierSla,
    Windows,
    load_config,
    parse_config,
)
from routing_health.lib.calendar import WHOLE_DAY, Calendar

SPEC_EXAMPLE = """\
[report]
timezone = "America/New_York"

[lead_fields]
region = "Region__c"
country = "CountryCode"
tier = "Rating"
failed_node = "Routing_Failed_Node__c"
rejection_reason = "Rejection_Reason__c"
extra = ["LeadSource", "Company"]

[owners]
holding = ["005Hs00000AbCdE", "00GHs00000HoLdQ"]
fallback = ["00GHs00000FaLbKMAV"]

[statuses]
accepted = ["Working - Contacted"]
rejected = ["Closed - Not Converted"]
closed = ["Closed - Converted", "Closed - Not Converted"]

[regions]
default = "Unknown"
[regions.by_country]
US = "AMER"
DE = "EMEA"
[regions.calendars]
EMEA = "emea"

[tiers]
default = "standard"
[tiers.by_value]
Hot = "hot"
Warm = "warm"
[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15
clock = "business"
[tiers.sla.warm]
assign_minutes = 60
touch_minutes = 240
[tiers.sla.standard]
assign_minutes = 240
touch_minutes = 1440.5

[windows]
routing_grace_minutes = 60
bounce_hours = 168
accept_hours = 24
queue_age_limit_hours = 24

[alerts]
reminder_hours = 4
[alerts.rules.tta_p95]
enabled = true
threshold = 10.0
min_sample = 5
window_hours = 24
[[alerts.overrides]]
rule = "assignment_success"
region = "EMEA"
tier = "hot"
threshold = 0.99

[calendars.emea]
timezone = "Europe/Berlin"
monday = ["09:00-17:30"]
tuesday = ["13:00-17:30", "09:00-12:00"]
wednesday = ["00:00-24:00"]
holidays = ["2026-12-25", "2026-12-26"]
salesforce_business_hours = "EMEA Support"
salesforce_holidays = ["Christmas"]
"""


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        parse_config(textwrap.dedent(text), source="routing_health.toml")
    return caught.value.problems


def only_problem(text: str) -> ConfigProblem:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


def dedent_parse(text: str) -> RoutingConfig:
    return parse_config(textwrap.dedent(text))


@pytest.fixture(scope="module")
def example() -> RoutingConfig:
    return parse_config(SPEC_EXAMPLE, source="routing_health.toml")


# --- the spec example -------------------------------------------------------------------------


def test_the_spec_example_reads_the_report_timezone(example):
    assert example.report == ReportConfig(timezone="America/New_York")


def test_the_spec_example_reads_the_lead_fields(example):
    assert example.lead_fields == LeadFields(
        region="Region__c",
        country="CountryCode",
        tier="Rating",
        failed_node="Routing_Failed_Node__c",
        rejection_reason="Rejection_Reason__c",
        extra=("LeadSource", "Company"),
    )


def test_the_spec_example_normalises_owner_ids_to_18_characters(example):
    assert example.owners.holding == {"005Hs00000AbCdEIAV", "00GHs00000HoLdQMAV"}
    assert example.owners.fallback == {"00GHs00000FaLbKMAV"}


def test_the_spec_example_reads_the_statuses(example):
    assert example.statuses == Statuses(
        accepted=frozenset({"Working - Contacted"}),
        rejected=frozenset({"Closed - Not Converted"}),
        closed=frozenset({"Closed - Converted", "Closed - Not Converted"}),
    )


def test_the_spec_example_reads_the_regions_in_file_order(example):
    assert example.regions.default == "Unknown"
    assert list(example.regions.by_country.items()) == [("US", "AMER"), ("DE", "EMEA")]
    assert dict(example.regions.calendars) == {"EMEA": "emea"}


def test_the_spec_example_reads_the_tiers_and_their_slas(example):
    assert example.tiers.default == "standard"
    assert list(example.tiers.by_value.items()) == [("Hot", "hot"), ("Warm", "warm")]
    assert dict(example.tiers.sla) == {
        "hot": TierSla(5.0, 15.0, "business"),
        "warm": TierSla(60.0, 240.0, None),
        "standard": TierSla(240.0, 1440.5, None),
    }


def test_the_spec_example_reads_the_windows(example):
    assert example.windows == Windows(60, 168, 24, 24)


def test_the_spec_example_reads_the_alert_rules_and_overrides(example):
    assert example.alerts.reminder_hours == 4
    assert dict(example.alerts.rules) == {"tta_p95": RuleConfig(True, 10.0, 5, 24.0)}
    assert example.alerts.overrides == (
        RuleOverride("assignment_success", region="EMEA", tier="hot", threshold=0.99),
    )


def test_the_spec_example_reads_the_calendar(example):
    assert dict(example.calendars) == {
        "emea": Calendar(
            name="emea",
            timezone="Europe/Berlin",
            week=(((540, 1050),), ((540, 720), (780, 1050)), ((0, 1440),), (), (), (), ()),
            holidays=((dt.date(2026, 12, 25), WHOLE_DAY), (dt.date(2026, 12, 26), WHOLE_DAY)),
        )
    }


def test_the_spec_example_keeps_the_calendars_salesforce_references(example):
    assert dict(example.calendar_salesforce) == {
        "emea": CalendarSalesforceRefs(business_hours="EMEA Support", holidays=("Christmas",))
    }


def test_the_spec_example_remembers_its_source(example):
    assert example.source == "routing_health.toml"


def test_the_parsed_configuration_is_immutable(example):
    with pytest.raises(AttributeError):
        example.windows.bounce_hours = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        example.regions.by_country["FR"] = "EMEA"  # type: ignore[index]
    assert isinstance(example.tiers.by_value, MappingProxyType)


def test_api_names_lists_the_configured_lead_fields_once_in_order():
    fields = LeadFields(region="Region__c", tier="Rating", extra=("Rating", "country", "Company"))
    assert fields.api_names() == ("Region__c", "Country", "Rating", "Company")


# --- defaults ---------------------------------------------------------------------------------


def test_an_empty_file_gives_every_default():
    config = parse_config("")
    assert config == RoutingConfig()
    assert config.report.timezone == "UTC"
    assert config.lead_fields.country == "Country"
    assert config.owners.holding == frozenset()
    assert config.regions.default == "Unknown"
    assert config.windows == Windows(60, 168, 24, 24)
    assert config.alerts.reminder_hours == 4


def test_without_slas_the_default_tier_gets_the_built_in_sla():
    config = dedent_parse('[tiers]\ndefault = "bronze"\n')
    assert dict(config.tiers.sla) == {"bronze": DEFAULT_TIER_SLA}
    assert config.sla_for("bronze") == TierSla(240.0, 1440.0, None)


# --- validation -------------------------------------------------------------------------------


def test_it_rejects_an_unknown_key_with_a_suggestion():
    problem = only_problem("[windows]\nbounce_hour = 3\n")
    assert problem.key == "windows.bounce_hour"
    assert problem.message == "unknown key (did you mean 'bounce_hours'?)"


def test_it_lists_the_known_keys_when_nothing_is_close():
    problem = only_problem('[report]\nzzz = "x"\n')
    assert problem.message == "unknown key (expected one of: timezone)"


def test_it_rejects_an_unknown_table():
    assert only_problem("[window]\n").message.endswith("(did you mean 'windows'?)")


def test_it_rejects_a_string_where_a_number_belongs():
    problem = only_problem('[windows]\naccept_hours = "24"\n')
    assert (problem.key, problem.message) == (
        "windows.accept_hours",
        "expected a number, got a string ('24')",
    )


def test_it_rejects_a_number_where_a_list_belongs():
    problem = only_problem("[statuses]\nclosed = 3\n")
    assert (problem.key, problem.message) == (
        "statuses.closed",
        "expected an array, got an integer (3)",
    )


def test_it_does_not_take_a_boolean_for_a_number():
    problem = only_problem("[windows]\nbounce_hours = true\n")
    assert problem.message == "expected a number, got a boolean (true)"


def test_it_rejects_a_table_that_is_not_a_table():
    assert only_problem('report = "UTC"\n').message == "expected a table, got a string ('UTC')"


def test_it_rejects_an_id_of_the_wrong_shape():
    problem = only_problem('[owners]\nholding = ["005Hs00000AbCdE", "00Gxx"]\n')
    assert problem.key == "owners.holding[1]"
    assert problem.message == "'00Gxx' is not a Salesforce Id (15 or 18 characters)"


def test_it_rejects_an_18_character_owner_id_with_a_wrong_suffix():
    problem = only_problem('[owners]\nfallback = ["00GHs00000FaLbKAAA"]\n')
    assert "last 3 characters should be 'MAV'" in problem.message


def test_it_rejects_an_owner_that_is_neither_a_user_nor_a_queue():
    problem = only_problem('[owners]\nholding = ["00QHs00000AbCdE"]\n')
    assert "neither a User (005...) nor a queue (00G...)" in problem.message


def test_it_rejects_an_id_in_both_holding_and_fallback_even_in_different_forms():
    problem = only_problem(
        '[owners]\nholding = ["00GHs00000FaLbK"]\nfallback = ["00GHs00000FaLbKMAV"]\n'
    )
    assert problem.key == "owners.fallback[0]"
    assert "also in owners.holding" in problem.message


def test_it_rejects_a_tier_without_sla():
    problem = only_problem(
        """
        [tiers.by_value]
        Hot = "hot"
        Cold = "cold"
        [tiers.sla.hot]
        assign_minutes = 5
        touch_minutes = 15
        [tiers.sla.standard]
        assign_minutes = 240
        touch_minutes = 1440
        """
    )
    assert (problem.key, problem.message) == (
        "tiers.by_value.Cold",
        "tier 'cold' has no SLA (add [tiers.sla.cold])",
    )


def test_it_rejects_a_default_tier_without_sla_once_slas_are_configured():
    problem = only_problem("[tiers.sla.hot]\nassign_minutes = 5\ntouch_minutes = 15\n")
    assert (problem.key, problem.message) == (
        "tiers.default",
        "tier 'standard' has no SLA (add [tiers.sla.standard])",
    )


def test_it_rejects_sla_minutes_that_are_not_positive():
    problem = only_problem("[tiers.sla.standard]\nassign_minutes = 0\ntouch_minutes = 15\n")
    assert (problem.key, problem.message) == (
        "tiers.sla.standard.assign_minutes",
        "must be greater than 0, got 0",
    )


def test_it_requires_both_sla_minutes():
    problem = only_problem("[tiers.sla.standard]\nassign_minutes = 10\n")
    assert (problem.key, problem.message) == (
        "tiers.sla.standard.touch_minutes",
        "missing required key",
    )


def test_it_rejects_an_unknown_sla_clock():
    problem = only_problem(
        '[tiers.sla.standard]\nassign_minutes = 1\ntouch_minutes = 2\nclock = "sundial"\n'
    )
    assert problem.message == 'expected "business" or "wall", got \'sundial\''


def test_it_rejects_a_negative_window():
    problem = only_problem("[windows]\nqueue_age_limit_hours = -1\n")
    assert (problem.key, problem.message) == (
        "windows.queue_age_limit_hours",
        "must be at least 0, got -1",
    )


def test_it_rejects_an_unknown_timezone():
    problem = only_problem('[report]\ntimezone = "Mars/Olympus"\n')
    assert "'Mars/Olympus' is not an IANA timezone" in problem.message


def test_it_rejects_a_lead_field_that_is_not_an_api_name():
    problem = only_problem('[lead_fields]\nregion = "Sales Region"\n')
    assert problem.key == "lead_fields.region"


def test_it_rejects_an_empty_lead_field_name():
    assert "must not be empty" in only_problem('[lead_fields]\ntier = ""\n').message


def test_it_rejects_a_status_that_is_both_accepted_and_rejected():
    problem = only_problem('[statuses]\naccepted = ["Open"]\nrejected = ["Open"]\n')
    assert problem.key == "statuses.rejected[0]"


def test_it_rejects_country_keys_that_differ_only_in_case():
    problem = only_problem('[regions.by_country]\nUS = "AMER"\nus = "EMEA"\n')
    assert problem.key == "regions.by_country.us"


def test_it_rejects_a_region_calendar_that_does_not_exist():
    problem = only_problem('[regions.by_country]\nDE = "EMEA"\n[regions.calendars]\nEMEA = "x"\n')
    assert problem.message == "no calendar named 'x' (define [calendars.x])"


def test_it_rejects_an_unknown_rule_name():
    problem = only_problem("[alerts.rules.tta_p96]\nenabled = false\n")
    assert (problem.key, problem.message) == (
        "alerts.rules.tta_p96",
        "unknown alert rule (did you mean 'tta_p95'?)",
    )


def test_it_rejects_an_override_for_an_unknown_rule():
    problem = only_problem(
        '[[alerts.overrides]]\nrule = "speed"\ntier = "standard"\nenabled = false\n'
    )
    assert problem.key == "alerts.overrides[0].rule"
    assert problem.message.startswith("'speed' is not an alert rule")


def test_it_rejects_an_override_with_an_unknown_tier():
    problem = only_problem(
        '[[alerts.overrides]]\nrule = "tta_p95"\ntier = "platinum"\nthreshold = 3\n'
    )
    assert problem.key == "alerts.overrides[0].tier"
    assert problem.message == "unknown tier 'platinum' (known tiers: standard)"


def test_it_rejects_an_override_without_region_or_tier():
    problem = only_problem('[[alerts.overrides]]\nrule = "tta_p95"\nenabled = false\n')
    assert problem.message == "an override needs a region and/or a tier"


def test_it_rejects_an_override_that_changes_nothing():
    problem = only_problem('[[alerts.overrides]]\nrule = "tta_p95"\ntier = "standard"\n')
    assert problem.message.startswith("an override must set")


def test_it_rejects_an_override_region_that_can_never_occur_without_a_region_field():
    problem = only_problem(
        '[[alerts.overrides]]\nrule = "tta_p95"\nregion = "APAC"\nenabled = false\n'
    )
    assert problem.message.startswith("region 'APAC' never occurs")


def test_it_accepts_any_override_region_when_regions_come_from_a_lead_field():
    config = dedent_parse(
        """
        [lead_fields]
        region = "Region__c"
        [[alerts.overrides]]
        rule = "tta_p95"
        region = "APAC"
        enabled = false
        """
    )
    assert config.alerts.overrides[0].region == "APAC"


def test_it_rejects_a_rate_threshold_above_one():
    problem = only_problem("[alerts.rules.assignment_success]\nthreshold = 99.5\n")
    assert problem.message == "a rate threshold must be between 0 and 1, got 99.5"


def test_it_rejects_a_fractional_min_sample():
    problem = only_problem("[alerts.rules.tta_p95]\nmin_sample = 2.5\n")
    assert problem.message == "expected an integer, got a float (2.5)"


# --- calendars --------------------------------------------------------------------------------


def calendar(body: str) -> Calendar:
    text = '[calendars.c]\ntimezone = "Europe/Berlin"\n' + textwrap.dedent(body)
    return parse_config(text).calendars["c"]


def calendar_problem(body: str) -> ConfigProblem:
    return only_problem('[calendars.c]\ntimezone = "Europe/Berlin"\n' + textwrap.dedent(body))


def test_a_calendar_allows_24_00_as_an_end_and_merges_touching_intervals():
    week = calendar('monday = ["12:00-24:00", "08:00-12:00"]\n').week
    assert week[0] == ((480, 1440),)


def test_a_calendar_rejects_overlapping_intervals():
    problem = calendar_problem('friday = ["09:00-12:00", "11:00-13:00"]\n')
    assert (problem.key, problem.message) == (
        "calendars.c.friday[1]",
        "'11:00-13:00' overlaps '09:00-12:00'",
    )


def test_a_calendar_rejects_an_interval_that_ends_before_it_starts():
    problem = calendar_problem('friday = ["22:00-06:00"]\n')
    assert "the start must be before the end" in problem.message


@pytest.mark.parametrize("interval", ["9-17", "09:00", "09:60-10:00", "24:00-24:00", "10:00-24:30"])
def test_a_calendar_rejects_a_malformed_interval(interval):
    problem = calendar_problem(f'friday = ["{interval}"]\n')
    assert problem.key == "calendars.c.friday[0]"


def test_a_calendar_requires_a_timezone():
    problem = only_problem('[calendars.c]\nmonday = ["09:00-17:00"]\n')
    assert (problem.key, problem.message) == ("calendars.c.timezone", "missing required key")


def test_a_calendar_must_be_open_sometime():
    problem = only_problem('[calendars.c]\ntimezone = "UTC"\n')
    assert problem.message.startswith("calendar is never open")


def test_a_calendar_may_take_its_hours_from_salesforce_business_hours():
    config = parse_config(
        '[calendars.c]\ntimezone = "UTC"\nsalesforce_business_hours = "Default"\n'
    )
    assert config.calendar_salesforce["c"].business_hours == "Default"


def test_a_calendar_accepts_holidays_as_strings_toml_dates_and_partial_closures():
    holidays = calendar(
        """
        monday = ["09:00-17:00"]
        holidays = [
            "2026-12-25",
            2026-12-26,
            { date = "2026-12-24", closed = ["12:00-24:00"] },
            { date = 2026-12-31 },
        ]
        """
    ).holiday_map()
    assert holidays == {
        dt.date(2026, 12, 24): ((720, 1440),),
        dt.date(2026, 12, 25): WHOLE_DAY,
        dt.date(2026, 12, 26): WHOLE_DAY,
        dt.date(2026, 12, 31): WHOLE_DAY,
    }


@pytest.mark.parametrize(
    ("holiday", "key", "message"),
    [
        ('"2026-02-30"', "calendars.c.holidays[0]", "'2026-02-30' is not a date (YYYY-MM-DD)"),
        ('"25/12/2026"', "calendars.c.holidays[0]", "'25/12/2026' is not a date (YYYY-MM-DD)"),
        ('{ closed = ["09:00-10:00"] }', "calendars.c.holidays[0].date", "missing required key"),
        ('{ date = "2026-12-24", closed = [] }', "calendars.c.holidays[0].closed", "closes"),
        ('{ date = "2026-12-24", open = [] }', "calendars.c.holidays[0].open", "unknown key"),
        ("2026-12-24T10:00:00Z", "calendars.c.holidays[0]", "got a datetime"),
    ],
)
def test_a_calendar_rejects_a_malformed_holiday(holiday, key, message):
    problem = calendar_problem(f'monday = ["09:00-17:00"]\nholidays = [{holiday}]\n')
    assert problem.key == key
    assert message in problem.message


def test_a_calendar_rejects_a_holiday_listed_twice():
    problem = calendar_problem('monday = ["09:00-17:00"]\nholidays = ["2026-12-25", 2026-12-25]\n')
    assert problem.message == "2026-12-25 is listed more than once"


# --- reporting --------------------------------------------------------------------------------


def test_it_reports_all_problems_together():
    problems = problems_of(
        """
        [windows]
        bounce_hour = 3
        accept_hours = -1
        [owners]
        holding = ["bad"]
        [alerts.rules.nope]
        """
    )
    assert [p.key for p in problems] == [
        "windows.bounce_hour",
        "windows.accept_hours",
        "owners.holding[0]",
        "alerts.rules.nope",
    ]


def test_it_gives_the_line_of_each_problem():
    problems = problems_of(
        """\
        [report]
        timezone = "UTC"

        [windows]
        bounce_hours = 1
        accept_hours = "x"
        """
    )
    assert [p.line for p in problems] == [6]


def test_it_gives_the_line_of_a_key_in_the_second_array_table():
    problems = problems_of(
        """\
        [[alerts.overrides]]
        rule = "tta_p95"
        tier = "standard"
        enabled = false
        [[alerts.overrides]]
        rule = "tta_p95"
        tier = "gold"
        enabled = false
        """
    )
    assert [(p.key, p.line) for p in problems] == [("alerts.overrides[1].tier", 7)]


def test_it_gives_the_table_line_for_a_missing_key():
    problems = problems_of('\n\n[calendars.x]\nmonday = ["09:00-10:00"]\n')
    assert [(p.key, p.line) for p in problems] == [("calendars.x.timezone", 3)]


def test_the_error_message_lists_each_problem_with_file_line_and_key():
    text = "\n" * 11 + '[owners]\nholding = ["005Hs00000AbCdE", "00Gxx"]\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="routing_health.toml")
    assert str(caught.value) == (
        "routing_health.toml:13: owners.holding[1]: "
        "'00Gxx' is not a Salesforce Id (15 or 18 characters)"
    )


def test_the_error_survives_pickling():
    with pytest.raises(ConfigError) as caught:
        parse_config("[windows]\nbounce_hour = 3\n")
    assert pickle.loads(pickle.dumps(caught.value)).problems == caught.value.problems


def test_a_toml_syntax_error_names_its_line():
    problem = only_problem('[report]\ntimezone = "UTC\n')
    assert problem.line == 2
    assert problem.message.startswith("invalid TOML:")


def test_load_config_reads_a_file(tmp_path):
    path = tmp_path / "routing_health.toml"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    config = load_config(path)
    assert config.source == str(path)
    assert config.tiers.sla["hot"].assign_minutes == 5


def test_load_config_names_a_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=f"configuration file not found: {path}"):
        load_config(path)


def test_load_config_reports_text_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[regions.by_country]\n"Österreich" = "EMEA"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=":2: not UTF-8"):
        load_config(path)


# --- segment helpers --------------------------------------------------------------------------


def test_region_for_prefers_the_region_field_value(example):
    assert example.region_for(" APAC ", "US") == "APAC"


def test_region_for_maps_the_country_ignoring_case_and_spaces(example):
    assert example.region_for("", " us ") == "AMER"


def test_region_for_falls_back_to_the_default_region(example):
    assert example.region_for(None, "FR") == "Unknown"


def test_tier_for_maps_the_tier_value_else_the_default(example):
    assert (example.tier_for("HOT"), example.tier_for("Cold"), example.tier_for(None)) == (
        "hot",
        "standard",
        "standard",
    )


def test_calendar_for_gives_a_regions_calendar_or_none(example):
    assert example.calendar_for("EMEA") is example.calendars["emea"]
    assert example.calendar_for("AMER") is None


def test_sla_for_names_an_unknown_tier(example):
    with pytest.raises(KeyError, match="gold"):
        example.sla_for("gold")


VALUES = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["", " ", "US", "us ", "DE", "FR", "Hot", " warm", "APAC", "cold"]),
)


@given(st.lists(st.tuples(VALUES, VALUES, VALUES), max_size=12))
def test_the_vectorised_segment_helpers_agree_with_the_scalar_ones(rows):
    config = parse_config(SPEC_EXAMPLE)
    region = pd.Series([r[0] for r in rows], dtype=object, index=range(5, 5 + len(rows)))
    country = pd.Series([r[1] for r in rows], dtype=object)
    tier = pd.Series([r[2] for r in rows], dtype=object)
    regions = config.regions_for(region, country)
    assert regions.tolist() == [config.region_for(r[0], r[1]) for r in rows]
    assert list(regions.index) == list(region.index)
    assert config.tiers_for(tier).tolist() == [config.tier_for(r[2]) for r in rows]


def test_the_vectorised_segment_helpers_accept_string_dtypes(example):
    region = pd.Series([None, "EMEA"], dtype="string")
    country = pd.Series(["US", None], dtype="string")
    assert example.regions_for(region, country).tolist() == ["AMER", "EMEA"]
    assert example.tiers_for(pd.Series(["Warm", None], dtype="string")).tolist() == [
        "warm",
        "standard",
    ]


def test_every_alert_rule_of_the_spec_is_known():
    # The table of spec section 6, then the rules sections 10's features add (issue 16 on).
    spec_table = {"routing_failures", "assignment_success", "tta_p95", "touch_p95",
                  "queue_aging", "rejection_rate", "inactive_owner", "volume_anomaly",
                  "flow_regression", "sync_stale"}
    assert spec_table <= set(ALERT_RULE_NAMES)
    assert {"kill_switch", "distribution_imbalance", "input_missing",
            "duplicate_outreach"} <= set(ALERT_RULE_NAMES)
    assert len(set(ALERT_RULE_NAMES)) == len(ALERT_RULE_NAMES)
