"""The outbox's bookkeeping, shared by per-notification and grouped delivery: claiming a row,
recording an attempt that sent or failed, and the backoff (see ``alerts.delivery``)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from routing_health.models import (
    AlertGroup,
    AlertIncident,
    Notification,
    NotificationAttempt,
    WeeklyReport,
)
from routing_health.slack.transport import SlackError

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=10)
PENDING, SENT, FAILED, KEPT = (
    Notification.Status.PENDING,
    Notification.Status.SENT,
    Notification.Status.FAILED,
    Notification.Status.KEPT,
)


def backoff(attempts: int) -> timedelta:
    """Delay after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … at most 1 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def disabling_attempt(key: str, errors: Collection[str]) -> NotificationAttempt | None:
    """The latest attempt at destination ``key`` when it failed permanently with one of
    ``errors`` (so the destination is disabled until someone retries), else None."""
    last = NotificationAttempt.objects.filter(destination=key).order_by("-id").first()
    if last is not None and not last.ok and last.permanent and last.error in errors:
        return last
    return None


def claim(note: Notification, now: datetime) -> bool:
    """Take ``note`` for one attempt (exactly one deliverer wins); counts the attempt."""
    claimed = Notification.objects.filter(
        pk=note.pk, status=PENDING, attempts=note.attempts, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if claimed == 1:
        note.attempts += 1
    return claimed == 1


def release(note: Notification, until: datetime) -> None:
    """Give back a claimed ``note`` unattempted, due again at ``until`` (a batch waits)."""
    Notification.objects.filter(pk=note.pk, status=PENDING).update(
        attempts=F("attempts") - 1, next_attempt_at=until
    )
    note.attempts -= 1


def record_sent(
    note: Notification, *, ts: str, channel: str, now: datetime, destination: str,
    group: AlertGroup | None = None,
) -> None:
    """The attempt sent ``note`` (as Slack message ``ts``, or inside a group's message)."""
    with transaction.atomic():
        NotificationAttempt.objects.create(
            notification=note, at=now, destination=destination, ok=True
        )
        Notification.objects.filter(pk=note.pk).update(
            status=SENT, sent_at=now, slack_ts=ts, channel=channel, last_error="", group=group
        )
        if note.kind == Notification.Kind.FIRING:
            AlertIncident.objects.filter(pk=note.incident_id, episode=note.episode).update(
                slack_ts=ts, slack_channel=channel
            )
        elif note.kind == Notification.Kind.WEEKLY and note.report_period:
            WeeklyReport.objects.filter(week=note.report_period).update(slack_ts=ts, posted_at=now)


def record_failed(
    note: Notification, error: SlackError, *, now: datetime, destination: str
) -> None:
    """The attempt failed: a permanent error fails the row, another schedules a retry
    (``Retry-After`` when Slack gave one, else the backoff)."""
    retry_after = getattr(error, "retry_after", None)
    with transaction.atomic():
        NotificationAttempt.objects.create(
            notification=note, at=now, destination=destination, ok=False,
            error=error.code[:100], permanent=error.permanent, retry_after=retry_after,
        )
        if error.permanent:
            Notification.objects.filter(pk=note.pk).update(status=FAILED, last_error=str(error))
        else:
            delay = backoff(note.attempts)
            if retry_after is not None:
                wait = timedelta(seconds=retry_after)
                delay = wait if error.code == "ratelimited" else max(delay, wait)
            Notification.objects.filter(pk=note.pk).update(
                next_attempt_at=now + delay, last_error=str(error)
            )
    log.warning("Slack notification %s: %s (attempt %s)", note.pk, error.code, note.attempts)
