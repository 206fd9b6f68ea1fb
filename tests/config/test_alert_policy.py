"""``[alerts]``'s notification policy, routes and inhibit rules (spec section 6)."""

from __future__ import annotations

import textwrap

import pytest

from routing_health.config import ConfigError, parse_config
from routing_health.config.model import DEFAULT_INHIBIT_RULES, InhibitRule, Route, RuleConfig

TIERS = """
[tiers]
default = "standard"
[tiers.by_value]
Hot = "hot"
[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15
[tiers.sla.standard]
assign_minutes = 240
touch_minutes = 1440
[lead_fields]
region = "Region__c"
"""

SPEC_ALERTS = """
[alerts]
group_by = ["region"]
group_wait_seconds = 60
group_interval_minutes = 5
repeat_interval_hours = 4
max_new_groups = 5
resolve_minutes = 15
[alerts.rules.tta_p95]             # any rule name of the table above
enabled = true
threshold = 10.0                   # replaces the default (tier SLA for tta_p95 / touch_p95)
min_sample = 5
window_hours = 24
for_minutes = 10
severity = "warning"
[[alerts.overrides]]               # per segment; region and/or tier
rule = "assignment_success"
region = "APAC"
tier = "hot"
threshold = 0.99                   # or enabled = false
[[alerts.routes]]                  # first match wins unless continue = true
region = "EMEA"
severity = ["critical"]
slack_channel = "C0EMEAROUT"
email = ["emea-revops@example.com"]
[[alerts.inhibit]]
source_rule = "routing_failures"
target_rules = ["assignment_success", "volume_anomaly"]
equal = ["region", "tier"]
"""


def parse(text: str):
    return parse_config(TIERS + textwrap.dedent(text), source="routing_health.toml")


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return [(p.key, p.message) for p in caught.value.problems]


def test_the_spec_example_of_section_6_reads_every_key():
    alerts = parse(SPEC_ALERTS).alerts
    assert (alerts.group_by, alerts.group_wait_seconds, alerts.group_interval_minutes) == (
        ("region",), 60, 5)
    assert (alerts.repeat_interval_hours, alerts.max_new_groups, alerts.resolve_minutes) == (
        4, 5, 15)
    assert alerts.rules["tta_p95"] == RuleConfig(
        enabled=True, threshold=10.0, min_sample=5, window_hours=24, for_minutes=10,
        severity="warning")
    assert alerts.routes == (
        Route(region=("EMEA",), severity=("critical",), slack_channel="C0EMEAROUT",
              email=("emea-revops@example.com",)),
    )
    added = InhibitRule("routing_failures", ("assignment_success", "volume_anomaly"),
                        ("region", "tier"))
    assert alerts.inhibit == (*DEFAULT_INHIBIT_RULES, added)


def test_an_empty_alerts_table_gives_the_spec_defaults():
    alerts = parse("").alerts
    assert alerts.group_by == ("region",)
    assert (alerts.group_wait_seconds, alerts.group_interval_minutes) == (60, 5)
    assert (alerts.repeat_interval_hours, alerts.max_new_groups, alerts.resolve_minutes) == (
        4, 5, 15)
    assert alerts.routes == ()
    # sync_stale inhibits every data rule; flow_regression and routing_failures inhibit
    # assignment_success and volume_anomaly of the same region and tier; flow_regression also
    # routing_failures (spec section 10 and issue 16: it is "the root cause of the
    # routing_failures / assignment_success incidents that began after the activation").
    assert alerts.inhibit == (
        InhibitRule("sync_stale", (), ()),
        InhibitRule("flow_regression",
                    ("assignment_success", "routing_failures", "volume_anomaly"),
                    ("region", "tier")),
        InhibitRule("routing_failures", ("assignment_success", "volume_anomaly"),
                    ("region", "tier")),
    )


def test_reminder_hours_is_read_as_the_old_name_of_repeat_interval_hours():
    assert parse("[alerts]\nreminder_hours = 2\n").alerts.repeat_interval_hours == 2
    assert problems("[alerts]\nreminder_hours = 2\nrepeat_interval_hours = 3\n") == [
        ("alerts.reminder_hours", "set repeat_interval_hours only (reminder_hours is its old name)")
    ]


def test_a_route_matcher_may_be_one_string_or_a_list_and_continue_is_read():
    [route] = parse("""
        [[alerts.routes]]
        tier = ["hot", "standard"]
        rule = "routing_failures"
        email = "oncall@example.com"
        continue = true
    """).alerts.routes
    assert route == Route(tier=("hot", "standard"), rule=("routing_failures",),
                          email=("oncall@example.com",), continue_=True)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("[alerts]\ngroup_by = [\"region\", \"owner\"]\n", "alerts.group_by[1]",
         "cannot group by 'owner' (expected some of: region, tier, rule, severity)"),
        ("[alerts]\ngroup_by = [\"region\", \"region\"]\n", "alerts.group_by[1]",
         "'region' is listed twice"),
        ("[alerts.rules.tta_p95]\nseverity = \"page\"\n", "alerts.rules.tta_p95.severity",
         "unknown severity 'page' (expected one of: critical, warning, info)"),
        ("[alerts.rules.tta_p95]\nmin_count = 2\n", "alerts.rules.tta_p95.min_count",
         "min_count applies only to routing_failures"),
        ("[alerts.rules.routing_failures]\nmax_age_days = 2\n",
         "alerts.rules.routing_failures.max_age_days", "max_age_days applies only to queue_aging"),
        ("[[alerts.routes]]\nregion = \"EMEA\"\n", "alerts.routes[0]",
         "a route needs slack_channel and/or email"),
        ("[[alerts.routes]]\nemail = [\"revops at example.com\"]\n", "alerts.routes[0].email",
         "'revops at example.com' is not an e-mail address"),
        ("[[alerts.routes]]\nslack_channel = \"C1\"\nseverity = \"high\"\n",
         "alerts.routes[0].severity",
         "unknown severity 'high' (known: critical, info, warning)"),
        ("[[alerts.routes]]\nslack_channel = \"C1\"\ntier = \"cold\"\n", "alerts.routes[0].tier",
         "unknown tier 'cold' (known: hot, standard)"),
        ("[[alerts.inhibit]]\nsource_rule = \"sync_stael\"\n", "alerts.inhibit[0].source_rule",
         None),
        ("[[alerts.inhibit]]\nsource_rule = \"sync_stale\"\nequal = [\"queue\"]\n",
         "alerts.inhibit[0].equal[0]",
         "cannot compare 'queue' (expected some of: region, tier, rule, severity)"),
    ],
)
def test_a_bad_policy_value_is_one_problem_naming_its_key(text, key, message):
    [(got_key, got_message)] = problems(text)
    assert got_key == key
    if message is not None:
        assert got_message == message


def test_a_bad_policy_value_names_its_line():
    with pytest.raises(ConfigError) as caught:
        parse_config("[alerts]\n\nmax_new_groups = 0\n", source="routing_health.toml")
    assert str(caught.value).startswith("routing_health.toml:3: alerts.max_new_groups:")
