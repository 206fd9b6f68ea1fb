"""Read-side queries about alerts, for the dashboard's Alerts and Health pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.db.models import QuerySet
from django.utils import timezone

from routing_health.alerts import email_delivery
from routing_health.alerts.delivery import NOT_CONFIGURED, destination_key, destination_problem
from routing_health.mail.transport import MailTransport
from routing_health.models import AlertIncident, Notification
from routing_health.slack.transport import SlackTransport

ProblemKind = Literal["disabled", "failed", "retrying", "kept"]
PROBLEM_DAYS = 7


@dataclass(frozen=True)
class NotificationProblem:
    """Something the Health page shows about Slack delivery (alerts, digests, weekly reviews).

    - ``disabled``: Slack refused the destination (token or channel); nothing is sent until the
      settings change or ``deliver_notifications --retry-failed`` runs;
    - ``failed``: a notification that will not be retried (permanent error, or expired);
    - ``retrying``: a notification that failed for now and waits for its next attempt;
    - ``kept``: a notification not sent because Slack is not configured.

    An alert notification names its incident (``incident_id``, ``rule``, segment); a report
    notification (``notification_kind`` ``digest`` or ``weekly``) has a ``subject`` instead.
    ``destination`` is ``""`` for Slack, ``"email"`` for the SMTP server and
    ``"email:<address>"`` for one e-mail address (a ``disabled`` one: it refused mail).
    """

    kind: ProblemKind
    error: str
    at: datetime
    notification_id: int | None = None
    incident_id: int | None = None
    rule: str = ""
    region: str = ""
    tier: str = ""
    notification_kind: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    subject: str = ""
    destination: str = ""

    @property
    def email_address(self) -> str:
        return self.destination.partition(":")[2] if self.destination.startswith("email") else ""


def notification_problems(
    *, now: datetime | None = None, days: int = PROBLEM_DAYS, limit: int = 100
) -> list[NotificationProblem]:
    """Delivery problems of the last ``days`` days, the destination problem first."""
    now = now or timezone.now()
    problems: list[NotificationProblem] = []
    transport = SlackTransport.from_settings()
    if transport is not None:
        disabled = destination_problem(destination_key(transport))
        if disabled is not None:
            problems.append(NotificationProblem("disabled", disabled.error, disabled.at))
    problems += _email_disabled()
    recent = (
        Notification.objects.select_related("incident")
        .filter(created_at__gte=now - timedelta(days=days))
        .order_by("-created_at", "-id")
    )
    rows = list(recent.filter(status=Notification.Status.FAILED)[:limit])
    rows += list(recent.filter(status=Notification.Status.PENDING, attempts__gt=0)[:limit])
    rows += list(recent.filter(status=Notification.Status.KEPT)[:limit])
    for row in rows:
        kind: ProblemKind = {"failed": "failed", "pending": "retrying", "kept": "kept"}[row.status]
        if kind == "kept" and row.destination:
            error = row.last_error or email_delivery.NOT_CONFIGURED
        else:
            error = row.last_error or (NOT_CONFIGURED if kind == "kept" else "")
        incident = row.incident  # None for a digest or weekly review
        problems.append(
            NotificationProblem(
                kind=kind,
                error=error,
                at=row.created_at,
                notification_id=row.pk,
                incident_id=row.incident_id,
                rule=incident.rule if incident else "",
                region=incident.region if incident else "",
                tier=incident.tier if incident else "",
                notification_kind=row.kind,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at if kind == "retrying" else None,
                subject=row.subject,
                destination=row.destination,
            )
        )
    return problems


def _email_disabled() -> list[NotificationProblem]:
    """The SMTP destination, or the e-mail addresses, that refused mail (nothing unless e-mail
    is configured)."""
    transport = MailTransport.from_settings()
    if transport is None:
        return []
    key = email_delivery.server_key(transport)
    server = email_delivery.server_problem(key)
    if server is not None:
        error = server.notification.last_error or server.error
        return [NotificationProblem("disabled", error, server.at, destination="email")]
    return [
        NotificationProblem(
            "disabled", attempt.notification.last_error or attempt.error, attempt.at,
            notification_id=attempt.notification_id, destination=destination,
        )
        for destination, attempt in sorted(email_delivery.disabled_recipients(key).items())
    ]


def firing_incidents() -> QuerySet[AlertIncident]:
    """Incidents firing now, oldest first."""
    return AlertIncident.objects.filter(state=AlertIncident.State.FIRING).order_by(
        "first_seen", "id"
    )


def active_incidents() -> QuerySet[AlertIncident]:
    """Incidents firing, or breaching but not yet for their rule's ``for`` (pending), oldest
    first."""
    return AlertIncident.objects.filter(
        state__in=(AlertIncident.State.FIRING, AlertIncident.State.PENDING)
    ).order_by("first_seen", "id")


def recent_incidents(*, days: int = 30, now: datetime | None = None) -> QuerySet[AlertIncident]:
    """Incidents seen in the last ``days`` days, most recent first (with their events)."""
    now = now or timezone.now()
    return (
        AlertIncident.objects.filter(last_seen__gte=now - timedelta(days=days))
        .prefetch_related("events")
        .order_by("-last_seen", "-id")
    )
