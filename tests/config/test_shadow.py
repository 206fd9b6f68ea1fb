"""``[shadow]`` (issue 17): the candidate-owner fields of shadow routing."""

from __future__ import annotations

import pytest

from routing_health.config import ConfigError, Shadow, parse_config
from routing_health.sync.objects import LEAD_FIELDS, lead_fields


def test_without_the_table_there_is_no_shadow_comparison():
    config = parse_config("")
    assert config.shadow is None
    assert lead_fields(config) == [*LEAD_FIELDS, "Country"]  # the default country field


def test_the_defaults_are_the_documented_ones():
    shadow = parse_config('[shadow]\ncandidate_field = "AI_Owner__c"\n').shadow
    # docs/configuration.md: 30 days, 10 points.
    assert shadow == Shadow("AI_Owner__c", None, None, 30, 0.10)


def test_every_key_is_read_and_the_fields_are_pulled_by_the_sync():
    config = parse_config(
        '[lead_fields]\nextra = ["AI_Reason__c"]\n'
        '[shadow]\ncandidate_field = "AI_Owner__c"\nexplanation_field = "AI_Reason__c"\n'
        'priority_field = "AI_Priority__c"\nconversion_days = 14\nbias_threshold = 0.2\n'
    )
    assert config.shadow == Shadow("AI_Owner__c", "AI_Reason__c", "AI_Priority__c", 14, 0.2)
    # The reason is already an extra field: pulled once.
    assert lead_fields(config) == [
        *LEAD_FIELDS, "Country", "AI_Reason__c", "AI_Owner__c", "AI_Priority__c"
    ]


@pytest.mark.parametrize(("toml", "message"), [
    ("conversion_days = 30", "shadow.candidate_field: missing required key"),
    ('candidate_field = "AI Owner"', "'AI Owner' is not a Salesforce field API name"),
    ('candidate_field = "A__c"\nexplanation_field = "a__c"', "'a__c' is also shadow.candidate"),
    ('candidate_field = "A__c"\nconversion_days = 0', "from 1 to 366, got 0"),
    ('candidate_field = "A__c"\nconversion_days = 2.5', "from 1 to 366, got 2.5"),
    ('candidate_field = "A__c"\nbias_threshold = 0', "greater than 0"),
    ('candidate_field = "A__c"\nbias_threshold = 1.5', "between 0 and 1"),
    ('candidate_field = "A__c"\ncandidate = "x"', "shadow.candidate: unknown key"),
])
def test_a_bad_value_is_reported_naming_the_setting(toml, message):
    with pytest.raises(ConfigError) as raised:
        parse_config(f"[shadow]\n{toml}\n")
    assert message in str(raised.value)
