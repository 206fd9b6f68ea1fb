"""The outbox: retries, backoff, permanent errors and Slack not configured."""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from routing_health.alerts.delivery import (
    NOT_CONFIGURED,
    RETRY_FOR,
    deliver_pending,
)
from routing_health.alerts.outbox import backoff
from routing_health.alerts.selectors import notification_problems
from routing_health.alerts.service import run_evaluation
from routing_health.models import Notification, NotificationAttempt
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.slack.transport import SlackTransport
from tests.alerts.conftest import T0, DbOrg, make_transport
from tests.conftest import SLACK_TOKEN

pytestmark = pytest.mark.django_db


def queue_notifications(org: DbOrg, at: datetime = T0) -> list[Notification]:
    """Evaluate without delivering: the outbox holds the new notifications."""
    run_evaluation(config=org.config, as_of=at, now=at, deliver=False)
    return list(Notification.objects.order_by("id"))


def two_incidents(org: DbOrg) -> None:
    org.failing(2)
    org.failing(1, region="APAC")


def test_three_429s_then_success_deliver_once_honouring_retry_after(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    db_org.failing(2)
    [note] = queue_notifications(db_org)
    slack_emulator.faults.add("ratelimited", times=3, retry_after=30)

    moments = [T0, T0 + timedelta(seconds=10), T0 + timedelta(seconds=30),
               T0 + timedelta(seconds=60), T0 + timedelta(seconds=90),
               T0 + timedelta(seconds=120)]
    results = [deliver_pending(now, transport) for now in moments]

    assert [r.sent for r in results] == [0, 0, 0, 0, 1, 0]
    assert [r.retrying for r in results] == [1, 0, 1, 1, 0, 0]  # nothing before Retry-After
    assert len(slack_emulator.messages) == 1
    assert [c.status for c in slack_emulator.calls] == [429, 429, 429, 200]
    note.refresh_from_db()
    assert (note.status, note.attempts, note.sent_at) == ("sent", 4, moments[4])
    assert list(note.attempt_log.values_list("error", "retry_after")) == [
        ("ratelimited", 30.0)] * 3 + [("", None)]


def test_queued_notifications_are_delivered_when_slack_comes_back_after_an_hour(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    two_incidents(db_org)
    assert len(queue_notifications(db_org)) == 2
    slack_emulator.faults.add("down")

    for minute in range(0, 61, 5):
        summary = deliver_pending(T0 + timedelta(minutes=minute), transport)
        assert summary.sent == 0 and summary.queued == 2
    attempts = NotificationAttempt.objects.count()
    assert 0 < attempts <= 13  # one try per run while Slack is down, not one per notification
    assert set(NotificationAttempt.objects.values_list("error", flat=True)) == {
        "connection_error"}

    slack_emulator.faults.clear()
    summary = deliver_pending(T0 + timedelta(hours=2), transport)

    assert (summary.sent, summary.queued) == (2, 0)
    assert len(slack_emulator.messages) == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_a_permanent_error_is_attempted_once_and_surfaced(
    db_org: DbOrg, slack_emulator: SlackEmulator, settings: object
) -> None:
    two_incidents(db_org)
    queue_notifications(db_org)
    lost = make_transport(slack_emulator, channel="#no-such-channel")

    first = deliver_pending(T0, lost)
    later = deliver_pending(T0 + timedelta(hours=1), lost)

    assert (first.failed, first.disabled) == (1, "channel_not_found")
    assert (later.failed, later.sent, later.disabled) == (0, 0, "channel_not_found")
    assert [c.error for c in slack_emulator.calls] == ["channel_not_found"]  # one attempt in all
    failed, waiting = Notification.objects.order_by("id")
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "channel_not_found" in failed.last_error
    assert (waiting.status, waiting.attempts) == ("pending", 0)

    settings.SLACK_BOT_TOKEN, settings.SLACK_CHANNEL = SLACK_TOKEN, "#no-such-channel"
    settings.SLACK_API_URL = slack_emulator.api_url
    problems = notification_problems(now=T0)
    assert [(p.kind, p.error) for p in problems][:2] == [
        ("disabled", "channel_not_found"), ("failed", failed.last_error)]
    assert SLACK_TOKEN not in repr(problems)


def test_fixing_the_channel_delivers_what_was_held_and_retry_failed_requeues(
    db_org: DbOrg, slack_emulator: SlackEmulator, settings: object
) -> None:
    two_incidents(db_org)
    queue_notifications(db_org)
    deliver_pending(T0, make_transport(slack_emulator, channel="#no-such-channel"))

    fixed = deliver_pending(T0 + timedelta(minutes=1), make_transport(slack_emulator))
    assert fixed.sent == 1  # the held one; the failed one waits for --retry-failed

    settings.SLACK_BOT_TOKEN, settings.SLACK_CHANNEL = SLACK_TOKEN, "#routing-alerts"
    settings.SLACK_API_URL = slack_emulator.api_url
    out = io.StringIO()
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        call_command("deliver_notifications", "--retry-failed", stdout=out)
    assert "requeued 1" in out.getvalue() and "sent 1" in out.getvalue()
    assert len(slack_emulator.messages) == 2


def test_a_message_error_fails_that_notification_only(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    two_incidents(db_org)
    queue_notifications(db_org)
    slack_emulator.faults.add("error", error="invalid_blocks", times=1)

    summary = deliver_pending(T0, transport)

    assert (summary.failed, summary.sent, summary.disabled) == (1, 1, "")
    assert list(Notification.objects.order_by("id").values_list("status", flat=True)) == [
        "failed", "sent"]


def test_without_slack_configured_notifications_are_kept_for_the_dashboard(
    db_org: DbOrg, settings: object
) -> None:
    db_org.failing(2)
    report = run_evaluation(config=db_org.config, as_of=T0, now=T0)

    assert report.delivery is not None and report.delivery.kept == 1
    note = Notification.objects.get()
    assert (note.status, note.last_error, note.attempts) == ("kept", NOT_CONFIGURED, 0)
    assert note.payload["text"].startswith("Routing alert: Routing failures: Assign EMEA")
    assert [p.kind for p in notification_problems(now=T0)] == ["kept"]


def test_an_undeliverable_notification_expires_after_the_retry_period(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    db_org.failing(2)
    queue_notifications(db_org)
    slack_emulator.faults.add("server_error", status=503)
    deliver_pending(T0, transport)

    summary = deliver_pending(T0 + RETRY_FOR + timedelta(minutes=1), transport)

    note = Notification.objects.get()
    assert (summary.expired, note.status) == (1, "failed")
    assert note.last_error.startswith("expired") and "http_503" in note.last_error
    assert [p.kind for p in notification_problems(now=T0)] == ["failed"]


def test_a_reminder_waits_for_its_firing_message(
    db_org: DbOrg, transport: SlackTransport, slack_emulator: SlackEmulator
) -> None:
    db_org.failing(2)
    queue_notifications(db_org)
    queue_notifications(db_org, T0 + timedelta(hours=4))  # a reminder, queued behind
    slack_emulator.faults.add("server_error", times=1)

    deliver_pending(T0 + timedelta(hours=4), transport)
    assert slack_emulator.messages == []
    deliver_pending(T0 + timedelta(hours=5), transport)

    firing, reminder = slack_emulator.messages
    assert (firing.thread_ts, reminder.thread_ts) == (None, firing.ts)


def test_no_token_in_payloads_errors_or_logs(
    db_org: DbOrg, slack_emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    two_incidents(db_org)
    queue_notifications(db_org)
    slack_emulator.faults.add("ratelimited", times=1)
    slack_emulator.faults.add("error", error="not_in_channel", times=1)
    transport = make_transport(slack_emulator)
    deliver_pending(T0, transport)
    deliver_pending(T0 + timedelta(minutes=5), transport)

    stored = [str(n.payload) + n.last_error for n in Notification.objects.all()]
    assert all(SLACK_TOKEN not in text for text in stored)
    assert SLACK_TOKEN not in caplog.text
