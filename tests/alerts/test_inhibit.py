"""Root cause first (spec section 6): inhibit rules, pure and end to end."""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

import pytest

from routing_health.alerts.evaluate import Finding, fingerprint
from routing_health.alerts.inhibit import causes
from routing_health.alerts.service import run_evaluation
from routing_health.config.model import DEFAULT_INHIBIT_RULES, InhibitRule
from routing_health.models import AlertIncident, Lead
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.slack.transport import SlackTransport
from tests.alerts.conftest import T0, DbOrg


def finding(rule: str, region: str = "EMEA", tier: str = "hot", severity: str = "warning",
            reason: str | None = None) -> Finding:
    return Finding(
        fingerprint=fingerprint(rule, region, tier, reason), rule=rule,
        segment=MappingProxyType({"region": region, "tier": tier}), failure_reason=reason,
        value=1.0, threshold=1.0, comparison=">", window="", sample=1, severity=severity,
    )


def test_routing_failures_inhibit_assignment_success_and_volume_of_the_same_segment_only():
    cause = finding("routing_failures", severity="critical", reason="Assign EMEA")
    success = finding("assignment_success", severity="critical")
    volume = finding("volume_anomaly")
    elsewhere = finding("assignment_success", region="APAC")
    slow = finding("tta_p95")  # not a target of the default rules
    found = [cause, success, volume, elsewhere, slow]
    cause_of = causes(found, DEFAULT_INHIBIT_RULES, {f.fingerprint for f in found})
    assert cause_of == {success.fingerprint: cause, volume.fingerprint: cause}


def test_a_pending_cause_inhibits_nothing_yet():
    cause = finding("routing_failures", reason="Assign EMEA")
    success = finding("assignment_success")
    assert causes([cause, success], DEFAULT_INHIBIT_RULES, {success.fingerprint}) == {}


def test_sync_stale_inhibits_every_data_rule_and_a_rule_never_inhibits_itself():
    stale = Finding(fingerprint=fingerprint("sync_stale"), rule="sync_stale",
                    segment=MappingProxyType({}), failure_reason=None, value=45.0,
                    threshold=30.0, comparison=">", window="", sample=0, severity="critical")
    slow = finding("tta_p95")
    found = [stale, slow]
    assert causes(found, DEFAULT_INHIBIT_RULES, {stale.fingerprint, slow.fingerprint}) == {
        slow.fingerprint: stale}


def test_equal_labels_must_match_and_the_worst_cause_wins():
    by_region = (InhibitRule("queue_aging", ("tta_p95",), ("region",)),
                 InhibitRule("routing_failures", ("tta_p95",), ("region",)))
    warning_cause = finding("queue_aging", tier="warm")
    critical_cause = finding("routing_failures", tier="warm", severity="critical", reason="X")
    target = finding("tta_p95", tier="hot")  # another tier, same region: equal = [region]
    found = [warning_cause, critical_cause, target]
    cause_of = causes(found, by_region, {f.fingerprint for f in found})
    assert cause_of == {target.fingerprint: critical_cause}


ONLY_FAILURES_AND_SUCCESS = """
[alerts.rules.volume_anomaly]
enabled = false
[alerts.rules.assignment_success]
for_minutes = 0
"""


@pytest.mark.django_db
def test_a_consequence_is_shown_under_its_cause_and_paged_only_once_the_cause_resolves(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_FAILURES_AND_SUCCESS)
    for i in range(20):
        org.lead(created_at=T0 - timedelta(hours=3, minutes=i))
    failed = org.failing(2)  # hot tier: any failure is a routing_failures incident
    run_evaluation(config=org.config, as_of=T0, now=T0, transport=transport)

    [message] = slack_emulator.messages  # the cause only
    assert "Assign EMEA" in message.text
    success = AlertIncident.objects.get(rule="assignment_success")
    cause = AlertIncident.objects.get(rule="routing_failures")
    assert (success.state, success.inhibited_by) == ("firing", cause.fingerprint)

    # The cause goes away (here: its rule is switched off) while assignment success stays
    # low: the consequence is now uncovered and pages, once.
    org.alerts_toml += "[alerts.rules.routing_failures]\nenabled = false\n"
    at = T0
    for _ in range(5):
        at += timedelta(minutes=5)
        run_evaluation(config=org.config, as_of=at, now=at, transport=transport)
    success.refresh_from_db()
    assert (success.state, success.inhibited_by, success.announced) == ("firing", "", True)
    texts = [m.text for m in slack_emulator.messages]
    assert sum("Assignment success" in t for t in texts) == 1
    assert Lead.objects.filter(id__in=failed).count() == 2
