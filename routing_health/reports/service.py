"""Sending the reports: the daily digest and the weekly review, through the notification outbox.

``send_daily_digest`` and ``send_weekly_review`` are the services ``manage.py daily_digest`` /
``weekly_report`` and the scheduled jobs call; each returns a ``ReportResult``. A report is not
posted to Slack directly: it is enqueued as a ``Notification`` (kind ``digest`` / ``weekly``, one
row per day / ISO week through its dedup key, so a job that runs twice enqueues once) and handed
to the outbox (``routing_health.alerts.delivery``). The outbox sends it at once when Slack
answers; otherwise it stays queued and is retried with backoff by the next delivery, like an
alert: every attempt recorded, a permanent error (``channel_not_found``, ``invalid_blocks``…)
failing the row and showing on the Health page, ``deliver_notifications --retry-failed``
requeueing it after the fix.

Without the Slack settings nothing is enqueued and the result says so (as the commands always
did: a report is not worth keeping for a Slack that does not exist).

The weekly review can also be e-mailed (``email_to``; ``reports.email_review``): one outbox row
per address, sent by the outbox's e-mail side; without ``EMAIL_URL`` / ``ALERT_EMAIL_FROM``
nothing is enqueued either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from routing_health.alerts.delivery import deliver_pending
from routing_health.config import RoutingConfig
from routing_health.models import Notification
from routing_health.reports.digest import build_daily_digest, digest_payload
from routing_health.reports.email_review import email_weekly_review
from routing_health.reports.fairness import (
    build_fairness_review,
    last_complete_month,
    render_fairness_review,
    save_fairness_review,
)
from routing_health.reports.render import render_weekly_html
from routing_health.reports.slack_summary import summary_line, weekly_slack_payload
from routing_health.reports.store import (
    default_output_path,
    report_url,
    save_weekly_report,
    write_report_file,
)
from routing_health.reports.weekly import build_weekly_report
from routing_health.salesforce import runtime
from routing_health.slack.transport import SlackTransport

DIGEST_NOT_CONFIGURED = (
    "Slack is not configured (set SLACK_BOT_TOKEN and SLACK_CHANNEL): the digest was not sent; "
    "use --dry-run to see it"
)
WEEKLY_NOT_CONFIGURED = (
    "Slack is not configured (set SLACK_BOT_TOKEN and SLACK_CHANNEL): the summary was not posted"
)
MSG_QUEUED = (
    "the {what} is queued for Slack ({reason}): the outbox retries it with backoff "
    "(notification #{id})"
)
MSG_ALREADY_SENT = "the {what} was already posted to Slack (notification #{id}): not posted again"
MSG_FAILED = "posting the {what} to Slack failed: {error}"
WAITING = "waiting behind earlier notifications"

Kind = Literal["digest", "weekly", "fairness"]
Status = Literal["dry_run", "written", "not_configured", "sent", "queued", "failed"]
_FROM_SETTINGS: Any = object()
PENDING, SENT, FAILED, KEPT = (
    Notification.Status.PENDING,
    Notification.Status.SENT,
    Notification.Status.FAILED,
    Notification.Status.KEPT,
)


class ReportError(ValueError):
    """A report that cannot be made or written; the message says why."""


@dataclass(frozen=True)
class ReportResult:
    """What sending a report did.

    ``status``: ``dry_run`` (payload only), ``written`` (weekly file and row, not posted),
    ``not_configured`` (no Slack settings), ``sent``, ``queued`` (the outbox retries it) or
    ``failed`` (a permanent Slack error, recorded on the notification and shown on the Health
    page). ``lines`` are what the command prints; ``error`` says why it failed.
    """

    kind: Kind
    period: str  # the local day (2026-11-19) or the ISO week (2026-W47)
    status: Status
    lines: tuple[str, ...] = ()
    error: str = ""
    notification_id: int | None = None
    payload: Mapping[str, Any] | None = None
    path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def summary(self) -> str:
        """The lines, and the error of a failed post: the scheduled job's detail."""
        return "\n".join([*self.lines, *([self.error] if self.error else [])]) or self.status


def enqueue_report(
    *, kind: Kind, period: str, subject: str, payload: Mapping[str, Any], now: datetime
) -> tuple[Notification, bool]:
    """The outbox row of the ``kind`` report of ``period``: ``(row, created)``.

    One row per report (its dedup key): a second call returns the first row as it is, except a
    row that failed or was kept, which is queued again with the new payload (someone runs the
    command again after fixing Slack).
    """
    key = Notification.report_key(kind, period)
    with transaction.atomic():
        note, created = Notification.objects.get_or_create(
            dedup_key=key,
            defaults={
                "kind": kind, "subject": subject, "payload": dict(payload),
                "created_at": now, "next_attempt_at": now,
            },
        )
        if not created and note.status in (FAILED, KEPT):
            Notification.objects.filter(pk=note.pk).update(
                status=PENDING, payload=dict(payload), subject=subject,
                created_at=now, next_attempt_at=now,
            )
            note.refresh_from_db()
    return note, created


def _post(
    kind: Kind,
    period: str,
    *,
    what: str,
    subject: str,
    payload: Mapping[str, Any],
    transport: SlackTransport,
    now: datetime,
) -> tuple[Status, Notification, str, str]:
    """Enqueue the report, run one delivery; ``(status, row, line, error)``."""
    note, created = enqueue_report(
        kind=kind, period=period, subject=subject, payload=payload, now=now
    )
    if note.status == SENT and not created:
        return "sent", note, MSG_ALREADY_SENT.format(what=what, id=note.pk), ""
    delivery = deliver_pending(now, transport)
    note.refresh_from_db()
    if note.status == SENT:
        return "sent", note, "", ""
    if note.status == PENDING:
        reason = note.last_error or (
            f"Slack destination disabled: {delivery.disabled}" if delivery.disabled else WAITING
        )
        return "queued", note, MSG_QUEUED.format(what=what, reason=reason, id=note.pk), ""
    return "failed", note, "", MSG_FAILED.format(what=what, error=note.last_error)


