"""Rule settings and rule math over small hand-built facts (pure: no database, no Slack)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import pandas as pd
import pytest

from routing_health.alerts.evaluate import (
    SyncStatus,
    evaluate_facts,
    evaluate_sync,
    fingerprint,
)
from routing_health.alerts.rules import RULES, effective_rule
from routing_health.config import RoutingConfig, RuleOverride, parse_config
from routing_health.facts.params import params_from_config
from routing_health.lib.sfid import to_18
from routing_health.metrics import lead_facts, total_metrics
from tests.alerts.conftest import TIERS_TOML
from tests.metrics.frames import (
    activities_frame,
    leads_frame,
    owner_changes_frame,
    status_changes_frame,
)


def sfid(prefix: str, number: int) -> str:
    return to_18(f"{prefix}{number:012d}")


AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOLDING, FALLBACK, QUEUE, REP = sfid("00G", 1), sfid("00G", 2), sfid("00G", 3), sfid("005", 1)

TOML = f"""
[lead_fields]
region = "Region__c"
[owners]
holding = ["{HOLDING}"]
fallback = ["{FALLBACK}"]
[statuses]
rejected = ["Rejected"]
closed = ["Rejected", "Converted"]
{TIERS_TOML}"""


def config(extra: str = "") -> RoutingConfig:
    return parse_config(TOML + extra)


def minutes_ago(minutes: float) -> datetime:
    return AS_OF - timedelta(minutes=minutes)


class Org:
    """Leads and their history as engine input frames."""

    def __init__(self) -> None:
        self.leads: list[dict[str, Any]] = []
        self.owners: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self.touches: list[dict[str, Any]] = []

    def lead(self, *, age: float, owner: str = REP, region: str = "EMEA", tier: str = "hot",
             failed_node: str = "", assign_after: float | None = None,
             touch_after: float | None = None, rejected_after: float | None = None,
             name: str | None = None) -> str:
        """A lead created ``age`` minutes before AS_OF; with ``assign_after``, held by the
        holding queue until a rep takes it that many minutes after creation."""
        lead_id = sfid("00Q", len(self.leads) + 1)
        created = minutes_ago(age)
        initial = HOLDING if assign_after is not None else owner
        self.leads.append({"id": lead_id, "created_at": created, "owner_id": owner,
                           "region": region, "tier": tier, "failed_node": failed_node,
                           "name": name if name is not None else f"Lead {len(self.leads) + 1}"})
        if assign_after is not None:
            self.owners.append({"id": sfid("017", len(self.owners) + 1), "lead_id": lead_id,
                                "created_at": created + timedelta(minutes=assign_after),
                                "old_owner_id": initial, "new_owner_id": owner})
        if touch_after is not None:
            self.touches.append({"id": sfid("00T", len(self.touches) + 1), "lead_id": lead_id,
                                 "owner_id": REP,
                                 "created_at": created + timedelta(minutes=touch_after)})
        if rejected_after is not None:
            self.statuses.append({"id": sfid("017", 5000 + len(self.statuses)),
                                  "lead_id": lead_id, "old_status": "Open",
                                  "new_status": "Rejected",
                                  "created_at": created + timedelta(minutes=rejected_after)})
        return lead_id

    def facts(self, cfg: RoutingConfig, as_of: datetime = AS_OF) -> pd.DataFrame:
        return lead_facts(
            leads_frame(self.leads), owner_changes_frame(self.owners),
            status_changes_frame(self.statuses), activities_frame(self.touches),
            {HOLDING: "Lead Intake", FALLBACK: "Lead Triage", QUEUE: "EMEA Inbound"},
            params_from_config(cfg), as_of,
        )

    def evaluate(self, cfg: RoutingConfig, *, rules: Sequence[str] | None = None,
                 as_of: datetime = AS_OF, **kwargs: Any) -> list:
        facts = self.facts(cfg, as_of)
        labels = {lead["id"]: lead["name"] for lead in self.leads}
        return list(evaluate_facts(facts, cfg, as_of, labels=labels, rules=rules,
                                   **kwargs).findings)


# -- effective settings ------------------------------------------------------------------------


def test_every_rule_of_the_spec_is_registered_with_its_defaults() -> None:
    assert list(RULES) == ["assignment_success", "routing_failures", "tta_p95", "touch_p95",
                           "queue_aging", "rejection_rate", "volume_anomaly", "inactive_owner",
                           "flow_regression", "kill_switch", "distribution_imbalance",
                           "duplicate_outreach", "input_missing", "sync_stale"]
    assert (RULES["assignment_success"].default_threshold, RULES["assignment_success"].window_hours
            ) == (0.995, 24.0)
    assert (RULES["rejection_rate"].min_sample, RULES["rejection_rate"].window_hours) == (20, 168)
    assert RULES["tta_p95"].default_threshold == "tier assign SLA"
    assert not RULES["sync_stale"].data_derived and not RULES["sync_stale"].per_segment


# Spec section 6's table: (severity on a hot tier, on a slow tier, `for` in minutes).
SPEC_SEVERITY_AND_FOR = {
    "routing_failures": ("critical", "critical", 0),
    "assignment_success": ("critical", "warning", 10),
    "tta_p95": ("warning", "warning", 10),
    "touch_p95": ("warning", "warning", 10),
    "queue_aging": ("warning", "warning", 0),
    "rejection_rate": ("warning", "warning", 0),
    "inactive_owner": ("warning", "warning", 0),
    "volume_anomaly": ("warning", "warning", 0),
    "flow_regression": ("critical", "critical", 0),
    "duplicate_outreach": ("warning", "warning", 0),  # issue 17: not in spec section 6's table
}


@pytest.mark.parametrize("rule", sorted(SPEC_SEVERITY_AND_FOR))
def test_each_rule_has_the_severity_and_pending_period_of_the_spec(rule: str) -> None:
    hot, slow = effective_rule(config(), rule, "EMEA", "hot"), effective_rule(
        config(), rule, "EMEA", "standard")
    assert (hot.severity, slow.severity, hot.for_minutes) == SPEC_SEVERITY_AND_FOR[rule]
    assert slow.for_minutes == hot.for_minutes


def test_sync_stale_is_critical_and_fires_at_once() -> None:
    rule = effective_rule(config(), "sync_stale")
    assert (rule.severity, rule.for_minutes) == ("critical", 0)


def test_severity_and_for_minutes_follow_the_rule_table_and_the_overrides() -> None:
    cfg = config("""
