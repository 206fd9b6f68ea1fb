"""The notification outbox: deliver due ``Notification`` rows through ``SlackTransport``.

Alert notifications (firing, reminder, resolved) and report notifications (the daily digest and
the weekly review, enqueued by ``routing_health.reports.service``) share the queue, the claim, the
retries and the error handling; only the threading below is particular to alerts. A weekly
review's ``ts`` is stored on its ``WeeklyReport`` when it is sent (the Reports page's "Posted").

Guarantees:

- **Claimed once.** A row is claimed with ``UPDATE … SET attempts = attempts + 1,
  next_attempt_at = now + lease WHERE id = ? AND status = 'pending' AND attempts = ? AND
  next_attempt_at <= now``, which must change exactly one row; a concurrent deliverer skips it.
  A worker that dies after claiming leaves the row to be retried when the lease ends (the
  unavoidable crash-after-send window: the message may then be posted twice).
- **In order per incident.** A reminder or resolved notice waits while an earlier notification
  of its incident is pending, and then goes into the thread of that episode's firing message
  (``reply_broadcast``, so the channel sees it too). A resolved notice also edits the original
  message's header to "Resolved" (best effort, via the stored channel id and ``ts``).
- **Retried, not lost.** ``ratelimited`` waits ``Retry-After``; 5xx, timeouts and connection
  errors back off exponentially (30 s doubling, at most 1 h). A retryable error ends the run
  (Slack is unwell: the other rows wait for the next run rather than pile on). A row still
  undelivered ``RETRY_FOR`` (48 h) after it was created is failed as expired.
- **Permanent errors are not retried.** The row fails after one attempt. A destination error
  (``invalid_auth``, ``channel_not_found``, ``not_in_channel``, ``is_archived``, …) disables the
  destination: nothing more is attempted there until the Slack settings change or someone runs
  ``deliver_notifications --retry-failed``. ``selectors.notification_problems`` shows all of it.
  ``deliver_due`` is the service the command and the scheduled job call.
- **Not configured.** Without ``SLACK_BOT_TOKEN``/``SLACK_CHANNEL`` pending Slack rows become
  ``kept`` ("not sent: Slack is not configured") and stay visible on the dashboard.
- **E-mail.** Rows whose ``destination`` is ``email:<address>`` are not Slack's: after the Slack
  rows, ``alerts.email_delivery.deliver_email`` sends them through the SMTP transport, with the
  same claim, attempts, backoff and permanent errors.

Every attempt is a ``NotificationAttempt`` row. Errors are recorded and logged by their Slack
error code only: no token, no request headers.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from routing_health.alerts.grouping import configured_policy, firing_by_group
from routing_health.alerts.groups import deliver_grouped
from routing_health.alerts.outbox import (
    FAILED,
    KEPT,
    PENDING,
    SENT,
    claim,
    disabling_attempt,
    record_failed,
    record_sent,
)
from routing_health.alerts.routes import SLACK
from routing_health.models import Notification, NotificationAttempt
from routing_health.slack.transport import (
    DESTINATION_ERRORS,
    SlackError,
    SlackPermanentError,
    SlackRetryableError,
    SlackTransport,
)

log = logging.getLogger(__name__)

RETRY_FOR = timedelta(hours=48)
MAX_PASSES = 5  # grouped passes per run: firing, then a reminder or resolve queued behind it
NOT_CONFIGURED = "not sent: Slack is not configured (SLACK_BOT_TOKEN and SLACK_CHANNEL)"
EXPIRED = "expired: not delivered within {hours:g} h; last error: {error}"
THREAD_GONE = frozenset({"thread_not_found", "message_not_found", "cannot_reply_to_message"})


@dataclass
class DeliverySummary:
    sent: int = 0
    failed: int = 0
    retrying: int = 0  # attempted, failed for now, scheduled again
    queued: int = 0  # still pending after this run
    kept: int = 0
    expired: int = 0
    disabled: str = ""  # the destination error that stops delivery, if any
    email_disabled: str = ""  # the SMTP error that stops e-mail delivery (alerts.email_delivery)

    def line(self) -> str:
        text = (f"notifications: sent {self.sent}, failed {self.failed}, "
                f"queued {self.queued}, kept {self.kept}")
        if self.expired:
            text += f", expired {self.expired}"
        if self.disabled:
            text += f" (Slack destination disabled: {self.disabled})"
        if self.email_disabled:
            text += f" (e-mail destination disabled: {self.email_disabled})"
        return text


@dataclass(frozen=True)
class DeliveryResult:
    """What ``deliver_due`` did: failed notifications put back in the queue, then one delivery."""

    requeued: int
    delivery: DeliverySummary

    def lines(self) -> list[str]:
        head = [f"requeued {self.requeued} failed notifications"] if self.requeued else []
        return [*head, self.delivery.line()]

    def summary(self) -> str:
        return "\n".join(self.lines())


_FROM_SETTINGS: Any = object()


def deliver_due(
    *,
    now: datetime | None = None,
    transport: SlackTransport | None = _FROM_SETTINGS,
    retry_failed: bool = False,
) -> DeliveryResult:
    """Send the due notifications (alerts and reports) at wall-clock ``now`` (default: now).

    ``transport`` defaults to ``SlackTransport.from_settings()`` (None: Slack not configured,
    pending rows are kept). ``retry_failed`` first requeues the failed notifications of the
    last ``RETRY_FOR`` and tries a destination Slack refused once more.
    """
    now = now or timezone.now()
    if transport is _FROM_SETTINGS:
        transport = SlackTransport.from_settings()
    requeued = requeue_failed(now) if retry_failed else 0
    return DeliveryResult(requeued, deliver_pending(now, transport, force=retry_failed))


def destination_key(transport: SlackTransport) -> str:
    """Which Slack destination (API URL, channel, token) a transport sends to, as a short hash."""
    token = str(getattr(getattr(transport, "_client", None), "token", "") or "")
    raw = f"{transport.api_url}\n{transport.channel}\n{token}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def destination_problem(key: str) -> NotificationAttempt | None:
    """The destination error that disabled ``key`` (its latest attempt), else None."""
    return disabling_attempt(key, DESTINATION_ERRORS)


def _expire(now: datetime) -> int:
    stale = Notification.objects.filter(status=PENDING, created_at__lt=now - RETRY_FOR)
    count = 0
    for row in stale:
        error = EXPIRED.format(hours=RETRY_FOR / timedelta(hours=1), error=row.last_error or "-")
        count += Notification.objects.filter(pk=row.pk, status=PENDING).update(
            status=FAILED, last_error=error
        )
    return count


def requeue_failed(now: datetime) -> int:
    """Put failed notifications younger than ``RETRY_FOR`` back in the queue."""
    return Notification.objects.filter(status=FAILED, created_at__gte=now - RETRY_FOR).update(
        status=PENDING, next_attempt_at=now
    )


def deliver_pending(
    now: datetime, transport: SlackTransport | None, *, limit: int = 1000, force: bool = False
) -> DeliverySummary:
    """Send the due notifications (oldest first, at most ``limit``) at wall-clock ``now``.

    ``force`` tries a disabled destination once more. See the module doc for the guarantees.
    """
    summary = DeliverySummary(expired=_expire(now))
    if transport is None:
        summary.kept = slack_rows().filter(status=PENDING).update(
            status=KEPT, last_error=NOT_CONFIGURED
        )
    else:
        for route in _slack_routes(now):
            routed = transport if not route else transport.for_channel(route[len(SLACK):])
            key = destination_key(routed)
            problem = None if force else destination_problem(key)
            if problem is not None:
                summary.disabled = problem.error
                continue
            if not _deliver_due(now, routed, key, limit, summary, route):
                break  # Slack is unwell: the other channels wait for the next run
    # Rows with an "email:" destination go through the SMTP transport (a module of its own,
    # importing this one: hence imported here).
    from routing_health.alerts.email_delivery import deliver_email

    deliver_email(now, summary, limit=limit, force=force)
    summary.queued = Notification.objects.filter(status=PENDING).count()
    return summary


def slack_rows() -> QuerySet[Notification]:
    """The notifications that go to Slack: the default channel ("") or a route's channel."""
    return Notification.objects.filter(Q(destination="") | Q(destination__startswith=SLACK))


