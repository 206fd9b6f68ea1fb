"""``[data_quality]`` (issue 17, item 4): the routing-critical fields, their validity rules and
the thresholds of the ``input_missing`` rule."""

from __future__ import annotations

import pytest

from routing_health.config import ConfigError, parse_config
from routing_health.config.model import DataQuality, FieldRule


def test_without_the_table_nothing_is_checked_and_the_defaults_are_the_documented_ones():
    settings = parse_config("").data_quality
    assert settings == DataQuality()
    assert not settings.enabled
    assert settings.api_names() == ()
    # docs/configuration.md: LeadSource, 24 h against 14 days, 10 leads, 30 points and 3 x.
    assert (settings.source_field, settings.window_hours, settings.baseline_days,
            settings.min_leads, settings.min_increase, settings.min_ratio) == (
        "LeadSource", 24.0, 14, 10, 0.3, 3.0)


def test_every_key_is_read():
    settings = parse_config(
        '[data_quality]\nfields = ["Country", "State", "Territory__c"]\n'
        'source_field = "Lead_Channel__c"\nwindow_hours = 12\nbaseline_days = 7\n'
        "min_leads = 5\nmin_increase = 0.2\nmin_ratio = 2\n"
        '[data_quality.rules.Country]\nallowed = ["US", " DE"]\n'
        '[data_quality.rules.State]\npattern = "[A-Z]{2}"\n'
    ).data_quality
    assert settings == DataQuality(
        fields=(FieldRule("Country", allowed=frozenset({"US", "DE"})),
                FieldRule("State", pattern="[A-Z]{2}"), FieldRule("Territory__c")),
        source_field="Lead_Channel__c", window_hours=12.0, baseline_days=7, min_leads=5,
        min_increase=0.2, min_ratio=2.0,
    )
    assert settings.api_names() == ("Country", "State", "Territory__c", "Lead_Channel__c")


def test_the_source_field_is_pulled_once_when_it_is_also_listed():
    settings = parse_config('[data_quality]\nfields = ["leadsource", "Country"]\n').data_quality
    assert settings.api_names() == ("leadsource", "Country")


@pytest.mark.parametrize(("toml", "message"), [
    ('fields = ["Country Code"]', "'Country Code' is not a Lead field API name"),
    ('fields = ["Country", "country"]', "'country' is listed twice"),
    ('fields = ["Country"]\nsource_field = "Lead Source"', "data_quality.source_field"),
    ('fields = ["Country"]\nmin_increase = 2', "a share between 0 and 1"),
    ('fields = ["Country"]\nmin_ratio = 0.5', "data_quality.min_ratio"),
    ('fields = ["Country"]\nbaseline_days = 0', "data_quality.baseline_days"),
    ('fields = ["Country"]\n[data_quality.rules.State]\nallowed = ["NY"]',
     "rules for 'State', which is not in data_quality.fields"),
    ('fields = ["Country"]\n[data_quality.rules.Country]\npattern = "[A-Z"',
     "not a regular expression"),
    ('fields = ["Country"]\n[data_quality.rules.Country]\nallowed = []',
     "data_quality.rules.Country.allowed"),
    ('fields = ["Country"]\n[data_quality.rules.Country]\nvalues = ["US"]',
     "data_quality.rules.Country.values"),
    ("threshold = 1", "data_quality.threshold"),
])
def test_bad_values_are_reported_naming_the_setting(toml: str, message: str):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[data_quality]\n{toml}\n")
    assert message in str(caught.value)
