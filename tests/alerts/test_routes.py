"""``[[alerts.routes]]``: first match wins unless ``continue``; the default route otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing_health.alerts.routes import DEFAULT, destinations_for
from routing_health.alerts.service import run_evaluation
from routing_health.config.model import Route
from routing_health.models import AlertGroup, Notification, NotificationAttempt
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.slack.transport import SlackTransport
from tests.alerts.conftest import ONLY_ROUTING_FAILURES, T0, DbOrg

EMEA_CRITICAL = Route(region=("EMEA",), severity=("critical",), slack_channel="C0EMEAROUT",
                      email=("emea-revops@example.com",))
HOT = Route(tier=("hot",), slack_channel="C0HOTLEADS", continue_=True)
FAILURES = Route(rule=("routing_failures",), email=("oncall@example.com",))


def labels(region: str = "EMEA", tier: str = "hot", rule: str = "routing_failures",
           severity: str = "critical") -> dict[str, str]:
    return {"region": region, "tier": tier, "rule": rule, "severity": severity}


def test_the_first_matching_route_wins():
    routes = (EMEA_CRITICAL, FAILURES)
    assert destinations_for(labels(), routes) == (
        "slack:C0EMEAROUT", "email:emea-revops@example.com")
    assert destinations_for(labels(region="APAC"), routes) == ("email:oncall@example.com",)


def test_continue_tries_the_next_matching_routes_too():
    routes = (HOT, EMEA_CRITICAL, FAILURES)
    assert destinations_for(labels(), routes) == (
        "slack:C0HOTLEADS", "slack:C0EMEAROUT", "email:emea-revops@example.com")
    assert destinations_for(labels(tier="warm"), routes) == (
        "slack:C0EMEAROUT", "email:emea-revops@example.com")


def test_no_match_is_the_default_route_and_every_matcher_must_hold():
    assert destinations_for(labels(severity="warning"), (EMEA_CRITICAL,)) == (DEFAULT,)
    assert destinations_for(labels(), ()) == (DEFAULT,)


# -- end to end: the outbox sends each group to its route's destinations ------------------------

ROUTES = ONLY_ROUTING_FAILURES + """
[[alerts.routes]]
region = "EMEA"
severity = ["critical"]
slack_channel = "C0EMEAROUT"
email = ["emea-revops@example.com"]
"""


@pytest.mark.django_db
def test_a_routed_group_goes_to_its_channel_and_address_and_the_rest_to_the_default_channel(
    transport: SlackTransport, slack_emulator: SlackEmulator, smtp_server
) -> None:
    slack_emulator.add_channel("emea-routing", id="C0EMEAROUT")
    org = DbOrg(alerts_toml=ROUTES)
    org.failing(1)  # EMEA hot, critical
    org.lead(created_at=T0 - timedelta(minutes=5), failed_node="Second node")
    org.failing(1, region="APAC")
    run_evaluation(config=org.config, as_of=T0, now=T0, transport=transport)

    by_channel = {}
    for message in slack_emulator.messages:
        by_channel.setdefault(message.channel, []).append(message)
    [emea] = by_channel["C0EMEAROUT"]
    assert "2 alerts firing" in emea.blocks[0]["text"]["text"]
    [default] = [m for c, ms in by_channel.items() if c != "C0EMEAROUT" for m in ms]
    assert "region APAC" in default.text
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ("emea-revops@example.com",)
    assert mail.message["Subject"] == "[Routing Health] EMEA: 2 alerts firing"
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert "New: Routing failures: Assign EMEA (EMEA · hot)" in text
    assert "New: Routing failures: Second node (EMEA · hot)" in text
    assert mail.message.get_body(preferencelist=("html",)) is not None
    destinations = set(Notification.objects.values_list("destination", flat=True))
    assert destinations == {"", "slack:C0EMEAROUT", "email:emea-revops@example.com"}
    assert set(AlertGroup.objects.values_list("destination", flat=True)) == {
        "", "slack:C0EMEAROUT"}
    assert Notification.objects.exclude(status="sent").count() == 0


@pytest.mark.django_db
def test_a_refused_route_address_is_recorded_not_retried_and_shown_on_the_health_page(
    transport: SlackTransport, slack_emulator: SlackEmulator, smtp_server, admin_client
) -> None:
    slack_emulator.add_channel("emea-routing", id="C0EMEAROUT")
    smtp_server.handler.refuse("emea-revops@example.com")
    org = DbOrg(alerts_toml=ROUTES)
    org.failing(1)
    run_evaluation(config=org.config, as_of=T0, now=T0, transport=transport)
    [row] = Notification.objects.filter(destination="email:emea-revops@example.com")
    assert (row.status, row.attempts) == ("failed", 1)
    assert NotificationAttempt.objects.filter(notification=row, permanent=True).count() == 1
    org.lead(created_at=T0 + timedelta(minutes=4), failed_node="Third node")  # a new incident
    for minutes in (5, 10):  # the group changes: the refused address is not tried again
        later = T0 + timedelta(minutes=minutes)
        run_evaluation(config=org.config, as_of=later, now=later, transport=transport)
    assert smtp_server.handler.rcpt_calls.count("emea-revops@example.com") == 1
    waiting = Notification.objects.filter(destination="email:emea-revops@example.com",
                                          status="pending")
    assert [n.attempts for n in waiting] == [0]  # queued until --retry-failed
    page = admin_client.get("/health").content.decode()
    assert "emea-revops@example.com" in page
