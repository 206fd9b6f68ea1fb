"""What people do to incidents: acknowledge and snooze, from Slack's buttons or the Alerts page.

``acknowledge`` and ``snooze_for`` take the incidents a button (``alerts.buttons``) or a form
names as ``IncidentRef`` (id + episode) and record who did it (``Actor``). Both are idempotent
and claimed like every incident write (``UPDATE … WHERE id = ? AND version = ?``, retried when
an evaluation changed the row meanwhile), so Slack retrying a request or two people clicking at
once record one acknowledgement.

- **Acknowledge** applies to the episode named only, while it fires: no more reminders for it
  (``incidents`` skips them), an ``acknowledged`` event with the who in its note. An episode
  that has resolved or been followed by a new one is left alone (``episode_over``).
- **Snooze** is per fingerprint (``snooze`` (below)), whatever the episode: notifications stop
  until ``at + duration``; the who is kept on the incident and in the ``snoozed`` event.

``slack_reply`` is the thread reply that tells the channel who did what.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from django.db import transaction
from django.db.models import F

from routing_health.alerts.buttons import IncidentRef
from routing_health.lib.format import format_duration, format_time
from routing_health.lib.mrkdwn import escape_mrkdwn, plain_text
from routing_health.models import AlertIncident, IncidentEvent

Outcome = Literal[
    "acknowledged", "snoozed", "already_acknowledged", "episode_over", "not_firing", "unknown"
]
CHANGED: frozenset[str] = frozenset({"acknowledged", "snoozed"})
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_RETRIES = 10
MSG_BUSY = "could not {what}: the incident keeps changing; try again"


MSG_NO_INCIDENT = "no alert incident with id or fingerprint {key!r}"


def find_incident(key: AlertIncident | int | str) -> AlertIncident:
    """An incident by row, id or fingerprint (``AlertIncident.DoesNotExist`` if none)."""
    if isinstance(key, AlertIncident):
        return AlertIncident.objects.get(pk=key.pk)
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and len(key) < 20):
        return AlertIncident.objects.get(pk=int(key))
    try:
        return AlertIncident.objects.get(fingerprint=key)
    except AlertIncident.DoesNotExist:
        raise AlertIncident.DoesNotExist(MSG_NO_INCIDENT.format(key=key)) from None


def snooze(
    key: AlertIncident | int | str,
    *,
    until: datetime | None,
    at: datetime,
    note: str = "",
    by: str = "",
) -> AlertIncident:
    """Silence an incident's notifications until ``until`` (``None``: unsnooze now).

    Evaluation goes on while snoozed. Recorded as a ``snoozed`` / ``unsnoozed`` event; ``by``
    (who snoozed: a dashboard user, or a Slack user as ``alerts.actions.Actor.label`` gives it)
    is kept on the incident with ``at`` while the snooze lasts.
    """
    for _ in range(10):  # retry when a concurrent evaluation updated the row meanwhile
        incident = find_incident(key)
        with transaction.atomic():
            claimed = AlertIncident.objects.filter(
                pk=incident.pk, version=incident.version
            ).update(
                version=F("version") + 1, snoozed_until=until,
                snoozed_by="" if until is None else by[:255],
                snoozed_at=None if until is None else at,
            )
            if claimed != 1:
                continue
            kind = IncidentEvent.Kind.UNSNOOZED if until is None else IncidentEvent.Kind.SNOOZED
            text = note or ("" if until is None else f"until {until.isoformat()}")
            IncidentEvent.objects.create(
                incident=incident, episode=incident.episode, at=at, kind=kind, note=text
            )
        return AlertIncident.objects.get(pk=incident.pk)
    raise RuntimeError("could not snooze: the incident keeps changing; try again")



@dataclass(frozen=True)
class Actor:
    """Who acted: a Slack user (id and name) or a dashboard user (``slack_user_id`` "")."""

    name: str
    slack_user_id: str = ""

    @property
    def label(self) -> str:
        """How the who is recorded: "jane (Slack U123ABC)" or "ana (dashboard)"."""
        name = plain_text(self.name, 120) or "someone"
        where = f"Slack {self.slack_user_id}" if self.slack_user_id else "dashboard"
        return f"{name} ({where})"

    def mrkdwn(self) -> str:
        """The who for Slack text: a mention when the id looks like one, and the escaped name."""
        name = escape_mrkdwn(plain_text(self.name, 120) or "someone")
        if _SLACK_USER_ID.fullmatch(self.slack_user_id):
            return f"<@{self.slack_user_id}> ({name})"
        return name


@dataclass(frozen=True)
class ActionResult:
    ref: IncidentRef
    outcome: Outcome
    incident: AlertIncident | None = None

    @property
    def changed(self) -> bool:
        return self.outcome in CHANGED


def acknowledge(refs: Iterable[IncidentRef], *, by: Actor, at: datetime) -> list[ActionResult]:
    """Acknowledge each incident's episode named in ``refs`` (see the module doc)."""
    return [_acknowledge_one(ref, by, at) for ref in refs]


