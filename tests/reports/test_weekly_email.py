"""The weekly review by e-mail (issue 14 point 5), against a real local SMTP server (aiosmtpd).

One outbox row per week and address (kind ``weekly``, destination ``email:<address>``), sent as
text + HTML from ALERT_EMAIL_FROM; a 451 leaves it queued for the outbox's backoff; a refused
recipient (550) fails the row after one attempt and disables that address (Health page); the
SMTP password appears nowhere.

The numbers come from the four-lead org counted by hand in ``test_hand_counted.py``: 4 leads,
assignment success 3 / 4 = 75.0 %, TTA p95 9.2 min, rejection 1 / 3 = 33.3 %, top failure
reason "fallback: Lead Triage" (1 lead).
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from routing_health.alerts.delivery import deliver_due
from routing_health.alerts.selectors import notification_problems
from routing_health.models import Notification, NotificationAttempt, WeeklyReport
from routing_health.reports.email_review import enqueue_email
from routing_health.reports.service import send_weekly_review
from tests.conftest import EMAIL_FROM, NOW, SMTP_PASSWORD, SMTP_PASSWORD_QUOTED
from tests.reports.test_hand_counted import AS_OF, build_hand_org

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)  # the outbox's wall clock
REPORT_URL = "https://health.example.com/reports/2026-W46"
SUMMARY = (  # label → value, counted by hand (module doc)
    ("Leads created", "4"),
    ("Assignment success", "75.0%"),
    ("Time to assignment p95", "9.2 min"),
    ("Rejection rate", "33.3%"),
)


@pytest.fixture
def hand_org(sync_org):
    sync_org(*build_hand_org())


def weekly_report(*args: str) -> str:
    out = io.StringIO()
    call_command("weekly_report", "--as-of", AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "--week", "2026-W46", *args, stdout=out)
    return out.getvalue()


def slack_fields(message) -> dict[str, str]:
    """The Slack summary's metric fields: label → value line."""
    [section] = [b for b in message.blocks if b.get("type") == "section" and b.get("fields")]
    fields = {}
    for field in section["fields"]:
        label, value = field["text"].split("\n")[:2]
        fields[label.strip("*")] = value
    return fields


def text_lines(text: str) -> dict[str, str]:
    """The e-mail's metric lines: label → value (without the target mark)."""
    found = {}
    for line in text.splitlines():
        label, sep, value = line.partition(": ")
        if sep:
            found[label] = value.split(" — ")[0]
    return found


def test_the_review_arrives_as_text_and_html_with_the_slack_summary_numbers(
    hand_org, smtp_server, slack
):
    output = weekly_report("--post-to-slack", "--email", "revops@example.com",
                           "--email", "cro@example.com")

    assert "e-mailed the review to revops@example.com" in output
    assert "e-mailed the review to cro@example.com" in output
    assert sorted(m.rcpt_tos for m in smtp_server.messages) == [
        ("cro@example.com",), ("revops@example.com",)]
    mail = next(m for m in smtp_server.messages if m.rcpt_tos == ("revops@example.com",))
    assert mail.mail_from == "routing-health@example.com"
    assert mail.message["From"] == EMAIL_FROM
    assert mail.message["To"] == "revops@example.com"
    assert mail.message["Subject"] == "Weekly routing review 2026-W46"
    text = mail.message.get_body(("plain",)).get_content()
    html = mail.message.get_body(("html",)).get_content()
    lines = text_lines(text)
    for label, value in SUMMARY:
        assert lines[label] == value
    assert "Top failure reason: fallback: Lead Triage — 1 failed lead" in text
    assert REPORT_URL in text
    assert "<html" in html and "Weekly routing review 2026-W46" in html
    assert "4 leads; assignment success 75.0%" in html  # the review's key findings
    # Every metric of the Slack summary reads the same in the e-mail.
    [message] = slack.messages
    fields = slack_fields(message)
    assert fields["Leads created"] == "4"
    for label, value in fields.items():
        assert lines[label] == value
    rows = Notification.objects.filter(destination__startswith="email:").order_by("destination")
    assert [(n.kind, n.dedup_key, n.status, n.attempts) for n in rows] == [
        ("weekly", "weekly:2026-W46 email:cro@example.com", "sent", 1),
        ("weekly", "weekly:2026-W46 email:revops@example.com", "sent", 1),
    ]
    # The Slack post is what marks the week posted; an e-mail does not touch it.
    assert WeeklyReport.objects.get().slack_ts == message.ts