[alerts.rules.tta_p95]
severity = "info"
for_minutes = 30
[[alerts.overrides]]
rule = "tta_p95"
region = "EMEA"
severity = "critical"
""")
    emea, amer = (effective_rule(cfg, "tta_p95", r, "hot") for r in ("EMEA", "AMER"))
    assert (emea.severity, emea.for_minutes) == ("critical", 30)
    assert (amer.severity, amer.for_minutes) == ("info", 30)


def test_sla_thresholds_come_from_the_tier() -> None:
    cfg = config()
    assert effective_rule(cfg, "tta_p95", "EMEA", "hot").threshold == 5
    assert effective_rule(cfg, "touch_p95", "EMEA", "standard").threshold == 1440
    assert effective_rule(cfg, "queue_aging", "EMEA", "hot").threshold == 24


def test_overrides_take_precedence_region_then_tier_then_both() -> None:
    cfg = config("""
[alerts.rules.assignment_success]
threshold = 0.99
min_sample = 3
[[alerts.overrides]]
rule = "assignment_success"
region = "EMEA"
threshold = 0.98
[[alerts.overrides]]
rule = "assignment_success"
tier = "hot"
threshold = 0.97
[[alerts.overrides]]
rule = "assignment_success"
region = "EMEA"
tier = "hot"
threshold = 0.96
""")
    assert effective_rule(cfg, "assignment_success", "AMER", "standard").threshold == 0.99
    assert effective_rule(cfg, "assignment_success", "EMEA", "standard").threshold == 0.98
    assert effective_rule(cfg, "assignment_success", "AMER", "hot").threshold == 0.97
    emea_hot = effective_rule(cfg, "assignment_success", "EMEA", "hot")
    assert (emea_hot.threshold, emea_hot.min_sample, emea_hot.window_hours) == (0.96, 3, 24.0)


def test_a_disabled_override_wins_at_its_level() -> None:
    cfg = config()
    overrides = (
        RuleOverride(rule="tta_p95", tier="hot", threshold=10.0),
        RuleOverride(rule="tta_p95", tier="hot", enabled=False),
        RuleOverride(rule="tta_p95", tier="hot", enabled=True),
    )
    cfg = replace(cfg, alerts=replace(cfg.alerts, overrides=overrides))
    rule = effective_rule(cfg, "tta_p95", "EMEA", "hot")
    assert (rule.enabled, rule.threshold) == (False, 10.0)


def test_a_more_specific_override_can_enable_what_a_rule_table_disabled() -> None:
    cfg = config("""
