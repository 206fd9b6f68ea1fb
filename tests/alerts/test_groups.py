"""Grouped notifications (spec section 6): one top-level message per group, changes batched in
its thread, reminders once per group per repeat interval, a storm guard. End to end: database
→ evaluation → outbox → the Slack emulator."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from slack_sdk.models.blocks import Block

from routing_health.alerts.service import run_evaluation
from routing_health.models import AlertGroup, AlertIncident, Lead, Notification
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.sandbox.slack_state import RecordedMessage
from routing_health.slack.transport import SlackTransport
from tests.alerts.conftest import ONLY_ROUTING_FAILURES, T0, DbOrg

pytestmark = pytest.mark.django_db

REGIONS = ("AMER", "APAC", "EMEA", "LATAM")


def evaluate(org: DbOrg, at: datetime, transport: SlackTransport) -> None:
    run_evaluation(config=org.config, as_of=at, now=at, transport=transport)


def top_level(emulator: SlackEmulator) -> list[RecordedMessage]:
    return [m for m in emulator.messages if m.thread_ts is None]


def replies(emulator: SlackEmulator) -> list[RecordedMessage]:
    return [m for m in emulator.messages if m.thread_ts is not None]


def assert_valid_for_slack(message: RecordedMessage) -> None:
    """Within Slack's limits and valid under slack-sdk's block models."""
    assert len(message.blocks) <= 50 and len(message.text) <= 4000
    for block in message.blocks:
        Block.parse(block).validate_json()
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def failing_segments(org: DbOrg, regions: tuple[str, ...], per_region: int) -> None:
    """``per_region`` failure reasons in each region (hot tier: one failure fires each)."""
    long_name = "Ünïcødé 🚀 " * 20
    for region in regions:
        for number in range(per_region):
            org.lead(created_at=T0 - timedelta(minutes=10), region=region,
                     failed_node=f"Node {number} " + "x" * 200, name=long_name)


def test_120_failing_segments_in_4_regions_post_4_messages_then_only_threaded_reminders(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    failing_segments(org, REGIONS, 30)
    evaluate(org, T0, transport)

    assert AlertIncident.objects.filter(state="firing").count() == 120
    first = top_level(slack_emulator)
    assert len(first) == 4 and replies(slack_emulator) == []
    for message in first:
        assert_valid_for_slack(message)
        assert "30 alerts firing" in message.blocks[0]["text"]["text"]
        assert "+20 more" in json.dumps(message.blocks)  # ten incidents shown, then a link
    assert Notification.objects.filter(status="sent").count() == 120

    for step in range(1, 101):  # 100 more evaluations, every 5 minutes: 8 h 20 min
        evaluate(org, T0 + timedelta(minutes=5 * step), transport)

    assert len(top_level(slack_emulator)) == 4  # no new top-level message
    threaded = replies(slack_emulator)
    # A reminder per group at 4 h and at 8 h, in the group's thread.
    assert len(threaded) == 8
    assert {m.thread_ts for m in threaded} == {m.ts for m in first}
    assert all(m.text.startswith("Still firing in ") for m in threaded)


def test_120_failing_segments_in_120_regions_post_one_storm_summary(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    failing_segments(org, tuple(f"Region {n:03d}" for n in range(120)), 1)
    evaluate(org, T0, transport)

    [summary] = slack_emulator.messages
    assert_valid_for_slack(summary)
    assert summary.blocks[0]["text"]["text"] == "🔴 120 alert groups opened at once"
    assert "Region 000" in json.dumps(summary.blocks)
    assert AlertGroup.objects.filter(storm=True, slack_ts=summary.ts).count() == 120
    for step in range(1, 13):  # an hour more, unchanged: nothing new
        evaluate(org, T0 + timedelta(minutes=5 * step), transport)
    assert len(slack_emulator.messages) == 1
    evaluate(org, T0 + timedelta(hours=4), transport)  # the reminders: one reply, not 120
    [_, reminder] = slack_emulator.messages
    assert reminder.thread_ts == summary.ts and reminder.text == (
        "Still firing in all groups: 120 alerts")
    assert_valid_for_slack(reminder)


def test_an_incident_joining_an_open_group_is_batched_into_one_reply_after_group_interval(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    org.failing(1)  # EMEA hot, Assign EMEA
    evaluate(org, T0, transport)
    [parent] = slack_emulator.messages

    org.lead(created_at=T0 + timedelta(minutes=1), failed_node="Second node")
    org.lead(created_at=T0 + timedelta(minutes=1), tier="standard", failed_node="Third")
    org.lead(created_at=T0 + timedelta(minutes=1), tier="standard", failed_node="Third")
    org.lead(created_at=T0 + timedelta(minutes=1), tier="standard", failed_node="Third")
    evaluate(org, T0 + timedelta(minutes=2), transport)  # 2 min after the group's post
    assert len(slack_emulator.messages) == 1  # waits for group_interval (5 min)
    assert Notification.objects.filter(status="pending").count() == 2

    evaluate(org, T0 + timedelta(minutes=5), transport)
    [parent, reply] = slack_emulator.messages
    assert reply.thread_ts == parent.ts
    assert reply.text == "EMEA: 2 new, 0 resolved"
    assert parent.update_count == 1 and "3 alerts firing" in parent.blocks[0]["text"]["text"]
    assert Notification.objects.filter(status="pending").count() == 0


def test_incidents_starting_within_group_wait_join_the_message_without_a_reply(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    org.failing(1)
    evaluate(org, T0, transport)
    org.lead(created_at=T0 + timedelta(seconds=10), failed_node="Second node")
    evaluate(org, T0 + timedelta(seconds=30), transport)  # within group_wait (60 s)

    [parent] = slack_emulator.messages
    assert parent.update_count == 1 and "2 alerts firing" in parent.blocks[0]["text"]["text"]


def test_a_group_fully_resolved_updates_its_message_and_replies_once(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    first = org.failing(1)
    second = org.lead(created_at=T0 - timedelta(minutes=5), failed_node="Second node")
    evaluate(org, T0, transport)
    [parent] = slack_emulator.messages
    assert "2 alerts firing" in parent.blocks[0]["text"]["text"]

    Lead.objects.filter(id__in=[*first, second]).update(failed_node="")
    # Clear from the evaluation at +5 min; resolved once clear for 15 minutes: at +20 min.
    for step in range(1, 6):
        evaluate(org, T0 + timedelta(minutes=5 * step), transport)

    parent, *threaded = slack_emulator.messages
    assert [m.text for m in threaded] == ["All alerts of EMEA are resolved."]
    assert parent.blocks[0]["text"]["text"] == "✅ Resolved: EMEA"
    group = AlertGroup.objects.get()
    assert (group.is_open, group.resolved_at) == (False, T0 + timedelta(minutes=20))


def test_each_region_is_its_own_group_and_a_group_of_one_reads_like_its_incident(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    org.failing(1, region="EMEA")
    org.failing(1, region="APAC")
    evaluate(org, T0, transport)
    texts = sorted(m.text for m in slack_emulator.messages)
    assert len(texts) == 2
    assert all(t.startswith("Routing alert: Routing failures: Assign EMEA") for t in texts)
    assert {"region APAC" in t for t in texts} == {True, False}


def test_an_info_incident_is_kept_for_the_digest_and_pages_nobody(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES
                + '[alerts.rules.routing_failures]\nseverity = "info"\n')
    org.failing(1)
    evaluate(org, T0, transport)
    incident = AlertIncident.objects.get()
    assert (incident.state, incident.severity) == ("firing", "info")
    assert slack_emulator.messages == [] and Notification.objects.count() == 0


def test_the_daily_digest_lists_info_incidents(transport: SlackTransport) -> None:
    from routing_health.reports.digest import build_daily_digest, digest_payload

    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES
                + '[alerts.rules.routing_failures]\nseverity = "info"\n')
    org.failing(1)
    evaluate(org, T0, transport)
    digest = build_daily_digest(org.config, None, T0)
    assert digest.info_alerts == ("Routing failures: Assign EMEA (EMEA · hot)",)
    assert "*Info alerts* (not paged)\n• Routing failures: Assign EMEA (EMEA · hot)" in json.dumps(
        digest_payload(digest), ensure_ascii=False).replace("\\n", "\n")


def test_the_demo_org_pages_at_most_4_top_level_messages_in_its_first_10_minutes(
    synced_org, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    from routing_health.salesforce import runtime

    incident = synced_org.facts["incident"]
    config = runtime.routing_config()
    for minute in range(11):  # the demo syncs and evaluates every minute
        at = T0 + timedelta(minutes=minute)
        run_evaluation(config=config, as_of=at, now=at, transport=transport)

    first = top_level(slack_emulator)
    assert 1 <= len(first) <= 4
    for message in first:
        assert_valid_for_slack(message)
    [emea] = [m for m in first if m.blocks[0]["text"]["text"].split(":")[0].endswith("EMEA")]
    lead_section = emea.blocks[1]["text"]["text"]
    assert incident["failed_node"] in lead_section.splitlines()[0]  # it leads with the node


def test_a_resolved_notice_of_an_incident_announced_before_grouping_goes_in_its_thread(
    transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    org = DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
    failed = org.failing(1)
    evaluate(org, T0, transport)
    [parent] = slack_emulator.messages
    AlertGroup.objects.all().delete()  # as if it had fired before groups existed
    Lead.objects.filter(id__in=failed).update(failed_node="")
    for step in range(1, 5):  # clear from +5 min, resolved at +20 min
        evaluate(org, T0 + timedelta(minutes=5 * step), transport)
    [_, notice] = slack_emulator.messages
    assert notice.thread_ts == parent.ts and notice.text.startswith("Resolved: ")
