"""Pending (spec section 6): a breach waits out its rule's ``for``, measured on evaluation
times, before it fires; a breach shorter than that never pages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from routing_health.alerts.service import EvaluationReport, run_evaluation
from routing_health.models import AlertIncident, IncidentEvent, Lead, Notification
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.slack.transport import SlackTransport
from tests.alerts.conftest import T0, DbOrg

pytestmark = pytest.mark.django_db

# Only assignment_success (spec `for`: 10 minutes) on a slow tier, where two failures are
# below routing_failures' min_count of 3.
ONLY_ASSIGNMENT_SUCCESS = """
[alerts.rules.routing_failures]
enabled = false
[alerts.rules.volume_anomaly]
enabled = false
"""


def evaluate(org: DbOrg, at: datetime, transport: SlackTransport) -> EvaluationReport:
    return run_evaluation(config=org.config, as_of=at, now=at, transport=transport)


def failing_org() -> tuple[DbOrg, list[str]]:
    org = DbOrg(alerts_toml=ONLY_ASSIGNMENT_SUCCESS)
    for i in range(20):
        org.lead(created_at=T0 - timedelta(hours=2, minutes=i), tier="standard")
    failed = org.failing(2, tier="standard", at=T0 - timedelta(hours=1))
    return org, failed


def test_a_breach_shorter_than_for_sends_nothing_and_leaves_a_dropped_incident(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org, failed = failing_org()
    first = evaluate(org, T0, transport)
    incident = AlertIncident.objects.get()
    assert (incident.rule, incident.state, incident.fired_at) == (
        "assignment_success", "pending", None)
    assert first.count("pend") == 1
    evaluate(org, T0 + timedelta(minutes=5), transport)  # 5 < 10 minutes: still pending
    assert AlertIncident.objects.get().state == "pending"

    Lead.objects.filter(id__in=failed).update(failed_node="")  # the condition clears
    evaluate(org, T0 + timedelta(minutes=9), transport)

    incident = AlertIncident.objects.get()
    assert (incident.state, incident.resolved_at) == ("resolved", T0 + timedelta(minutes=9))
    assert Notification.objects.count() == 0 and slack_emulator.messages == []
    events = list(IncidentEvent.objects.order_by("id").values_list("kind", "note"))
    assert events == [("pending", ""), ("resolved", "cleared while pending: it never fired")]


def test_a_breach_that_lasts_for_sends_exactly_one_group_message(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org, _ = failing_org()
    for minutes in (0, 5, 9):
        evaluate(org, T0 + timedelta(minutes=minutes), transport)
    assert slack_emulator.messages == []
    evaluate(org, T0 + timedelta(minutes=10), transport)  # held for exactly `for`: fires
    for minutes in (15, 20, 25):
        evaluate(org, T0 + timedelta(minutes=minutes), transport)

    assert len(slack_emulator.messages) == 1
    incident = AlertIncident.objects.get()
    assert (incident.state, incident.episode) == ("firing", 1)
    assert (incident.first_seen, incident.fired_at) == (T0, T0 + timedelta(minutes=10))
    assert incident.severity == "warning"  # assignment_success on a slow tier


def test_a_for_of_zero_fires_at_the_first_evaluation(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org, _ = failing_org()
    org.alerts_toml += "[alerts.rules.assignment_success]\nfor_minutes = 0\n"
    evaluate(org, T0, transport)
    assert AlertIncident.objects.get().state == "firing"
    assert len(slack_emulator.messages) == 1


def test_assignment_success_on_a_fast_tier_is_critical(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ASSIGNMENT_SUCCESS)
    for i in range(20):
        org.lead(created_at=T0 - timedelta(hours=2, minutes=i))  # hot: assign_minutes = 5
    org.failing(1)
    evaluate(org, T0, transport)
    assert AlertIncident.objects.get().severity == "critical"