[alerts.rules.tta_p95]
enabled = false
[[alerts.overrides]]
rule = "tta_p95"
region = "EMEA"
tier = "hot"
enabled = true
""")
    assert effective_rule(cfg, "tta_p95", "EMEA", "hot").enabled
    assert not effective_rule(cfg, "tta_p95", "APAC", "hot").enabled


def test_queue_aging_watches_only_fast_tiers_unless_an_override_enables_one() -> None:
    assert effective_rule(config(), "queue_aging", "EMEA", "hot").enabled
    assert not effective_rule(config(), "queue_aging", "EMEA", "standard").enabled
    cfg = config('[[alerts.overrides]]\nrule = "queue_aging"\ntier = "standard"\nenabled = true\n')
    assert effective_rule(cfg, "queue_aging", "EMEA", "standard").enabled


# -- rule math ---------------------------------------------------------------------------------


def test_assignment_success_matches_the_metric_and_lists_failed_leads_oldest_first() -> None:
    org = Org()
    for age in range(10, 200, 10):
        org.lead(age=age)
    newer = org.lead(age=30, owner=FALLBACK)
    older = org.lead(age=90, failed_node="Assign EMEA")
    cfg = config()
    [finding] = org.evaluate(cfg, rules=["assignment_success"])
    expected = total_metrics(org.facts(cfg), params_from_config(cfg))["assignment_success_rate"]
    assert finding.value == pytest.approx(expected) and finding.value < 0.995
    assert finding.lead_ids == (older, newer)
    assert dict(finding.reasons) == {"Assign EMEA": 1, "fallback: Lead Triage": 1}
    assert finding.segment == {"region": "EMEA", "tier": "hot"}


def test_windows_are_relative_to_as_of_not_local_days() -> None:
    org = Org()
    org.lead(age=24 * 60, failed_node="Old")  # exactly 24 h before as_of: outside
    inside = org.lead(age=24 * 60 - 1, failed_node="New")
    findings = org.evaluate(config(), rules=["routing_failures"])
    assert [(f.failure_reason, f.lead_ids) for f in findings] == [("New", (inside,))]


def test_routing_failures_fire_once_per_failure_reason() -> None:
    org = Org()
    org.lead(age=5, failed_node="Assign EMEA")
    org.lead(age=6, failed_node="Assign EMEA")
    org.lead(age=7, owner=FALLBACK)
    findings = org.evaluate(config(), rules=["routing_failures"])
    assert sorted((f.failure_reason, f.value) for f in findings) == [
        ("Assign EMEA", 2.0), ("fallback: Lead Triage", 1.0)]
    assert len({f.fingerprint for f in findings}) == 2
    assert findings[0].fingerprint == fingerprint("routing_failures", "EMEA", "hot",
                                                  findings[0].failure_reason)


def test_routing_failures_on_a_slow_tier_need_min_count_failures_with_one_reason() -> None:
    org = Org()
    for i in range(2):
        org.lead(age=5 + i, tier="standard", failed_node="Assign AMER")
    org.lead(age=9, tier="standard", failed_node="Other node")
    assert org.evaluate(config(), rules=["routing_failures"]) == []  # 2 < 3 and 1 < 3
    third = org.lead(age=8, tier="standard", failed_node="Assign AMER")
    [finding] = org.evaluate(config(), rules=["routing_failures"])
    assert (finding.failure_reason, finding.value, finding.threshold) == ("Assign AMER", 3.0, 3.0)
    assert third in finding.lead_ids
    cfg = config("[alerts.rules.routing_failures]\nmin_count = 2\n")
    [finding] = org.evaluate(cfg, rules=["routing_failures"])
    assert finding.threshold == 2.0


def test_one_routing_failure_of_a_tier_assigned_within_15_minutes_fires() -> None:
    org = Org()
    org.lead(age=5, tier="hot", failed_node="Assign EMEA")  # hot: assign_minutes = 5
    [finding] = org.evaluate(config(), rules=["routing_failures"])
    assert (finding.value, finding.threshold) == (1.0, 1.0)


def test_queue_aging_ignores_leads_created_before_max_age_days() -> None:
    org = Org()
    org.lead(age=8 * 24 * 60, owner=QUEUE)  # 8 days: a leftover for the digest
    assert org.evaluate(config(), rules=["queue_aging"]) == []
    recent = org.lead(age=6 * 24 * 60, owner=QUEUE)  # 6 days, 144 h queued > 24 h
    [finding] = org.evaluate(config(), rules=["queue_aging"])
    assert finding.lead_ids == (recent,)
    cfg = config("[alerts.rules.queue_aging]\nmax_age_days = 9\n")
    [finding] = org.evaluate(cfg, rules=["queue_aging"])
    assert len(finding.lead_ids) == 2


def test_inactive_owner_fires_per_deactivated_user_owning_leads_of_the_last_24_hours() -> None:
    org = Org()
    a = org.lead(age=60)
    b = org.lead(age=23 * 60)
    old = org.lead(age=25 * 60)  # created before the window
    active = org.lead(age=30)
    cfg = config()
    facts = org.facts(cfg)
    inactive = facts["lead_id"].isin([a, b, old])
    facts["owner_inactive"] = inactive
    facts["owner_name"] = facts["lead_id"].map({a: "Ina Gone", b: "Ina Gone", old: "Ina Gone"})
    [finding] = evaluate_facts(facts, cfg, AS_OF, rules=["inactive_owner"]).findings
    assert (finding.failure_reason, finding.value, finding.lead_ids) == ("Ina Gone", 2.0, (b, a))
    assert active not in finding.lead_ids
    assert finding.fingerprint == fingerprint("inactive_owner", "EMEA", "hot", "Ina Gone")


def test_tta_p95_needs_five_assigned_leads() -> None:
    org = Org()
    for i in range(4):
        org.lead(age=100 + i, assign_after=30 + i)
    assert org.evaluate(config(), rules=["tta_p95"]) == []
    slowest = org.lead(age=200, assign_after=90)
    cfg = config()
    [finding] = org.evaluate(cfg, rules=["tta_p95"])
    metrics = total_metrics(org.facts(cfg), params_from_config(cfg))
    assert finding.value == pytest.approx(metrics["tta_p95_minutes"])
    assert (finding.threshold, finding.sample, finding.lead_ids[0]) == (5.0, 5, slowest)


def test_touch_p95_compares_with_the_tier_touch_sla() -> None:
    org = Org()
    for i in range(5):
        org.lead(age=300, tier="standard", touch_after=100 + i)
    assert org.evaluate(config(), rules=["touch_p95"]) == []  # 104 min ≤ 1440
    org2 = Org()
    for i in range(5):
        org2.lead(age=300, touch_after=20 + i)
    [finding] = org2.evaluate(config(), rules=["touch_p95"])
    assert finding.value == pytest.approx(23.8) and finding.threshold == 15


def test_queue_aging_fires_for_hot_leads_queued_past_the_limit() -> None:
    org = Org()
    stuck = org.lead(age=30 * 60, owner=QUEUE)
    org.lead(age=2 * 60, owner=QUEUE)
    org.lead(age=30 * 60, owner=QUEUE, tier="standard")  # a slow tier: not watched
    [finding] = org.evaluate(config(), rules=["queue_aging"],
                             queue_names={QUEUE: "EMEA Inbound"})
    assert (finding.tier, finding.lead_ids) == ("hot", (stuck,))
    assert finding.reasons == (("EMEA Inbound", 1),)
    assert finding.value == pytest.approx(30.0) and finding.window == "leads in a queue now"


def test_rejection_rate_needs_twenty_assigned_leads_over_seven_days() -> None:
    org = Org()
    for i in range(19):
        org.lead(age=60 * 24 * 3 + i, assign_after=1, rejected_after=5 if i < 3 else None)
    assert org.evaluate(config(), rules=["rejection_rate"]) == []
    org.lead(age=60, assign_after=1)
    [finding] = org.evaluate(config(), rules=["rejection_rate"])
    assert finding.value == pytest.approx(3 / 20) and finding.sample == 20


def _volume_org(baseline: Sequence[int], current: int) -> Org:
    org = Org()
    for week, count in enumerate(baseline, start=1):
        for i in range(count):
            org.lead(age=week * 7 * 24 * 60 + 5 + i, owner=FALLBACK)
    for i in range(current):
        org.lead(age=5 + i, owner=FALLBACK)
    return org


def test_volume_anomaly_fires_far_above_the_same_hour_of_previous_weeks() -> None:
    cfg = config()
    start = AS_OF - timedelta(weeks=5)
    quiet = _volume_org([1, 0, 1, 0], current=3).evaluate(
        cfg, rules=["volume_anomaly"], history_start=start)
    assert quiet == []  # 3 is not above max(3, mean + 3 sd, 2 × mean)
    [finding] = _volume_org([1, 0, 1, 0], current=4).evaluate(
        cfg, rules=["volume_anomaly"], history_start=start)
    assert (finding.value, finding.threshold) == (4.0, 3.0)
    busy = _volume_org([10, 12, 11, 9], current=15).evaluate(
        cfg, rules=["volume_anomaly"], history_start=start)
    assert busy == []  # above the mean, but not twice it


def test_volume_anomaly_is_quiet_without_two_weeks_of_baseline() -> None:
    org = _volume_org([0, 0, 0, 0], current=20)
    recent_start = AS_OF - timedelta(days=10)
    assert org.evaluate(config(), rules=["volume_anomaly"], history_start=recent_start) == []
    assert org.evaluate(config(), rules=["volume_anomaly"],
                        history_start=AS_OF - timedelta(days=15))


def test_a_segment_without_enough_data_produces_no_finding() -> None:
    org = Org()
    org.lead(age=10)
    assert org.evaluate(config()) == []


# -- sync_stale --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_success", "failed", "fires"),
    [
        (AS_OF - timedelta(minutes=29), (), False),
        (AS_OF - timedelta(minutes=31), (), True),
        (AS_OF - timedelta(minutes=5), ("Lead",), True),
        (None, (), True),
    ],
)
def test_sync_stale_fires_when_old_or_failed(last_success: datetime | None,
                                             failed: tuple[str, ...], fires: bool) -> None:
    finding = evaluate_sync(SyncStatus(last_success, failed), config(), AS_OF)
    assert (finding is not None) == fires
    if finding is not None:
        assert finding.segment == MappingProxyType({}) and finding.threshold == 30


def test_sync_stale_can_be_disabled() -> None:
    cfg = config("[alerts.rules.sync_stale]\nenabled = false\n")
    assert evaluate_sync(SyncStatus(None), cfg, AS_OF) is None


def test_an_sla_rule_uses_business_minutes_when_the_tier_clock_says_so() -> None:
    calendar = """
