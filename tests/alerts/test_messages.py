"""What reaches Slack: the demo incident, hostile lead names, big incidents, the commands."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing_health.alerts.service import run_evaluation
from routing_health.models import AlertIncident, IncidentEvent, Notification
from routing_health.salesforce import runtime
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.sandbox.slack_state import RecordedMessage
from routing_health.slack.transport import SlackTransport
from tests.alerts.conftest import INSTANCE, T0, DbOrg
from tests.conftest import SLACK_TOKEN

PUBLIC = "https://health.example.com"
LINK = re.compile(r"<([^<>|]*)(?:\|[^<>]*)?>")


def all_text(message: RecordedMessage) -> str:
    """What Slack parses as mrkdwn: the fallback text and every mrkdwn text object.

    (Headers are ``plain_text``, which Slack never parses for mentions or links.)
    """
    texts = [message.text]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "plain_text":
                return
            if value.get("type") == "mrkdwn":
                texts.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message.blocks)
    return "\n".join(texts)


def test_the_demo_routing_incident_sends_one_message_naming_the_failed_node(
    synced_org: Any, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    incident = synced_org.facts["incident"]
    now = T0  # the demo org's "now"
    run_evaluation(config=runtime.routing_config(), as_of=now, now=now, transport=transport)

    # One top-level message per region (group_by = region); EMEA's leads with the failure.
    emea = [m for m in slack_emulator.messages if m.thread_ts is None and "EMEA" in m.text]
    assert len(emea) == 1
    text = all_text(emea[0])
    first = emea[0].blocks[1]["text"]["text"]  # the first (worst) incident's section
    assert incident["failed_node"] in first and "region EMEA, tier hot" in first
    linked = set(re.findall(re.escape(INSTANCE) + r"/lightning/r/Lead/(\w{18})/view", first))
    assert linked and linked <= set(incident["failed_lead_ids"])
    assert len(linked) == min(5, incident["failed_leads"])  # up to five example records
    assert f"<{PUBLIC}/failures?failure_reason=Decision%3A+Assign+by+Territory" in first
    assert "&amp;region=EMEA&amp;tier=hot|Open in Routing Health>" in first
    assert "Assignment success below target (EMEA · hot)" in first  # its consequence, inside
    assert "<!channel>" not in text  # the demo incident includes a lead named "<!channel> Ping"
    fingerprints = AlertIncident.objects.filter(rule="routing_failures").values_list(
        "failure_reason", flat=True)
    assert list(fingerprints) == [incident["failed_node"]]


def test_the_demo_org_fires_each_incident_once_across_repeated_evaluations(
    synced_org: Any, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    config = runtime.routing_config()
    for minutes in (0, 5, 10):
        at = T0 + timedelta(minutes=minutes)
        run_evaluation(config=config, as_of=at, now=at, transport=transport)

    # One top-level message per region with a paged incident, nothing more (no change, and
    # the assignment-success drop that fires at +10 min is shown under its cause).
    paged = AlertIncident.objects.filter(inhibited_by="", state="firing")
    regions = set(paged.values_list("region", flat=True))
    assert len(slack_emulator.messages) == len(regions) >= 2
    assert all(m.thread_ts is None for m in slack_emulator.messages)
    cause = AlertIncident.objects.get(rule="routing_failures", region="EMEA", tier="hot")
    consequence = AlertIncident.objects.get(rule="assignment_success", region="EMEA", tier="hot")
    assert consequence.inhibited_by == cause.fingerprint and cause.inhibited_by == ""
    [message] = [m for m in slack_emulator.messages if "Decision: Assign by Territory" in
                 all_text(m)]
    assert "Also affected" in all_text(message)
    assert "Assignment success below target (EMEA · hot): 0%" in all_text(message)


@pytest.mark.django_db
def test_hostile_lead_names_cannot_mention_link_or_break_the_markup(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    for name in ("<!channel>", "<https://evil.example|click>", "&<>"):
        db_org.lead(created_at=T0 - timedelta(minutes=10), failed_node="<!here> & <@U123>",
                    name=name)
    run_evaluation(config=db_org.config, as_of=T0, now=T0, transport=transport)

    [message] = slack_emulator.messages
    text = all_text(message)
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text and "<!here>" not in text
    assert "&lt;https://evil.example" in text and "<https://evil" not in text
    assert "&amp;&lt;&gt;" in text and "<@U123>" not in text
    targets = LINK.findall(text)
    assert targets and all(t.startswith((INSTANCE + "/", PUBLIC + "/")) for t in targets)
    header = message.blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"


@pytest.mark.django_db
def test_the_dry_run_prints_findings_and_transitions_and_writes_nothing(
    db_org: DbOrg, settings: Any, tmp_path: Any
) -> None:
    db_org.failing(2)
    path = tmp_path / "routing_health.toml"
    from tests.alerts.conftest import BASE_TOML

    path.write_text(BASE_TOML + db_org.alerts_toml)
    settings.ROUTING_HEALTH_CONFIG = str(path)
    out = io.StringIO()

    call_command("evaluate_alerts", "--as-of", "2026-11-20T12:00:00Z", "--dry-run", stdout=out)

    printed = out.getvalue()
    assert "finding: routing_failures EMEA/hot [Assign EMEA]: 2 >= 1" in printed
    assert "would fire routing_failures EMEA/hot [Assign EMEA]" in printed
    assert "incidents would be fired 1, reminded 0, resolved 0, held 0, snoozed 0" in printed
    assert AlertIncident.objects.count() == IncidentEvent.objects.count() == 0
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_the_command_evaluates_delivers_and_summarises(
    db_org: DbOrg, settings: Any, tmp_path: Any, slack_emulator: SlackEmulator
) -> None:
    db_org.failing(2)
    from tests.alerts.conftest import BASE_TOML

    path = tmp_path / "routing_health.toml"
    path.write_text(BASE_TOML + db_org.alerts_toml)
    settings.ROUTING_HEALTH_CONFIG = str(path)
    settings.SLACK_BOT_TOKEN, settings.SLACK_CHANNEL = SLACK_TOKEN, "#routing-alerts"
    settings.SLACK_API_URL = slack_emulator.api_url
    out = io.StringIO()

    call_command("evaluate_alerts", "--as-of", "2026-11-20T12:00:00", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].endswith("as of 2026-11-20T12:00:00Z (sync_stale skipped: --as-of given)")
    assert "incidents fired 1, reminded 0, resolved 0, held 0, snoozed 0" in lines
    assert "notifications: sent 1, failed 0, queued 0, kept 0" in lines
    assert len(slack_emulator.messages) == 1


def test_a_bad_as_of_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="--as-of must be an ISO 8601 instant"):
        call_command("evaluate_alerts", "--as-of", "yesterday")