def _slack_routes(now: datetime) -> list[str]:
    """The Slack destinations with due rows, the default channel first."""
    due = slack_rows().filter(status=PENDING, next_attempt_at__lte=now)
    return sorted(set(due.values_list("destination", flat=True)))


def _first_pending(incident_ids: set[int], route: str) -> dict[int, int]:
    rows = (
        Notification.objects.filter(status=PENDING, incident_id__in=incident_ids, destination=route)
        .values("incident_id")
        .annotate(first=Min("id"))
    )
    return {row["incident_id"]: row["first"] for row in rows}


def _deliver_due(
    now: datetime, transport: SlackTransport, key: str, limit: int, summary: DeliverySummary,
    route: str = "",
) -> bool:
    """The due rows of one Slack destination; False when a Slack error ends the run."""
    due = list(
        Notification.objects.filter(
            status=PENDING, next_attempt_at__lte=now, destination=route
        ).order_by("created_at", "id")[:limit]
    )
    tried: set[int] = set()
    policy = configured_policy()
    firing = firing_by_group(policy) if any(n.incident_id for n in due) else {}
    for _ in range(MAX_PASSES):  # a row that waited for its incident's earlier one goes next
        first = _first_pending({n.incident_id for n in due if n.incident_id is not None}, route)
        alerts = [n for n in due if n.incident_id is not None and n.id not in tried
                  and first.get(n.incident_id) == n.id]
        if not alerts:
            break
        tried.update(n.id for n in alerts)
        # Alerts go out per group (alerts.groups); reports one by one below.
        sent, failed, retrying, stop = deliver_grouped(
            alerts, now=now, transport=transport, destination=key, route=route, policy=policy,
            firing=firing)
        summary.sent += sent
        summary.failed += failed
        summary.retrying += retrying
        if stop is not None:
            if isinstance(stop, SlackPermanentError) and stop.disables_destination:
                summary.disabled = stop.code
                return True  # this destination only: the other channels go on
            return False
    for note in due:
        if note.incident_id is not None:
            continue  # delivered with its group above
        if not claim(note, now):
            continue  # another deliverer has it
        error = _attempt(note, transport, now, key)
        if error is None:
            summary.sent += 1
        elif error.permanent:
            summary.failed += 1
        else:
            summary.retrying += 1
        if isinstance(error, SlackPermanentError) and error.disables_destination:
            summary.disabled = error.code
            break
        if isinstance(error, SlackRetryableError):
            return False
    return True