[calendars.office]
timezone = "UTC"
monday = ["09:00-17:00"]
tuesday = ["09:00-17:00"]
wednesday = ["09:00-17:00"]
thursday = ["09:00-17:00"]
friday = ["09:00-17:00"]
[regions.calendars]
EMEA = "office"
"""
    org = Org()
    for i in range(5):  # Thursday 16:50 → Friday 09:0i: 16 h of wall time, 10 + i open minutes
        org.lead(age=19 * 60 + 10, assign_after=16 * 60 + 10 + i)
    business_toml = TOML.replace("touch_minutes = 15", 'touch_minutes = 15\nclock = "business"')
    business = parse_config(business_toml + calendar)
    assert effective_rule(business, "tta_p95", "EMEA", "hot").clock == "business"
    [finding] = org.evaluate(business, rules=["tta_p95"])
    assert finding.value == pytest.approx(13.8) and finding.window.endswith("(business minutes)")
    # Unset, the clock is business where the region has a calendar (spec section 10) ...
    [default] = org.evaluate(config(calendar), rules=["tta_p95"])
    assert default.value == pytest.approx(13.8)
    # ... and `clock = "wall"` measures wall-clock minutes.
    wall_toml = TOML.replace("touch_minutes = 15", 'touch_minutes = 15\nclock = "wall"')
    [wall] = org.evaluate(parse_config(wall_toml + calendar), rules=["tta_p95"])
    assert wall.value == pytest.approx(16 * 60 + 10 + 3.8)
    lenient = '[[alerts.overrides]]\nrule = "tta_p95"\ntier = "hot"\nthreshold = 60.0\n'
    assert org.evaluate(parse_config(business_toml + calendar + lenient), rules=["tta_p95"]) == []


def _with_duplicates(facts: pd.DataFrame, contacts: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """The facts with the duplicates columns of ``metrics.duplicates.attach``; ``contacts``: lead
    Id -> (e-mail, company). No Accounts."""
    from routing_health.metrics.duplicates import Settings, attach

    frame = pd.DataFrame([{"lead_id": k, "email": e, "website": None, "company": c}
                          for k, (e, c) in contacts.items()])
    accounts = pd.DataFrame(columns=["account_id", "owner_id", "name", "website", "domain"])
    return attach(facts, frame, accounts, Settings(window_days=30.0), pd.Timestamp(AS_OF))


def test_duplicate_outreach_fires_on_two_leads_of_one_company_routed_to_two_reps() -> None:
    other_rep = sfid("005", 2)
    org = Org()
    a = org.lead(age=60)  # REP, acme.com
    b = org.lead(age=24 * 60, owner=other_rep)  # the other rep, acme.com, a day earlier
    c = org.lead(age=30)  # REP, initech.io: one rep only
    old = org.lead(age=8 * 24 * 60, owner=other_rep)  # hooli.com, 8 days ago: out of the 7-d window
    d = org.lead(age=10)  # REP, hooli.com: flagged (the partner is 8 days old, within 30 days)
    cfg = config()
    facts = _with_duplicates(org.facts(cfg), {
        a: ("ann@acme.com", "Acme"), b: ("bo@acme.com", "Acme Inc"),
        c: ("c@initech.io", "Initech"), old: ("h@hooli.com", "Hooli"),
        d: ("i@hooli.com", "Hooli"),
    })
    [finding] = evaluate_facts(facts, cfg, AS_OF, rules=["duplicate_outreach"]).findings
    # a, b and d are flagged and created in the last 7 days; old is flagged but older. The sample
    # is the 4 candidates of the window (a, b, c, d); oldest first.
    assert (finding.value, finding.threshold, finding.sample) == (3.0, 0.0, 4)
    assert finding.lead_ids == (b, a, d)
    assert finding.reasons == (("acme.com", 2), ("hooli.com", 1))
    assert finding.fingerprint == fingerprint("duplicate_outreach", "EMEA", "hot")


def test_duplicate_outreach_stays_quiet_below_its_threshold_and_without_the_columns() -> None:
    other_rep = sfid("005", 2)
    org = Org()
    a = org.lead(age=60)
    b = org.lead(age=24 * 60, owner=other_rep)
    cfg = config("[alerts.rules.duplicate_outreach]\nthreshold = 2\n")  # more than 2
    facts = org.facts(cfg)
    assert evaluate_facts(facts, cfg, AS_OF, rules=["duplicate_outreach"]).findings == ()
    flagged = _with_duplicates(facts, {a: ("a@acme.com", ""), b: ("b@acme.com", "")})
    assert evaluate_facts(flagged, cfg, AS_OF, rules=["duplicate_outreach"]).findings == ()
    [finding] = evaluate_facts(flagged, config(), AS_OF, rules=["duplicate_outreach"]).findings
    assert finding.value == 2.0