def _acknowledge_one(ref: IncidentRef, by: Actor, at: datetime) -> ActionResult:
    for _ in range(_RETRIES):
        incident = AlertIncident.objects.filter(pk=ref.incident_id).first()
        if incident is None:
            return ActionResult(ref, "unknown")
        if incident.episode != ref.episode:
            return ActionResult(ref, "episode_over", incident)
        if incident.state != AlertIncident.State.FIRING:
            return ActionResult(ref, "not_firing", incident)
        if incident.acknowledged_at is not None:
            return ActionResult(ref, "already_acknowledged", incident)
        with transaction.atomic():
            claimed = AlertIncident.objects.filter(
                pk=incident.pk, version=incident.version, episode=ref.episode,
                state=AlertIncident.State.FIRING, acknowledged_at__isnull=True,
            ).update(
                version=F("version") + 1, acknowledged_at=at, acknowledged_by=by.name[:255],
                acknowledged_by_slack_id=by.slack_user_id[:32],
            )
            if claimed != 1:
                continue  # an evaluation (or another click) changed the row: look again
            IncidentEvent.objects.create(
                incident=incident, episode=incident.episode, at=at,
                kind=IncidentEvent.Kind.ACKNOWLEDGED, note=f"by {by.label}",
            )
        return ActionResult(ref, "acknowledged", AlertIncident.objects.get(pk=incident.pk))
    raise RuntimeError(MSG_BUSY.format(what="acknowledge"))


def snooze_for(
    refs: Iterable[IncidentRef],
    *,
    duration: timedelta,
    by: Actor,
    at: datetime,
    zone: tzinfo | str = "UTC",
) -> list[ActionResult]:
    """Snooze each incident of ``refs`` until ``at + duration`` (see the module doc).

    ``zone``: the report timezone, for the time written in the event note.
    """
    until = at + duration
    note = f"for {format_duration(duration)}, until {format_time(until, zone)}, by {by.label}"
    results = []
    for ref in refs:
        if not AlertIncident.objects.filter(pk=ref.incident_id).exists():
            results.append(ActionResult(ref, "unknown"))
            continue
        incident = snooze(ref.incident_id, until=until, at=at, note=note, by=by.label)
        results.append(ActionResult(ref, "snoozed", incident))
    return results


def slack_reply(
    results: Sequence[ActionResult],
    *,
    by: Actor,
    duration: timedelta | None = None,
    until: datetime | None = None,
    zone: tzinfo | str = "UTC",
) -> str | None:
    """The thread reply (mrkdwn) saying who did what; None when nothing changed."""
    done = [r for r in results if r.changed]
    if not done:
        return None
    count = f" ({len(done)} incidents)" if len(done) > 1 else ""
    if done[0].outcome == "acknowledged":
        return (
            f"Acknowledged by {by.mrkdwn()}{count}: no more reminders until it resolves."
        )
    length = format_duration(duration) if duration is not None else "a while"
    end = f" (until {format_time(until, zone)})" if until is not None else ""
    return f"Snoozed for {length} by {by.mrkdwn()}{end}{count}: no notifications until then."