def _parent(note: Notification) -> Notification | None:
    """The sent firing message of the same episode, whose thread this notice joins."""
    return (
        Notification.objects.filter(
            incident_id=note.incident_id, episode=note.episode,
            kind=Notification.Kind.FIRING, status=SENT, destination=note.destination,
        )
        .exclude(slack_ts="")
        .order_by("id")
        .first()
    )


def _send(note: Notification, transport: SlackTransport) -> str:
    payload: Mapping[str, Any] = note.payload
    threaded = note.incident_id is not None and note.kind != Notification.Kind.FIRING
    parent = _parent(note) if threaded else None
    if parent is None:
        return transport.post(payload)
    try:
        ts = transport.post_in_thread(parent.slack_ts, {**payload, "reply_broadcast": True})
    except SlackPermanentError as exc:
        if exc.code not in THREAD_GONE:
            raise
        return transport.post(payload)  # the original was deleted or is elsewhere
    if note.kind == Notification.Kind.RESOLVED:
        _mark_original_resolved(parent, payload, transport)
    return ts


def _mark_original_resolved(
    parent: Notification, resolved: Mapping[str, Any], transport: SlackTransport
) -> None:
    """Swap the firing message's header for the resolved one; best effort, never retried."""
    # A resolved message offers no Acknowledge / Snooze buttons any more.
    blocks = [b for b in parent.payload.get("blocks") or [] if b.get("type") != "actions"]
    new_header = (resolved.get("blocks") or [None])[0]
    if not blocks or blocks[0].get("type") != "header" or not new_header:
        return
    blocks[0] = new_header
    try:
        transport.update(
            parent.slack_ts,
            {"text": resolved.get("text", ""), "blocks": blocks},
            channel=parent.channel or None,
        )
    except SlackError as exc:
        log.info("could not mark Slack message %s resolved: %s", parent.slack_ts, exc.code)


def _attempt(
    note: Notification, transport: SlackTransport, now: datetime, key: str
) -> SlackError | None:
    """One attempt; records it and the outcome. Returns the error, or None when sent."""
    try:
        ts = _send(note, transport)
    except SlackError as exc:
        error: SlackError = exc
    except Exception as exc:  # a bug must not wedge the outbox: back off and surface it
        log.exception("sending notification %s failed unexpectedly", note.pk)
        error = SlackRetryableError(f"internal_error: {type(exc).__name__}")
    else:
        record_sent(note, ts=ts, channel=transport.channel_id or "", now=now, destination=key)
        return None
    record_failed(note, error, now=now, destination=key)
    return error