def test_a_week_is_e_mailed_once_per_address(hand_org, smtp_server):
    weekly_report("--email", "revops@example.com")
    again = weekly_report("--email", "revops@example.com", "--email", "cro@example.com")

    assert "already e-mailed to revops@example.com" in again
    assert sorted(m.rcpt_tos for m in smtp_server.messages) == [
        ("cro@example.com",), ("revops@example.com",)]
    assert Notification.objects.count() == 2


def test_a_451_leaves_it_queued_and_a_later_delivery_sends_it(synced_org, smtp_server):
    smtp_server.handler.defer(1)

    result = send_weekly_review(week="2026-W46", email_to=["revops@example.com"], as_of=NOW,
                                now=T0)

    assert (result.status, result.ok) == ("queued", True)
    assert "smtp_451" in result.lines[-1] and "retries it with backoff" in result.lines[-1]
    note = Notification.objects.get()
    # One attempt, then the first backoff step: 30 s (30 s doubling, as for Slack).
    assert (note.status, note.attempts, note.next_attempt_at) == (
        "pending", 1, T0 + timedelta(seconds=30))
    assert smtp_server.messages == []

    assert deliver_due(now=T0 + timedelta(seconds=10)).delivery.sent == 0  # not due yet
    later = deliver_due(now=T0 + timedelta(seconds=30))

    assert (later.delivery.sent, later.delivery.queued) == (1, 0)
    [mail] = smtp_server.messages
    assert mail.message["Subject"] == "Weekly routing review 2026-W46"
    note.refresh_from_db()
    assert (note.status, note.attempts, note.sent_at) == ("sent", 2, T0 + timedelta(seconds=30))
    assert list(NotificationAttempt.objects.order_by("id").values_list("ok", "error")) == [
        (False, "smtp_451"), (True, "")]


def test_a_refused_recipient_fails_once_disables_the_address_and_shows_on_health(
    synced_org, smtp_server, client, django_user_model
):
    smtp_server.handler.refuse("gone@example.com")

    result = send_weekly_review(
        week="2026-W46", email_to=["gone@example.com", "revops@example.com"], as_of=NOW, now=T0
    )

    assert (result.status, result.ok) == ("failed", False)
    assert result.error.startswith(
        "e-mailing the review to gone@example.com failed: SMTP recipient_refused: "
        "gone@example.com (550 5.1.1")
    [mail] = smtp_server.messages  # the other address still gets it
    assert mail.rcpt_tos == ("revops@example.com",)
    gone = Notification.objects.get(destination="email:gone@example.com")
    assert (gone.status, gone.attempts) == ("failed", 1)
    [attempt] = gone.attempt_log.all()
    assert (attempt.ok, attempt.permanent, attempt.error) == (False, True, "recipient_refused")

    # Not retried ...
    tried = smtp_server.handler.rcpt_calls.count("gone@example.com")
    assert deliver_due(now=T0 + timedelta(hours=1)).delivery.sent == 0
    # ... and the address is disabled: a later week's review to it waits, untried.
    later = send_weekly_review(week="2026-W47", email_to=["gone@example.com"], as_of=NOW,
                               now=T0 + timedelta(hours=1))
    assert later.status == "queued"
    assert "gone@example.com is disabled" in later.lines[-1]
    assert smtp_server.handler.rcpt_calls.count("gone@example.com") == tried
    assert Notification.objects.get(dedup_key="weekly:2026-W47 email:gone@example.com").attempts \
        == 0

    [disabled] = [p for p in notification_problems(now=T0) if p.kind == "disabled"]
    assert (disabled.destination, disabled.email_address) == (
        "email:gone@example.com", "gone@example.com")
    assert "550 5.1.1" in disabled.error
    client.force_login(django_user_model.objects.create_user("ops"))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = client.get("/health").content.decode()
    assert "E-mail to gone@example.com is refused" in page
    row = page[page.index("Weekly routing review 2026-W46"):][:400]
    assert "to gone@example.com" in row

    # Fixed on the mail server; --retry-failed sends both weeks and enables the address again.
    smtp_server.handler.refused.clear()
    retried = deliver_due(now=T0 + timedelta(hours=2), retry_failed=True)
    assert retried.delivery.sent == 2
    assert [m.rcpt_tos for m in smtp_server.messages[1:]] == [("gone@example.com",)] * 2
    assert [p for p in notification_problems(now=T0) if p.kind == "disabled"] == []


