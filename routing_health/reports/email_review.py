"""The weekly review by e-mail: a plain-text body, the HTML review as the alternative, one
outbox row per address (``manage.py weekly_report --email ADDRESS``).

The text says what the Slack summary says (the same metrics, labels and numbers, through
``slack_summary.metric_words`` and the one formatter) without Slack's markup; the HTML part is
the review itself (``render.render_weekly_html``). Each address is one ``Notification``
(kind ``weekly``, destination ``email:<address>``, dedup key ``weekly:<week> email:<address>``),
sent by the outbox's e-mail side (``alerts.email_delivery``): retried with backoff when the SMTP
server is unwell, failed at once when the address is refused (which disables that address).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from routing_health.alerts.delivery import DeliverySummary
from routing_health.alerts.email_delivery import deliver_email, recipient_problem, server_key
from routing_health.lib.format import format_count
from routing_health.mail.transport import MailTransport
from routing_health.metrics.catalog import metric
from routing_health.models import Notification
from routing_health.reports import mrkdwn
from routing_health.reports.slack_summary import SUMMARY_METRICS, driver_sentences, metric_words
from routing_health.reports.weekly import WeeklyReportData

NOT_CONFIGURED = (
    "e-mail is not configured (set EMAIL_URL and ALERT_EMAIL_FROM): the review was not e-mailed"
)
MSG_SENT = "e-mailed the review to {address}"
MSG_ALREADY_SENT = (
    "the review was already e-mailed to {address} (notification #{id}): not sent again"
)
MSG_QUEUED = (
    "the review e-mail to {address} is queued ({reason}): the outbox retries it with backoff "
    "(notification #{id})"
)
MSG_FAILED = "e-mailing the review to {address} failed: {error}"
WAITING = "waiting behind earlier notifications"


def weekly_email_subject(report: WeeklyReportData) -> str:
    partial = " (partial week)" if not report.period.complete else ""
    return f"Weekly routing review {report.period.week}{partial}"


def weekly_email_text(report: WeeklyReportData, *, report_url: str) -> str:
    """The plain-text part: the Slack summary's content, as text."""
    total = report.total
    previous = report.previous_period.week
    lines = [
        f"Weekly routing review {report.period.week}",
        f"{report.period.start:%a %d %b} – {report.period.end:%a %d %b %Y} "
        f"({report.timezone}) · compared with {previous}"
        + (" · partial week" if not report.period.complete else ""),
        "",
    ]
    if total.current is None:
        lines.append(f"No leads were created in {report.period.week}.")
    else:
        for name in SUMMARY_METRICS:
            check = next((c for c in total.targets if c.metric == name), None)
            mark = ""
            if check is not None and check.status != "n/a":
                mark = f" — {mrkdwn.STATUS_MARKS[check.status]}"
            lines.append(f"{metric(name).label}: {metric_words(total, name)}{mark}")
    lines.append("")
    top = report.top_failure_reason
    if top is not None:
        lines.append(
            f"Top failure reason: {top.reason} — {format_count(top.count)} failed "
            f"lead{'s' if top.count != 1 else ''} ({format_count(top.previous)} in {previous})"
        )
    else:
        lines.append("Routing failures: none this week.")
    lines += driver_sentences(report)
    if report.anomalies:
        lines.append(f"{format_count(len(report.anomalies))} alert episode(s) during the week")
    if report.flow_changes:
        lines.append(f"{format_count(len(report.flow_changes))} flow version change(s)")
    lines += ["", f"The full weekly review: {report_url}", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class EmailOutcome:
    """What e-mailing the review did: ``status`` ``not_configured``, ``sent``, ``queued`` or
    ``failed`` (the worst over the addresses), a line per address, the errors."""

    status: Literal["not_configured", "sent", "queued", "failed"]
    lines: tuple[str, ...]
    errors: tuple[str, ...] = ()
    notification_ids: tuple[int, ...] = ()


def enqueue_email(
    *, period: str, address: str, subject: str, text: str, html: str, now: datetime
) -> tuple[Notification, bool]:
    """The outbox row of the weekly review of ``period`` for ``address``: ``(row, created)``.
    A row that failed or was kept is queued again with the new content."""
    destination = Notification.email_destination(address)
    key = Notification.report_key(Notification.Kind.WEEKLY, period, destination)
    payload = {"subject": subject, "text": text, "html": html}
    note, created = Notification.objects.get_or_create(
        dedup_key=key,
        defaults={
            "kind": Notification.Kind.WEEKLY, "subject": subject, "payload": payload,
            "destination": destination, "created_at": now, "next_attempt_at": now,
        },
    )
    if not created and note.status in (Notification.Status.FAILED, Notification.Status.KEPT):
        Notification.objects.filter(pk=note.pk).update(
            status=Notification.Status.PENDING, payload=payload, subject=subject,
            created_at=now, next_attempt_at=now,
        )
        note.refresh_from_db()
    return note, created


def email_weekly_review(
    report: WeeklyReportData,
    html: str,
    *,
    addresses: Sequence[str],
    report_url: str,
    now: datetime,
    transport: MailTransport | None = None,
) -> EmailOutcome:
    """Enqueue the review for each of ``addresses`` (once per week and address) and run one
    e-mail delivery. ``transport`` defaults to the e-mail settings."""
    transport = transport or MailTransport.from_settings()
    if transport is None:
        return EmailOutcome("not_configured", (NOT_CONFIGURED,))
    subject = weekly_email_subject(report)
    text = weekly_email_text(report, report_url=report_url)
    rows = []
    for address in dict.fromkeys(a.strip() for a in addresses if a.strip()):
        rows.append(enqueue_email(
            period=report.period.week, address=address, subject=subject, text=text, html=html,
            now=now,
        ))
    summary = deliver_email(now, DeliverySummary(), transport=transport)
    lines, errors, statuses = [], [], set()
    for note, created in rows:
        address = note.email_address
        if note.status == Notification.Status.SENT and not created:
            lines.append(MSG_ALREADY_SENT.format(address=address, id=note.pk))
            statuses.add("sent")
            continue
        note.refresh_from_db()
        if note.status == Notification.Status.SENT:
            lines.append(MSG_SENT.format(address=address))
            statuses.add("sent")
        elif note.status == Notification.Status.PENDING:
            refused = recipient_problem(server_key(transport), note.destination)
            reason = (f"{address} is disabled: {refused.notification.last_error}" if refused
                      else note.last_error) or (
                f"e-mail destination disabled: {summary.email_disabled}"
                if summary.email_disabled else WAITING
            )
            lines.append(MSG_QUEUED.format(address=address, reason=reason, id=note.pk))
            statuses.add("queued")
        else:
            errors.append(MSG_FAILED.format(address=address, error=note.last_error))
            statuses.add("failed")
    status: Literal["sent", "queued", "failed"] = (
        "failed" if "failed" in statuses else "queued" if "queued" in statuses else "sent"
    )
    return EmailOutcome(status, tuple(lines), tuple(errors), tuple(n.pk for n, _ in rows))
