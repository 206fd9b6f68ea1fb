"""``flow_regression`` (spec sections 6 and 10, issue 16 item 1), end to end on the database.

The flow ``Lead_Router`` is activated at 09:00 on Friday 2026-11-20 (T0 − 3 h). The after side is
the leads created 09:00–12:00 that day seen at 12:00; the baseline the same hours a week earlier
(Friday 2026-11-13 09:00–12:00) seen at 12:00 that day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from routing_health.alerts.evaluate import fingerprint
from routing_health.alerts.flow_loading import check_flows
from routing_health.alerts.group_blocks import GroupItem, group_payload
from routing_health.alerts.message import AlertMessage
from routing_health.alerts.service import run_evaluation
from routing_health.lib.sfid import to_18
from routing_health.models import AlertIncident, FlowVersionChange
from tests.alerts.conftest import FALLBACK, INSTANCE, T0, DbOrg

ACTIVATED = T0 - timedelta(hours=3)
WEEK = timedelta(days=7)
V12, V13, V14 = (to_18(f"30100000000{n:04d}") for n in (12, 13, 14))
NODE = "Decision: Assign by Territory"
CHANGE_SAFETY = """
[change_safety]
flows = ["Lead_Router"]
"""
FLOW_KEY = fingerprint("flow_regression", "EMEA", "hot", "Lead_Router")


@pytest.fixture
def org(db: Any) -> DbOrg:
    return DbOrg(alerts_toml=CHANGE_SAFETY)


def activate(at: datetime, old: str, new: str, numbers: tuple[int, int] | None = (12, 13),
             by: str = "Ada Admin") -> None:
    FlowVersionChange.objects.create(
        flow_api_name="Lead_Router", label="Lead Router", old_active_version_id=old,
        new_active_version_id=new, changed_at=at,
        old_version_number=numbers[0] if numbers else None,
        new_version_number=numbers[1] if numbers else None, activated_by=by if numbers else "",
    )


def routed(org: DbOrg, n: int, start: datetime, **kwargs: Any) -> None:
    """``n`` leads routed to a rep at creation, one every 5 minutes from ``start``."""
    for i in range(n):
        org.lead(created_at=start + timedelta(minutes=5 * i), **kwargs)


def failed(org: DbOrg, n: int, start: datetime) -> None:
    """``n`` leads the flow failed on at ``NODE`` (left with the triage queue)."""
    for i in range(n):
        org.lead(created_at=start + timedelta(minutes=5 * i), owner=FALLBACK, failed_node=NODE)


def baseline(org: DbOrg, n: int = 20) -> None:
    routed(org, n, ACTIVATED - WEEK + timedelta(minutes=1))


def evaluate(org: DbOrg, at: datetime) -> None:
    run_evaluation(config=org.config, as_of=at, now=at, transport=None, deliver=False)


def test_an_activation_followed_by_failures_opens_one_incident_over_its_consequences(org):
    activate(ACTIVATED, V12, V13)
    baseline(org)
    routed(org, 2, ACTIVATED + timedelta(minutes=1))
    failed(org, 22, ACTIVATED + timedelta(minutes=20))
    evaluate(org, T0)
    evaluate(org, T0 + timedelta(minutes=15))  # assignment_success waits out its `for` (10 min)

    flows = AlertIncident.objects.filter(rule="flow_regression")
    assert flows.count() == 1
    incident = flows.get()
    assert incident.fingerprint == FLOW_KEY
    assert (incident.state, incident.severity) == ("firing", "critical")
    # 2 of 24 decided leads succeeded since the activation (8.3 %); all 20 a week earlier.
    assert incident.current_value == pytest.approx(2 / 24)
    assert incident.threshold == pytest.approx(1.0)
    assert incident.details["summary"] == (
        "Lead_Router v13 activated 2026-11-20 09:00 UTC by Ada Admin; since then EMEA hot "
        "assignment success 100% → 8.3% (24 leads), 22 failures at Decision: Assign by "
        "Territory. Previous version: v12. Roll back: activate v12 "
        f"({INSTANCE}/builder_platform_interaction/flowBuilder.app?flowId={V12})."
    )
    assert incident.details["reasons"] == [[NODE, 22]]
    assert incident.details["total_leads"] == 22
    # The consequences in the same segment are shown under it, not paged on their own.
    success = AlertIncident.objects.get(rule="assignment_success")
    failures = AlertIncident.objects.get(rule="routing_failures")
    assert success.state == failures.state == "firing"
    assert success.inhibited_by == failures.inhibited_by == FLOW_KEY
    assert len(incident.details["consequences"]) == 2


def test_an_activation_with_no_change_in_outcomes_opens_none(org):
    activate(ACTIVATED, V12, V13)
    baseline(org)
    routed(org, 24, ACTIVATED + timedelta(minutes=1))
    evaluate(org, T0)
    assert not AlertIncident.objects.filter(rule="flow_regression").exists()
    (check,) = check_flows(org.config, T0)
    assert (check.ready, check.worse, check.after.leads, check.before.leads) == (True, (), 24, 20)


def test_too_few_leads_after_the_activation_opens_none_and_says_so(org):
    activate(ACTIVATED, V12, V13)
    baseline(org)
    failed(org, 5, ACTIVATED + timedelta(minutes=20))
    evaluate(org, T0)
    assert not AlertIncident.objects.filter(rule="flow_regression").exists()
    # The hot tier pages any routing failure on its own: no flow regression to sit under.
    assert AlertIncident.objects.get(rule="routing_failures").inhibited_by == ""
    (check,) = check_flows(org.config, T0)
    assert not check.ready
    assert check.note == ("not enough leads yet (5 since the activation, 20 in the baseline a "
                          "week earlier; the check needs 10 each)")


def test_another_activation_resolves_it(org):
    activate(ACTIVATED, V12, V13)
    baseline(org)
    failed(org, 12, ACTIVATED + timedelta(minutes=20))
    evaluate(org, T0)
    assert AlertIncident.objects.get(rule="flow_regression").state == "firing"
    activate(T0 + timedelta(minutes=5), V13, V12, numbers=(13, 12))  # rolled back
    evaluate(org, T0 + timedelta(minutes=10))  # clear: no lead since the rollback yet
    evaluate(org, T0 + timedelta(minutes=30))  # clear for resolve_minutes (15)
    assert AlertIncident.objects.get(rule="flow_regression").state == "resolved"


def test_the_segment_recovering_resolves_it(org):
    activate(ACTIVATED, V12, V13)
    baseline(org)
    failed(org, 12, ACTIVATED + timedelta(minutes=20))
    evaluate(org, T0)
    assert AlertIncident.objects.get(rule="flow_regression").state == "firing"
    # A day later the failures have left the 24-hour window; the leads since route again.
    later = T0 + timedelta(hours=25)
    routed(org, 12, later - timedelta(hours=2))
    routed(org, 12, later - timedelta(hours=2) - WEEK)
    evaluate(org, later)
    evaluate(org, later + timedelta(minutes=20))
    assert AlertIncident.objects.get(rule="flow_regression").state == "resolved"


def test_without_flow_version_view_it_says_a_new_version(org):
    activate(ACTIVATED, V12, V13, numbers=None)
    baseline(org)
    failed(org, 12, ACTIVATED + timedelta(minutes=20))
    evaluate(org, T0)
    summary = AlertIncident.objects.get(rule="flow_regression").details["summary"]
    assert summary.startswith("Lead_Router: a new version activated 2026-11-20 09:00 UTC; ")
    assert summary.endswith(
        "Previous version: the previous version. Roll back: activate the previous version "
        f"({INSTANCE}/builder_platform_interaction/flowBuilder.app?flowId={V12})."
    )


def test_a_flow_not_listed_or_an_activation_over_a_week_old_is_not_checked(org):
    activate(ACTIVATED - timedelta(days=8), V12, V13)
    assert check_flows(org.config, T0) == []
    config = DbOrg.__new__(DbOrg)
    config.alerts_toml = ""
    activate(ACTIVATED, V12, V13)
    assert check_flows(config.config, T0) == []


EMAIL_ROUTE = """
[[alerts.routes]]
rule = "flow_regression"
slack_channel = "#routing-alerts"
email = ["revops@example.com"]
"""


@pytest.mark.django_db
def test_the_slack_message_and_the_email_say_what_happened_and_how_to_roll_back(
    transport, slack_emulator, smtp_server
):
    org = DbOrg(alerts_toml=CHANGE_SAFETY + EMAIL_ROUTE)
    activate(ACTIVATED, V12, V13)
    baseline(org)
    failed(org, 12, ACTIVATED + timedelta(minutes=20))
    run_evaluation(config=org.config, as_of=T0, now=T0, transport=transport)

    sentence = ("Lead_Router v13 activated 2026-11-20 09:00 UTC by Ada Admin; since then EMEA "
                "hot assignment success 100% → 0% (12 leads), 12 failures at Decision: Assign "
                "by Territory. Previous version: v12. Roll back: activate v12")
    (message,) = [m for m in slack_emulator.messages if m.thread_ts is None]
    # A group of one incident is that incident's own message: the header, then the sentence.
    header, summary = (block["text"]["text"] for block in message.blocks[:2])
    assert header == ("🔴 Routing worse since a flow activation: Lead_Router "
                      "(region EMEA, tier hot)")
    assert sentence in summary
    assert message.text.startswith(f"Routing alert: {sentence}")
    # The segment's consequences are listed under it, not paged on their own.
    also = next(b["text"]["text"] for b in message.blocks
                if b.get("text", {}).get("text", "").startswith("*Also affected*"))
    assert also.splitlines()[1:] == [
        "• Assignment success below target (EMEA · hot): 0%",
        "• Routing failures: Decision: Assign by Territory (EMEA · hot): 12",
    ]
    (mail,) = smtp_server.messages
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert sentence in text
    assert f"flowId={V12}" in text


def test_a_group_of_several_incidents_shows_the_sentence_under_the_flow_regression():
    def message(rule: str, summary: str = "") -> AlertMessage:
        return AlertMessage(kind="firing", rule=rule, title=rule, segment={"region": "EMEA"},
                            first_seen=T0, as_of=T0, summary=summary)

    sentence = "Lead_Router v13 activated 2026-11-20 09:00 UTC; roll back: activate v12."
    payload = group_payload({"region": "EMEA"}, [
        GroupItem(message("flow_regression", sentence), "critical", 12),
        GroupItem(message("tta_p95"), "warning", 3),
    ], instance_url="", dashboard_url="")
    flow, slow = (b["text"]["text"] for b in payload["blocks"][1:3])
    assert flow.splitlines()[1] == sentence
    assert sentence not in slow


def test_the_rule_can_be_disabled_for_a_segment(db):
    org = DbOrg(alerts_toml=CHANGE_SAFETY + '[[alerts.overrides]]\nrule = "flow_regression"\n'
                'region = "EMEA"\nenabled = false\n')
    activate(ACTIVATED, V12, V13)
    baseline(org)
    failed(org, 12, ACTIVATED + timedelta(minutes=20))
    evaluate(org, T0)
    assert not AlertIncident.objects.filter(rule="flow_regression").exists()
    assert AlertIncident.objects.get(rule="routing_failures").inhibited_by == ""


@pytest.mark.parametrize(("numbers", "ending"), [
    ((None, 1), "Previous version: none (the flow's first version). Roll back: deactivate the "
                "flow."),
    ((None, 13), "Previous version: not recorded. Roll back: activate the previous version "
                 "(Setup › Flows › Lead_Router)."),
])
def test_an_activation_without_a_previous_version_id(org, numbers, ending):
    FlowVersionChange.objects.create(
        flow_api_name="Lead_Router", old_active_version_id="", new_active_version_id=V13,
        changed_at=ACTIVATED, old_version_number=numbers[0], new_version_number=numbers[1])
    baseline(org)
    failed(org, 12, ACTIVATED + timedelta(minutes=20))
    evaluate(org, T0)
    assert AlertIncident.objects.get(rule="flow_regression").details["summary"].endswith(ending)
