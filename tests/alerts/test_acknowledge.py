"""Acknowledge and snooze (issue 14, point 6), the domain side: buttons on the message, the
acknowledgement stopping reminders for its episode only, the who recorded.

The HTTP side (signatures, the emulator clicking):
tests/dashboards/ops/test_slack_interactions.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from slack_sdk.models.blocks import Block

from routing_health.alerts.actions import (
    ActionResult,
    Actor,
    acknowledge,
    slack_reply,
    snooze_for,
)
from routing_health.alerts.buttons import IncidentRef, button_value, parse_value
from routing_health.alerts.service import run_evaluation
from routing_health.models import AlertIncident, IncidentEvent, Lead, Notification
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.slack.transport import SlackTransport
from tests.alerts.conftest import T0, DbOrg

pytestmark = pytest.mark.django_db

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_USER = Actor("jane", "U0JANE0001")


@pytest.fixture
def signing_secret(settings) -> str:
    settings.SLACK_SIGNING_SECRET = SECRET
    return SECRET


def evaluate(org: DbOrg, at: datetime, transport: SlackTransport) -> None:
    run_evaluation(config=org.config, as_of=at, now=at, transport=transport)


def actions_blocks(blocks: list[dict]) -> list[dict]:
    return [b for b in blocks if b["type"] == "actions"]


def top_level(slack: SlackEmulator) -> list:
    return [m for m in slack.messages if m.thread_ts is None]


def replies(slack: SlackEmulator) -> list:
    return [m for m in slack.messages if m.thread_ts is not None]


def test_a_firing_message_carries_acknowledge_and_snooze_buttons_naming_its_incident(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator, signing_secret: str
) -> None:
    db_org.failing(3)
    evaluate(db_org, T0, transport)

    [message] = slack_emulator.messages
    incident = AlertIncident.objects.get()
    [actions] = actions_blocks(message.blocks)
    buttons = actions["elements"]
    assert [(b["type"], b["action_id"], b["text"]["text"]) for b in buttons] == [
        ("button", "rh_ack", "Acknowledge"),
        ("button", "rh_snooze_1h", "Snooze 1 h"),
        ("button", "rh_snooze_4h", "Snooze 4 h"),
    ]
    # The value names the incidents as a list of [id, episode], so a group message can name more.
    assert {b["value"] for b in buttons} == {json.dumps({"incidents": [[incident.pk, 1]]},
                                                        separators=(",", ":"))}
    assert message.blocks[-1]["type"] == "actions"
    assert len(message.blocks) <= 50
    for block in message.blocks:
        Block.parse(block).validate_json()  # raises SlackObjectFormationError when invalid


def test_no_buttons_when_slack_signing_secret_is_unset(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator, settings
) -> None:
    settings.SLACK_SIGNING_SECRET = None
    db_org.failing(3)
    evaluate(db_org, T0, transport)

    [message] = slack_emulator.messages
    assert actions_blocks(message.blocks) == []
    assert "actions" not in json.dumps(Notification.objects.get().payload)


def test_the_reminder_carries_the_buttons_and_the_resolved_notice_does_not(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator, signing_secret: str
) -> None:
    leads = db_org.failing(3)
    evaluate(db_org, T0, transport)
    evaluate(db_org, T0 + timedelta(hours=4), transport)
    Lead.objects.filter(id__in=leads).update(failed_node="")
    for minutes in (5, 10, 15, 20):
        evaluate(db_org, T0 + timedelta(hours=4, minutes=minutes), transport)

    original, reminder, resolved = slack_emulator.messages
    assert reminder.text.startswith("Still firing") and len(actions_blocks(reminder.blocks)) == 1
    assert resolved.text.startswith("Resolved") and actions_blocks(resolved.blocks) == []
    # The original is marked resolved in place, and its buttons go with the firing state.
    assert original.updated and original.blocks[0]["text"]["text"].startswith("✅ Resolved")
    assert actions_blocks(original.blocks) == []


def test_an_acknowledged_incident_gets_no_more_reminders_in_its_episode(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator, signing_secret: str
) -> None:
    db_org.failing(3)
    evaluate(db_org, T0, transport)
    incident = AlertIncident.objects.get()

    [result] = acknowledge([IncidentRef(incident.pk, 1)], by=SLACK_USER,
                           at=T0 + timedelta(minutes=3))
    for hours in (4, 8, 12):
        evaluate(db_org, T0 + timedelta(hours=hours, minutes=5), transport)

    assert result.outcome == "acknowledged"
    assert len(slack_emulator.messages) == 1  # the firing message only: no reminder
    assert list(Notification.objects.values_list("kind", flat=True)) == ["firing"]
    incident.refresh_from_db()
    assert (incident.acknowledged_at, incident.acknowledged_by,
            incident.acknowledged_by_slack_id) == (T0 + timedelta(minutes=3), "jane", "U0JANE0001")
    event = IncidentEvent.objects.get(kind="acknowledged")
    assert (event.at, event.episode, event.note) == (
        T0 + timedelta(minutes=3), 1, "by jane (Slack U0JANE0001)")


def test_without_an_acknowledgement_the_reminder_is_posted(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator, signing_secret: str
) -> None:
    db_org.failing(3)
    evaluate(db_org, T0, transport)
    evaluate(db_org, T0 + timedelta(hours=4, minutes=5), transport)

    first, reminder = slack_emulator.messages
    assert reminder.thread_ts == first.ts and reminder.text.startswith("Still firing")


def test_an_acknowledged_incident_still_announces_its_resolve(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    leads = db_org.failing(3)
    evaluate(db_org, T0, transport)
    acknowledge([IncidentRef(AlertIncident.objects.get().pk, 1)], by=SLACK_USER, at=T0)
    Lead.objects.filter(id__in=leads).update(failed_node="")
    for minutes in (5, 10, 15, 20):
        evaluate(db_org, T0 + timedelta(minutes=minutes), transport)

    assert list(Notification.objects.values_list("kind", flat=True)) == ["firing", "resolved"]


def test_a_new_episode_is_not_acknowledged_and_is_reminded_again(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    leads = db_org.failing(3)
    evaluate(db_org, T0, transport)
    acknowledge([IncidentRef(AlertIncident.objects.get().pk, 1)], by=SLACK_USER, at=T0)
    Lead.objects.filter(id__in=leads).update(failed_node="")
    for minutes in (5, 10, 15, 20):  # clear from 5 min, resolved at 20 min
        evaluate(db_org, T0 + timedelta(minutes=minutes), transport)
    Lead.objects.filter(id__in=leads).update(failed_node="Assign EMEA")
    evaluate(db_org, T0 + timedelta(minutes=30), transport)  # fires again: episode 2

    incident = AlertIncident.objects.get()
    assert (incident.episode, incident.state) == (2, "firing")
    assert (incident.acknowledged_at, incident.acknowledged_by) == (None, "")
    evaluate(db_org, T0 + timedelta(hours=4, minutes=35), transport)
    assert list(Notification.objects.values_list("kind", flat=True)) == [
        "firing", "resolved", "firing", "reminder"]


def test_an_acknowledge_from_an_old_episodes_message_changes_nothing(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    db_org.failing(3)
    evaluate(db_org, T0, transport)
    AlertIncident.objects.update(episode=2)  # the message was about episode 1
    incident = AlertIncident.objects.get()

    [result] = acknowledge([IncidentRef(incident.pk, 1)], by=SLACK_USER, at=T0)

    assert result.outcome == "episode_over" and not result.changed
    assert AlertIncident.objects.get().acknowledged_at is None
    assert not IncidentEvent.objects.filter(kind="acknowledged").exists()


def test_acknowledging_twice_records_one_acknowledgement(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    db_org.failing(3)
    evaluate(db_org, T0, transport)
    ref = IncidentRef(AlertIncident.objects.get().pk, 1)

    first = acknowledge([ref], by=SLACK_USER, at=T0 + timedelta(minutes=1))
    second = acknowledge([ref], by=Actor("ana"), at=T0 + timedelta(minutes=2))

    assert [r.outcome for r in first + second] == ["acknowledged", "already_acknowledged"]
    incident = AlertIncident.objects.get()
    assert (incident.acknowledged_by, incident.acknowledged_at) == (
        "jane", T0 + timedelta(minutes=1))
    assert IncidentEvent.objects.filter(kind="acknowledged").count() == 1


def test_unknown_incident_ids_change_nothing() -> None:
    results = acknowledge([IncidentRef(999_999, 1)], by=SLACK_USER, at=T0)
    snoozed = snooze_for([IncidentRef(999_999, 1)], duration=timedelta(hours=1), by=SLACK_USER,
                         at=T0)
    assert [r.outcome for r in results + snoozed] == ["unknown", "unknown"]
    assert slack_reply(results, by=SLACK_USER) is None


def test_snooze_for_records_who_and_until_in_the_report_timezone(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    db_org.failing(3)
    evaluate(db_org, T0, transport)
    at = datetime.fromisoformat("2026-03-29T00:30:00+00:00")  # 02:30 CEST: the DST night

    [result] = snooze_for([IncidentRef(AlertIncident.objects.get().pk, 1)],
                          duration=timedelta(hours=1), by=SLACK_USER, at=at, zone="Europe/Berlin")

    incident = AlertIncident.objects.get()
    assert result.outcome == "snoozed"
    assert (incident.snoozed_until, incident.snoozed_at, incident.snoozed_by) == (
        at + timedelta(hours=1), at, "jane (Slack U0JANE0001)")
    event = IncidentEvent.objects.get(kind="snoozed")
    assert event.note == "for 1 h, until 2026-03-29 03:30 CEST, by jane (Slack U0JANE0001)"
    text = slack_reply([result], by=SLACK_USER, duration=timedelta(hours=1),
                       until=at + timedelta(hours=1), zone="Europe/Berlin")
    assert text == ("Snoozed for 1 h by <@U0JANE0001> (jane) (until 2026-03-29 03:30 CEST): "
                    "no notifications until then.")


def test_the_end_of_a_snooze_forgets_who_snoozed(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    db_org.failing(3)
    evaluate(db_org, T0, transport)
    snooze_for([IncidentRef(AlertIncident.objects.get().pk, 1)], duration=timedelta(hours=1),
               by=SLACK_USER, at=T0)
    evaluate(db_org, T0 + timedelta(hours=1, minutes=5), transport)

    incident = AlertIncident.objects.get()
    assert (incident.snoozed_until, incident.snoozed_by, incident.snoozed_at) == (None, "", None)


def test_a_slack_user_name_is_escaped_in_the_reply_and_the_mention_checked() -> None:
    done = [ActionResult(IncidentRef(1, 1), "acknowledged")]
    hostile = Actor("<!channel> & <@U999|boss>", "U0JANE0001")
    assert slack_reply(done, by=hostile) == (
        "Acknowledged by <@U0JANE0001> (&lt;!channel&gt; &amp; &lt;@U999|boss&gt;): "
        "no more reminders until it resolves."
    )
    forged_id = Actor("mallory", "<!here>")
    assert slack_reply(done, by=forged_id) == (
        "Acknowledged by mallory: no more reminders until it resolves.")


def test_button_values_round_trip_and_foreign_values_are_refused() -> None:
    value = button_value([(12, 1), IncidentRef(15, 3)])
    assert value == '{"incidents":[[12,1],[15,3]]}'
    assert parse_value(value) == (IncidentRef(12, 1), IncidentRef(15, 3))
    for foreign in ("", "12", "null", '{"incidents": []}', '{"incidents": [[1]]}',
                    '{"incidents": [["1", 1]]}', '{"incidents": [[0, 1]]}',
                    '{"incidents": [[true, 1]]}', "x" * 3000, None):
        with pytest.raises(ValueError):
            parse_value(foreign)
