"""The digest and the weekly review post through the notification outbox, like alerts.

Against the Slack emulator: a report is one ``Notification`` (kind ``digest``/``weekly``, one row
per day/week), sent at once when Slack answers, queued and retried with backoff when it does not,
failed and shown on the Health page on a permanent error.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from routing_health.alerts.delivery import deliver_due
from routing_health.alerts.selectors import notification_problems
from routing_health.jobs import tasks as jobs
from routing_health.models import JobLock, Notification, NotificationAttempt, WeeklyReport
from routing_health.reports.service import send_daily_digest, send_weekly_review
from tests.conftest import NOW

DAY = date(2026, 11, 18)
T0 = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)  # the outbox's wall clock: 08:00 in New York
DIGEST_TEXT = "Routing daily digest 2026-11-18:"

pytestmark = pytest.mark.django_db


def send_digest(now: datetime = T0):
    return send_daily_digest(day=DAY, as_of=NOW, now=now)


def test_the_digest_is_one_notification_delivered_by_the_outbox(synced_org, slack):
    result = send_digest()

    assert (result.status, result.lines) == (
        "sent", ("posted the digest of 2026-11-18 to Slack #routing-alerts",))
    [message] = slack.messages
    assert message.text.startswith(DIGEST_TEXT)
    note = Notification.objects.get()
    assert (note.kind, note.dedup_key, note.subject, note.incident_id) == (
        "digest", "digest:2026-11-18", "Daily digest 2026-11-18", None)
    assert (note.status, note.attempts, note.slack_ts, note.sent_at) == (
        "sent", 1, message.ts, T0)
    assert note.payload["text"] == message.text
    assert list(NotificationAttempt.objects.values_list("ok", flat=True)) == [True]
    assert result.notification_id == note.pk


def test_a_digest_sent_twice_for_a_day_is_enqueued_and_posted_once(synced_org, slack):
    send_digest()
    again = send_digest(T0 + timedelta(minutes=5))

    assert again.status == "sent"
    assert "already posted" in again.lines[0]
    assert Notification.objects.count() == 1
    assert len(slack.messages) == 1


def test_during_a_slack_outage_the_digest_stays_queued_and_a_later_delivery_sends_it(
    synced_org, slack
):
    slack.faults.add("server_error", status=500)

    result = send_digest()

    assert result.status == "queued" and result.ok
    assert "http_500" in result.lines[0] and "retries it with backoff" in result.lines[0]
    note = Notification.objects.get()
    # One attempt, then the first backoff step: 30 s (30 s doubling, spec section 6).
    assert (note.status, note.attempts, note.next_attempt_at) == (
        "pending", 1, T0 + timedelta(seconds=30))
    assert slack.messages == []

    assert deliver_due(now=T0 + timedelta(seconds=10)).delivery.sent == 0  # not due yet
    slack.faults.clear()
    later = deliver_due(now=T0 + timedelta(seconds=30))

    assert (later.delivery.sent, later.delivery.queued) == (1, 0)
    [message] = slack.messages
    assert message.text.startswith(DIGEST_TEXT)
    note.refresh_from_db()
    assert (note.status, note.attempts, note.sent_at) == ("sent", 2, T0 + timedelta(seconds=30))


def test_a_rate_limited_digest_waits_for_retry_after(synced_org, slack):
    slack.faults.add("ratelimited", times=1, retry_after=120)

    assert send_digest().status == "queued"
    assert deliver_due(now=T0 + timedelta(seconds=119)).delivery.sent == 0
    assert deliver_due(now=T0 + timedelta(seconds=120)).delivery.sent == 1
    assert [c.status for c in slack.calls] == [429, 200]
    assert list(NotificationAttempt.objects.order_by("id").values_list("error", "retry_after")) \
        == [("ratelimited", 120.0), ("", None)]


def test_a_permanent_error_is_recorded_and_shown_on_the_health_page(
    synced_org, slack, client, django_user_model
):
    slack.faults.add("error", error="channel_not_found", times=1)

    result = send_digest()

    assert (result.status, result.ok) == ("failed", False)
    assert result.error == (
        "posting the digest to Slack failed: Slack chat.postMessage failed: channel_not_found")
    note = Notification.objects.get()
    assert (note.status, note.attempts) == ("failed", 1)
    assert deliver_due(now=T0 + timedelta(hours=1)).delivery.sent == 0  # not retried
    [problem] = [p for p in notification_problems(now=T0) if p.kind == "failed"]
    assert (problem.notification_kind, problem.subject, problem.incident_id) == (
        "digest", "Daily digest 2026-11-18", None)
    assert "channel_not_found" in problem.error

    client.force_login(django_user_model.objects.create_user("ops"))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):  # the last 7 days
        page = client.get("/health").content.decode()
    row = page[page.index("Daily digest 2026-11-18") - 600:]
    assert "Failed" in row and "channel_not_found" in row and "<td>digest</td>" in row


def test_the_digest_command_reports_a_permanent_error_as_a_command_error(synced_org, slack):
    slack.faults.add("error", error="is_archived", times=1)
    with pytest.raises(CommandError, match=r"posting the digest to Slack failed: .*is_archived"):
        call_command("daily_digest", "--date", "2026-11-18", stdout=io.StringIO())
    assert Notification.objects.get().status == "failed"


def test_the_digest_command_leaves_a_digest_queued_while_slack_is_down(synced_org, slack):
    slack.faults.add("down")
    out = io.StringIO()
    call_command("daily_digest", "--date", "2026-11-18", stdout=out)  # exits 0
    assert "the digest is queued for Slack (Slack chat.postMessage failed: connection_error" \
        in out.getvalue()
    assert Notification.objects.get().status == "pending"


def test_the_weekly_review_is_marked_posted_when_the_outbox_sends_it(synced_org, slack):
    slack.faults.add("server_error", status=503)

    result = send_weekly_review(week="2026-W46", post_to_slack=True, as_of=NOW, now=T0)

    assert result.status == "queued"
    assert WeeklyReport.objects.get().posted_at is None
    note = Notification.objects.get()
    assert (note.kind, note.dedup_key, note.subject) == (
        "weekly", "weekly:2026-W46", "Weekly review 2026-W46")

    slack.faults.clear()
    deliver_due(now=T0 + timedelta(minutes=1))

    [message] = slack.messages
    assert "Weekly routing review 2026-W46" in message.text
    stored = WeeklyReport.objects.get()
    assert (stored.slack_ts, stored.posted_at) == (message.ts, T0 + timedelta(minutes=1))
    # Writing the week again keeps it posted and does not post it again.
    again = send_weekly_review(week="2026-W46", post_to_slack=True, as_of=NOW, now=T0)
    assert "already posted" in again.lines[-1]
    assert WeeklyReport.objects.get().posted_at == T0 + timedelta(minutes=1)
    assert len(slack.messages) == 1


def test_the_digest_job_retried_after_a_crash_enqueues_the_day_once(synced_org, slack):
    with time_machine.travel(T0, tick=False):
        first = jobs.run_daily_digest()
        JobLock.objects.all().delete()  # as if the worker died before the claim was kept
        second = jobs.run_daily_digest()

    assert first == {
        "job": "daily_digest", "status": "ok",
        "detail": "posted the digest of 2026-11-19 to Slack #routing-alerts",
    }
    assert second["status"] == "ok" and "already posted" in second["detail"]
    assert Notification.objects.get().dedup_key == "digest:2026-11-19"
    assert len(slack.messages) == 1


def test_the_weekly_job_posts_the_past_week_through_the_outbox(synced_org, slack):
    monday_nine = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York
    with time_machine.travel(monday_nine, tick=False):
        result = jobs.run_weekly_report()

    assert result["status"] == "ok"
    assert result["detail"].endswith(
        "posted the summary to Slack #routing-alerts "
        "(https://health.example.com/reports/2026-W47)")
    assert Notification.objects.get().dedup_key == "weekly:2026-W47"
    assert WeeklyReport.objects.get(week="2026-W47").slack_ts == slack.messages[0].ts


def test_a_digest_job_that_hits_a_permanent_error_fails_and_keeps_its_claim(synced_org, slack):
    slack.faults.add("error", error="channel_not_found", times=1)
    with time_machine.travel(T0, tick=False):
        result = jobs.run_daily_digest()
        later = jobs.run_daily_digest(now=T0 + timedelta(hours=1))

    assert result["status"] == "failed"
    assert "channel_not_found" in result["detail"]
    assert later["status"] == "skipped"  # the outbox holds the failure; no second attempt
    assert [c.error for c in slack.calls] == ["channel_not_found"]
