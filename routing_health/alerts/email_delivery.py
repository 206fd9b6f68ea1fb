"""The outbox's e-mail side: deliver due ``Notification`` rows whose ``destination`` is
``email:<address>`` through ``MailTransport`` (``EMAIL_URL`` / ``ALERT_EMAIL_FROM``).

``alerts.delivery.deliver_pending`` sends the Slack rows (``destination == ""``) and then calls
``deliver_email`` for the rest, with the same guarantees: a row is claimed once (the same
conditional ``UPDATE``), every attempt is a ``NotificationAttempt``, retryable errors (4xx,
timeouts, refused connections, a dropped session) back off the same way (30 s doubling, at most
1 h) and end the run, a row undelivered for ``RETRY_FOR`` expires, and permanent errors fail
the row after one attempt:

- a refused recipient (5xx for RCPT TO) disables that address: its later rows wait, untried,
  until ``deliver_notifications --retry-failed`` (or other SMTP settings);
- an authentication failure, a refused sender, a missing STARTTLS/AUTH or a bad certificate
  disable the SMTP destination: no e-mail is tried until the settings change or
  ``--retry-failed``.

An e-mail row's payload is ``{"subject", "text", "html"}``. The attempts' ``destination`` is a
hash of the SMTP server, user, password and sender (``server_key``): never the password itself.
Without ``EMAIL_URL`` and ``ALERT_EMAIL_FROM`` pending e-mail rows become ``kept``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.db import transaction
from django.db.models import F, QuerySet

from routing_health.alerts.delivery import DeliverySummary
from routing_health.alerts.group_email import group_email
from routing_health.alerts.grouping import configured_policy, firing_by_group, key_of, labels_of
from routing_health.alerts.notices import salesforce_instance_url
from routing_health.alerts.outbox import (
    FAILED,
    KEPT,
    LEASE,
    PENDING,
    SENT,
    backoff,
    claim,
    disabling_attempt,
)
from routing_health.mail.transport import (
    RECIPIENT_ERRORS,
    SERVER_ERRORS,
    MailError,
    MailPermanentError,
    MailRetryableError,
    MailTransport,
)
from routing_health.models import AlertIncident, Notification, NotificationAttempt

log = logging.getLogger(__name__)

NOT_CONFIGURED = "not sent: e-mail is not configured (EMAIL_URL and ALERT_EMAIL_FROM)"


def email_rows() -> QuerySet[Notification]:
    """The notifications that go by e-mail."""
    return Notification.objects.filter(destination__startswith=Notification.EMAIL_PREFIX)


def server_key(transport: MailTransport) -> str:
    """Which SMTP destination (server, user, password, sender) a transport uses, as a hash."""
    server = transport.server
    raw = (
        f"smtp\n{server.host}\n{server.port}\n{server.use_tls}\n{server.use_ssl}\n"
        f"{server.username}\n{server.password}\n{transport.from_address}"
    ).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def server_problem(key: str) -> NotificationAttempt | None:
    """The error that disabled the SMTP destination ``key`` (its latest attempt), else None."""
    return disabling_attempt(key, SERVER_ERRORS)


def recipient_problem(key: str, destination: str) -> NotificationAttempt | None:
    """The refusal that disabled the e-mail ``destination`` (``email:<address>``) on the SMTP
    destination ``key``: the latest attempt there, when it was a refused recipient."""
    last = (
        NotificationAttempt.objects.filter(destination=key, notification__destination=destination)
        .order_by("-id")
        .first()
    )
    if last is not None and not last.ok and last.permanent and last.error in RECIPIENT_ERRORS:
        return last
    return None


def disabled_recipients(key: str) -> dict[str, NotificationAttempt]:
    """Every e-mail destination disabled on ``key``: ``{"email:<address>": attempt}``."""
    destinations = (
        NotificationAttempt.objects.filter(destination=key, error__in=RECIPIENT_ERRORS)
        .values_list("notification__destination", flat=True)
        .distinct()
    )
    found = {}
    for destination in destinations:
        problem = recipient_problem(key, destination)
        if problem is not None:
            found[destination] = problem
    return found


def deliver_email(
    now: datetime,
    summary: DeliverySummary,
    *,
    transport: MailTransport | None = None,
    limit: int = 1000,
    force: bool = False,
) -> DeliverySummary:
    """Send the due e-mail notifications at wall-clock ``now``, adding to ``summary``.

    ``transport`` defaults to ``MailTransport.from_settings()``; ``force`` tries a disabled
    SMTP destination or address once more.
    """
    transport = transport or MailTransport.from_settings()
    if transport is None:
        summary.kept += email_rows().filter(status=PENDING).update(
            status=KEPT, last_error=NOT_CONFIGURED
        )
        return summary
    key = server_key(transport)
    problem = None if force else server_problem(key)
    if problem is not None:
        summary.email_disabled = problem.error
        return summary
    due = list(
        email_rows()
        .filter(status=PENDING, next_attempt_at__lte=now)
        .order_by("created_at", "id")[:limit]
    )
    disabled = set() if force else set(disabled_recipients(key))
    alerts = [n for n in due if n.incident_id is not None and n.destination not in disabled]
    due = [n for n in due if n.incident_id is None]
    if alerts and not _deliver_alert_groups(alerts, transport, now, key, summary):
        return summary
    for note in due:
        if note.destination in disabled:
            continue  # this address refused mail: wait for --retry-failed
        claimed = Notification.objects.filter(
            pk=note.pk, status=PENDING, attempts=note.attempts, next_attempt_at__lte=now
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
        if claimed != 1:
            continue  # another deliverer has it
        note.attempts += 1
        error = _attempt(note, transport, now, key)
        if error is None:
            summary.sent += 1
            continue
        if error.permanent:
            summary.failed += 1
        else:
            summary.retrying += 1
        if isinstance(error, MailPermanentError) and error.disables == "recipient":
            disabled.add(note.destination)
        elif isinstance(error, MailPermanentError) and error.disables == "server":
            summary.email_disabled = error.code
            break
        elif isinstance(error, MailRetryableError):
            break  # the server is unwell: the other rows wait for the next run
    return summary


def _deliver_alert_groups(
    notes: list[Notification], transport: MailTransport, now: datetime, key: str,
    summary: DeliverySummary,
) -> bool:
    """One e-mail per address and alert group (``alerts.group_email``); False when an error
    ends the run. The rows of a group go out, or are retried, together."""
    policy = configured_policy()
    firing = firing_by_group(policy)
    incidents = {i.pk: i for i in AlertIncident.objects.filter(
        pk__in={n.incident_id for n in notes})}
    batches: dict[tuple[str, str], list[Notification]] = {}
    for note in notes:
        note.incident = incidents[note.incident_id]
        group = key_of(labels_of(note.incident, policy.group_by))
        batches.setdefault((note.destination, group), []).append(note)
    refused: set[str] = set()
    for (address, group), batch in batches.items():
        if address in refused:
            continue  # this address refused mail in this run: wait for --retry-failed
        claimed = [n for n in batch if claim(n, now)]
        if not claimed:
            continue
        carrier, *others = claimed
        payload = group_email(claimed, now=now, policy=policy,
                              instance_url=salesforce_instance_url(),
                              members=firing.get(group, []))
        Notification.objects.filter(pk=carrier.pk).update(payload=payload)
        carrier.payload = payload
        error = _attempt(carrier, transport, now, key)
        for note in others:  # carried by the same e-mail: the same outcome
            if error is None:
                record_mail_sent(note, now=now, destination=key)
            else:
                _record_failure(note, error, now, key)
        if error is None:
            summary.sent += len(claimed)
            continue
        if error.permanent:
            summary.failed += len(claimed)
        else:
            summary.retrying += len(claimed)
        if isinstance(error, MailPermanentError) and error.disables == "recipient":
            refused.add(address)
        if isinstance(error, MailRetryableError) or (
            isinstance(error, MailPermanentError) and error.disables == "server"
        ):
            if error.permanent:
                summary.email_disabled = error.code
            return False
    return True


def record_mail_sent(note: Notification, *, now: datetime, destination: str) -> None:
    with transaction.atomic():
        NotificationAttempt.objects.create(
            notification=note, at=now, destination=destination, ok=True
        )
        Notification.objects.filter(pk=note.pk).update(status=SENT, sent_at=now, last_error="")


def _attempt(
    note: Notification, transport: MailTransport, now: datetime, key: str
) -> MailError | None:
    """One SMTP attempt; records it and the outcome. Returns the error, or None when sent."""
    payload = note.payload or {}
    try:
        transport.send(
            to=[note.email_address],
            subject=str(payload.get("subject") or note.subject),
            text=str(payload.get("text") or ""),
            html=str(payload.get("html") or ""),
        )
    except MailError as exc:
        error: MailError = exc
    except Exception as exc:  # a bug must not wedge the outbox: back off and surface it
        log.exception("e-mailing notification %s failed unexpectedly", note.pk)
        error = MailRetryableError(f"internal_error: {type(exc).__name__}")
    else:
        record_mail_sent(note, now=now, destination=key)
        return None
    _record_failure(note, error, now, key)
    return error


def _record_failure(note: Notification, error: MailError, now: datetime, key: str) -> None:
    with transaction.atomic():
        NotificationAttempt.objects.create(
            notification=note, at=now, destination=key, ok=False, error=error.code[:100],
            permanent=error.permanent,
        )
        if error.permanent:
            Notification.objects.filter(pk=note.pk).update(status=FAILED, last_error=str(error))
        else:
            Notification.objects.filter(pk=note.pk).update(
                next_attempt_at=now + backoff(note.attempts), last_error=str(error)
            )
    log.warning("e-mail notification %s: %s (attempt %s)", note.pk, error.code, note.attempts)