def test_the_command_reports_a_refused_recipient_as_a_command_error(hand_org, smtp_server):
    smtp_server.handler.refuse("gone@example.com")
    with pytest.raises(CommandError, match=r"e-mailing the review to gone@example.com failed"):
        weekly_report("--email", "gone@example.com")


def test_without_email_settings_nothing_is_enqueued_and_the_command_says_so(hand_org):
    output = weekly_report("--email", "revops@example.com")
    assert "e-mail is not configured (set EMAIL_URL and ALERT_EMAIL_FROM)" in output
    assert Notification.objects.count() == 0


def test_a_refused_login_disables_the_smtp_destination_and_the_password_is_nowhere(
    synced_org, smtp_server, settings, caplog, client, django_user_model
):
    caplog.set_level(logging.DEBUG)
    good_url = settings.EMAIL_URL
    settings.EMAIL_URL = good_url.replace(SMTP_PASSWORD_QUOTED, "wrong%20horse")

    result = send_weekly_review(week="2026-W46", email_to=["revops@example.com"], as_of=NOW,
                                now=T0)

    assert result.status == "failed"
    assert "auth_failed" in result.error and "535" in result.error
    note = Notification.objects.get()
    assert (note.status, note.attempts) == ("failed", 1)
    [problem] = [p for p in notification_problems(now=T0) if p.kind == "disabled"]
    assert problem.destination == "email" and "auth_failed" in problem.error
    # The destination is disabled: the next week is not even tried.
    send_weekly_review(week="2026-W47", email_to=["revops@example.com"], as_of=NOW, now=T0)
    assert NotificationAttempt.objects.count() == 1
    client.force_login(django_user_model.objects.create_user("ops"))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        page = client.get("/health").content.decode()
    assert "The SMTP server refuses the destination" in page

    # The right password (other settings: another destination) sends the queued week.
    settings.EMAIL_URL = good_url
    assert deliver_due(now=T0 + timedelta(minutes=1)).delivery.sent == 1
    assert len(smtp_server.messages) == 1

    secrets = (SMTP_PASSWORD, SMTP_PASSWORD_QUOTED, "wrong horse", "wrong%20horse")
    stored = [str(v) for v in Notification.objects.values_list(
        "payload", "last_error", "subject", "destination", "dedup_key")]
    stored += [str(v) for v in NotificationAttempt.objects.values_list("destination", "error")]
    for secret in secrets:
        assert secret not in caplog.text
        assert all(secret not in value for value in stored)
        assert secret not in page


def test_in_one_delivery_a_refused_address_is_tried_once(synced_org, smtp_server):
    smtp_server.handler.refuse("gone@example.com")
    for week in ("2026-W46", "2026-W47"):
        enqueue_email(period=week, address="gone@example.com", subject=f"Review {week}",
                      text="text", html="", now=T0)

    result = deliver_due(now=T0)

    assert smtp_server.handler.rcpt_calls == ["gone@example.com"]
    assert (result.delivery.sent, result.delivery.failed, result.delivery.queued) == (0, 1, 1)
    assert list(Notification.objects.order_by("id").values_list("status", "attempts")) == [
        ("failed", 1), ("pending", 0)]