def send_daily_digest(
    *,
    day: date | None = None,
    as_of: datetime | None = None,
    dry_run: bool = False,
    config: RoutingConfig | None = None,
    transport: SlackTransport | None = _FROM_SETTINGS,
    now: datetime | None = None,
) -> ReportResult:
    """Build the digest of local ``day`` (default: yesterday in the report time zone) as of
    ``as_of`` (default: now) and post it through the outbox.

    ``config`` defaults to the configured routing file, ``transport`` to the Slack settings;
    ``now`` is the wall clock of the outbox. Raises ``DigestError`` for a day not begun.
    """
    now = now or timezone.now()
    config = config or runtime.routing_config()
    digest = build_daily_digest(config, day, as_of or now)
    period = digest.day.isoformat()
    payload = digest_payload(digest)
    if dry_run:
        return ReportResult("digest", period, "dry_run", payload=payload)
    if transport is _FROM_SETTINGS:
        transport = SlackTransport.from_settings()
    if transport is None:
        return ReportResult("digest", period, "not_configured", (DIGEST_NOT_CONFIGURED,))
    status, note, line, error = _post(
        "digest", period, what="digest", subject=f"Daily digest {period}",
        payload=payload, transport=transport, now=now,
    )
    line = line or f"posted the digest of {period} to Slack {transport.channel}"
    return ReportResult(
        "digest", period, status, () if error else (line,), error, note.pk, payload
    )


def send_weekly_review(
    *,
    week: str | None = None,
    post_to_slack: bool = False,
    email_to: Sequence[str] = (),
    output: Path | None = None,
    as_of: datetime | None = None,
    config: RoutingConfig | None = None,
    transport: SlackTransport | None = _FROM_SETTINGS,
    now: datetime | None = None,
) -> ReportResult:
    """Build the weekly review of ``week`` (default: the last complete ISO week) as of
    ``as_of`` (default: now), write its HTML file (``output``, default
    ``<data dir>/reports/weekly-<week>.html``), store it for the Reports page and, with
    ``post_to_slack``, post its summary through the outbox; with ``email_to``, e-mail it to
    those addresses through the outbox too (``reports.email_review``).

    Raises ``WeekError`` for a bad or future week and ``ReportError`` when the file cannot be
    written.
    """
    now = now or timezone.now()
    config = config or runtime.routing_config()
    report = build_weekly_report(config, week, as_of or now)
    html = render_weekly_html(report)
    path = output or default_output_path(report.week)
    try:
        write_report_file(html, path)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc}") from None
    save_weekly_report(report, html)
    lines = (str(path), summary_line(report))
    mailed = None
    if email_to:
        mailed = email_weekly_review(
            report, html, addresses=email_to, report_url=report_url(report.week), now=now
        )
        lines = (*lines, *mailed.lines)
        if not post_to_slack:
            error = "\n".join(mailed.errors)
            return ReportResult("weekly", report.week, mailed.status, lines, error, path=path)
    if not post_to_slack:
        return ReportResult("weekly", report.week, "written", lines, path=path)
    if transport is _FROM_SETTINGS:
        transport = SlackTransport.from_settings()
    if transport is None:
        failed = mailed is not None and bool(mailed.errors)
        return ReportResult(
            "weekly", report.week, "failed" if failed else "not_configured",
            (*lines, WEEKLY_NOT_CONFIGURED), "\n".join(mailed.errors) if failed else "",
            path=path,
        )
    url = report_url(report.week)
    payload = weekly_slack_payload(report, report_url=url)
    status, note, line, error = _post(
        "weekly", report.week, what="summary", subject=f"Weekly review {report.week}",
        payload=payload, transport=transport, now=now,
    )
    line = line or f"posted the summary to Slack {transport.channel} ({url})"
    lines = lines if error else (*lines, line)
    if mailed is not None and mailed.errors:  # the e-mail failed, whatever Slack did
        status, error = "failed", "\n".join(filter(None, (error, *mailed.errors)))
    return ReportResult("weekly", report.week, status, lines, error, note.pk, payload, path)


def send_fairness_review(
    *,
    month: str | None = None,
    as_of: datetime | None = None,
    output: Path | None = None,
    config: RoutingConfig | None = None,
    now: datetime | None = None,
) -> tuple[str, ...]:
    """Build the monthly fairness review of ``month`` (default: the last complete month in the
    report time zone) as of ``as_of`` (default: now), write its HTML file (``output``, default
    ``<data dir>/reports/fairness-<month>.html``) and store it for the Reports page. Returns
    the lines to print. Raises ``MonthError`` for a bad or future month, ``ReportError`` when
    the file cannot be written."""
    now = now or timezone.now()
    config = config or runtime.routing_config()
    as_of = as_of or now
    month = month or last_complete_month(as_of, config.report.timezone)
    data = build_fairness_review(config, month, as_of, now=now)
    base = (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    html = render_fairness_review(data, base_url=base)
    path = output or Path(settings.DATA_DIR) / "reports" / f"fairness-{month}.html"
    try:
        write_report_file(html, path)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc}") from None
    save_fairness_review(data, html)
    flagged = sum(p.flagged for p in data.pools)
    sent = sum(c.leads_to_inactive_rep + c.leads_to_out_of_office_rep for c in data.capacity)
    return (str(path), f"fairness review {month}: {flagged} of {len(data.pools)} pools flagged, "
                       f"{sent} leads sent to inactive or out-of-office reps")
