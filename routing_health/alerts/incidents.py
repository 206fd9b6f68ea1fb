"""The incident lifecycle: findings → state changes → events and outbox rows, edge-triggered.

``plan_transitions`` (pure) compares an evaluation's findings with the stored incidents and says
what changes; ``apply_transitions`` writes each change with its ``IncidentEvent`` and, when
someone must hear of it, its ``Notification``, in one transaction. Lifecycle:

- A fingerprint that starts breaching is **pending** while the breach is younger than its
  rule's ``for`` (``Finding.for_minutes``, measured on evaluation times from ``first_seen``, the
  first evaluation that found it); it **fires** at the first evaluation at least ``for`` after
  that: one "firing" notification. A rule with ``for = 0`` fires at once. A pending incident
  whose condition clears is **dropped**: resolved at once, silently (it never paged). One row
  per fingerprint: breaching again after a resolve reopens the row as the next ``episode``
  (new ``first_seen``, a new Slack message and thread).
- While it keeps breaching, a **reminder** at most every ``reminder_hours`` (default 4) after the
  last notification; otherwise the row is only refreshed (value, sample, leads).
- It **resolves** once the condition has been clear for ``resolve_after`` (default 15 minutes,
  measured from the first evaluation that found it clear; a breach in between starts over), so
  a flapping condition does not page on every flip. The resolve sends one "resolved" notice when
  the episode was announced. A rule disabled in the configuration resolves the same way.
- **Acknowledged** (``acknowledged_at``, ``alerts.actions.acknowledge``): someone is on it, so
  no more reminders for this episode; the resolve is still announced. A new episode (it resolved
  and fired again) starts unacknowledged.
- **Snoozed** (``snoozed_until`` later than the evaluation): evaluation and state changes go on,
  notifications do not. An episode that fired while snoozed is announced by the first evaluation
  after the snooze ends; one that also resolved meanwhile is never announced.
- **Held** (``sync_stale`` firing): data-derived rules neither fire, resolve nor remind; a
  ``held`` event marks when a firing incident's hold began.
- An evaluation older than an incident's ``last_seen`` (or ``resolved_at``) leaves it alone, and
  evaluating twice at the same ``as_of`` changes nothing the second time.

Every write is claimed with ``UPDATE … WHERE id = ? AND version = ?`` (or the unique fingerprint
for a new row): when it does not change exactly one row, a concurrent evaluation made the change
first and this one skips it, so a state change is never notified twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.db.models import F

from routing_health.alerts.evaluate import Finding
from routing_health.alerts.message import AlertKind
from routing_health.alerts.notices import alert_message, finding_details, render
from routing_health.alerts.routes import EMAIL, destinations_for
from routing_health.alerts.rules import rule_spec
from routing_health.alerts.slack_blocks import value_text
from routing_health.config.model import Route
from routing_health.models import AlertIncident, IncidentEvent, Notification

RESOLVE_AFTER = timedelta(minutes=15)
PENDING = AlertIncident.State.PENDING
FIRING, RESOLVED = AlertIncident.State.FIRING, AlertIncident.State.RESOLVED
Action = Literal[
    "pend", "fire", "announce", "remind", "refresh", "clearing", "resolve", "drop", "hold"
]
NOTE_DROPPED = "cleared while pending: it never fired"
NOTE_SNOOZED = "snoozed: not notified"
NOTE_HELD = "sync_stale is firing: this rule is held until the data is fresh"


@dataclass(frozen=True)
class Transition:
    """One planned change of one fingerprint. ``incident`` is the row as read (None: new)."""

    action: Action
    fingerprint: str
    rule: str
    region: str
    tier: str
    failure_reason: str | None
    incident: AlertIncident | None
    finding: Finding | None
    value: float | None
    notify: AlertKind | None = None
    unsnooze: bool = False

    def describe(self) -> str:
        segment = "/".join(p for p in (self.region, self.tier) if p) or "all leads"
        reason = f" [{self.failure_reason}]" if self.failure_reason else ""
        value = value_text(self.value, rule_spec(self.rule).value_format)
        notify = f", notify {self.notify}" if self.notify else ""
        return f"{self.action} {self.rule} {segment}{reason} (value {value}{notify})"


@dataclass(frozen=True)
class Plan:
    transitions: tuple[Transition, ...]
    held: int = 0
    snoozed: int = 0


def _snoozed(incident: AlertIncident | None, as_of: datetime) -> bool:
    return bool(incident and incident.snoozed_until and incident.snoozed_until > as_of)


def _snooze_ended(incident: AlertIncident | None, as_of: datetime) -> bool:
    return bool(incident and incident.snoozed_until and incident.snoozed_until <= as_of)


def _for_finding(
    finding: Finding, incident: AlertIncident | None, as_of: datetime, reminder: timedelta
) -> Transition | None:
    def make(action: Action, notify: AlertKind | None) -> Transition:
        return Transition(
            action, finding.fingerprint, finding.rule, finding.region, finding.tier,
            finding.failure_reason, incident, finding, finding.value,
            None if _snoozed(incident, as_of) or finding.inhibited_by
            or finding.severity == "info" else notify,  # info: the daily digest only
            _snooze_ended(incident, as_of),
        )

    wait = timedelta(minutes=finding.for_minutes)
    if incident is None:
        return make("pend", None) if wait else make("fire", "firing")
    if incident.state == RESOLVED:
        if incident.resolved_at is not None and as_of <= incident.resolved_at:
            return None  # an evaluation older than the resolve
        return make("pend", None) if wait else make("fire", "firing")
    if as_of <= incident.last_seen:
        return None  # evaluated at this time (or later) already
    if incident.state == PENDING:
        return make("fire", "firing") if as_of - incident.first_seen >= wait else make(
            "refresh", None)
    if _snoozed(incident, as_of):
        return make("refresh", None)
    if not incident.announced:
        return make("announce", "firing")
    last = incident.last_notified_at
    if last is not None and as_of - last >= reminder and incident.acknowledged_at is None:
        return make("remind", "reminder")
    return make("refresh", None)


def plan_transitions(
    *,
    findings: Sequence[Finding],
    incidents: Iterable[AlertIncident],
    evaluated: frozenset[str],
    held: frozenset[str] = frozenset(),
    values: Mapping[str, float | None] | None = None,
    as_of: datetime,
    reminder: timedelta = timedelta(hours=4),
    resolve_after: timedelta = RESOLVE_AFTER,
) -> Plan:
    """What this evaluation changes (see the module doc). Pure: reads the incident rows only.

    ``evaluated``: the rules whose findings are complete in this evaluation (an incident of
    such a rule without a finding is clear); ``held``: the rules held by ``sync_stale``.
    """
    values = values or {}
    by_fingerprint = {incident.fingerprint: incident for incident in incidents}
    out: list[Transition] = []
    held_count = snoozed = 0
    seen: set[str] = set()
    for finding in findings:
        seen.add(finding.fingerprint)
        incident = by_fingerprint.get(finding.fingerprint)
        if finding.rule in held:
            held_count += 1
            if incident is not None and incident.state == FIRING and incident.held_since is None:
                out.append(_hold(incident))
            continue
        if finding.rule not in evaluated:
            continue
        snoozed += _snoozed(incident, as_of)
        transition = _for_finding(finding, incident, as_of, reminder)
        if transition is not None:
            out.append(transition)
    for incident in by_fingerprint.values():
        if incident.fingerprint in seen or incident.state == RESOLVED:
            continue
        if incident.state == PENDING:
            if incident.rule in evaluated and as_of >= incident.last_seen:
                out.append(_change(incident, "drop", values.get(incident.fingerprint), None))
            continue
        if incident.rule in held:
            held_count += 1
            if incident.held_since is None:
                out.append(_hold(incident))
            continue
        if incident.rule not in evaluated or as_of < incident.last_seen:
            continue
        snoozed += _snoozed(incident, as_of)
        absent = 0.0 if incident.rule == "routing_failures" else None
        value = values.get(incident.fingerprint, absent)
        clear_since = incident.clear_since or as_of
        if as_of - clear_since >= resolve_after:
            notify: AlertKind | None = "resolved"
            if not incident.announced or _snoozed(incident, as_of):
                notify = None
            out.append(_change(incident, "resolve", value, notify, as_of))
        elif incident.clear_since is None or incident.held_since is not None:
            out.append(_change(incident, "clearing", value, None, as_of))
    return Plan(tuple(out), held_count, snoozed)


def _change(incident: AlertIncident, action: Action, value: float | None,
            notify: AlertKind | None, as_of: datetime | None = None) -> Transition:
    ended = as_of is not None and _snooze_ended(incident, as_of)
    return Transition(
        action, incident.fingerprint, incident.rule, incident.region, incident.tier,
        incident.failure_reason or None, incident, None, value, notify, ended,
    )


def _hold(incident: AlertIncident) -> Transition:
    return _change(incident, "hold", incident.current_value, None)


# --------------------------------------------------------------------------------------------
# Applying


def _finding_fields(finding: Finding) -> dict[str, Any]:
    return {
        "current_value": finding.value,
        "threshold": finding.threshold,
        "comparison": finding.comparison,
        "sample": finding.sample,
        "severity": finding.severity,
        "inhibited_by": finding.inhibited_by or "",
        "details": {
            **finding_details(finding), "for_minutes": finding.for_minutes,
            "consequences": list(finding.consequences),
        },
    }


def _fields(t: Transition, as_of: datetime) -> dict[str, Any]:
    """The column updates of a transition of an existing incident."""
    incident = t.incident
    assert incident is not None
    fields: dict[str, Any] = {"held_since": None}
    if t.finding is not None:
        fields.update(_finding_fields(t.finding), last_seen=as_of, clear_since=None)
    if t.unsnooze:
        fields.update(snoozed_until=None, snoozed_by="", snoozed_at=None)
    if t.notify in ("firing", "reminder"):
        fields.update(announced=True, last_notified_at=as_of)
    if t.action == "fire" and incident.state == PENDING:  # held for `for`: same episode
        fields.update(
            state=FIRING, fired_at=as_of, announced=t.notify == "firing",
            last_notified_at=as_of if t.notify else None,
        )
    elif t.action in ("fire", "pend"):  # reopen: a new episode
        firing = t.action == "fire"
        fields.update(
            state=FIRING if firing else PENDING, episode=incident.episode + 1, first_seen=as_of,
            fired_at=as_of if firing else None, resolved_at=None,
            announced=t.notify == "firing", last_notified_at=as_of if t.notify else None,
            slack_ts="", slack_channel="", acknowledged_at=None, acknowledged_by="",
            acknowledged_by_slack_id="",
        )
    elif t.action == "clearing":
        fields["clear_since"] = incident.clear_since or as_of
    elif t.action in ("resolve", "drop"):
        fields.update(state=RESOLVED, resolved_at=as_of, clear_since=None, current_value=t.value)
    elif t.action == "hold":
        fields["held_since"] = as_of
    return fields


EVENT_OF: Mapping[str, str] = {
    "pend": IncidentEvent.Kind.PENDING,
    "drop": IncidentEvent.Kind.RESOLVED,
    "fire": IncidentEvent.Kind.FIRED,
    "announce": IncidentEvent.Kind.FIRED,
    "remind": IncidentEvent.Kind.REMINDED,
    "resolve": IncidentEvent.Kind.RESOLVED,
    "hold": IncidentEvent.Kind.HELD,
}


def apply_transitions(
    transitions: Iterable[Transition], *, as_of: datetime, now: datetime, report_timezone: str,
    routes: Sequence[Route] = (),
) -> list[Transition]:
    """Write each transition (claimed, see the module doc); returns those this call made.

    ``as_of`` is the evaluation time (incident times); ``now`` the wall clock (outbox times);
    notifications show times in ``report_timezone`` (``[report] timezone``); each goes to the
    destinations of ``[[alerts.routes]]`` (``routes``; none: the default Slack channel), one
    outbox row per destination.
    """
    applied: list[Transition] = []
    for t in transitions:
        try:
            with transaction.atomic():
                incident = _claim(t, as_of)
                if incident is None:
                    continue  # a concurrent evaluation changed the row first
                _record(t, incident, as_of, now, report_timezone, routes)
        except IntegrityError:
            continue  # a concurrent evaluation created this fingerprint first
        applied.append(t)
    return applied


def _claim(t: Transition, as_of: datetime) -> AlertIncident | None:
    if t.incident is None:
        assert t.finding is not None
        firing = t.action == "fire"
        return AlertIncident.objects.create(
            fingerprint=t.fingerprint, rule=t.rule, region=t.region, tier=t.tier,
            failure_reason=t.failure_reason or "", state=FIRING if firing else PENDING,
            episode=1, first_seen=as_of, last_seen=as_of, fired_at=as_of if firing else None,
            announced=t.notify == "firing",
            last_notified_at=as_of if t.notify else None, **_finding_fields(t.finding),
        )
    fields = _fields(t, as_of)
    claimed = AlertIncident.objects.filter(pk=t.incident.pk, version=t.incident.version).update(
        version=F("version") + 1, **fields
    )
    if claimed != 1:
        return None
    return AlertIncident.objects.get(pk=t.incident.pk)


def _record(
    t: Transition, incident: AlertIncident, as_of: datetime, now: datetime, report_timezone: str,
    routes: Sequence[Route] = (),
) -> None:
    if t.unsnooze:
        IncidentEvent.objects.create(
            incident=incident, episode=incident.episode, at=as_of,
            kind=IncidentEvent.Kind.UNSNOOZED, note="the snooze ended",
        )
    kind = EVENT_OF.get(t.action)
    if kind is not None:
        note = ""
        if t.action == "hold":
            note = NOTE_HELD
        elif t.action == "drop":
            note = NOTE_DROPPED
        elif t.action == "announce":
            note = "first notification of this episode (it fired while snoozed)"
        elif t.notify is None and t.action in ("fire", "resolve") and _snoozed(t.incident, as_of):
            note = NOTE_SNOOZED
        IncidentEvent.objects.create(
            incident=incident, episode=incident.episode, at=as_of, kind=kind, value=t.value,
            note=note,
        )
    if t.notify is None:
        return
    message = alert_message(
        t.notify, rule=incident.rule, region=incident.region, tier=incident.tier,
        failure_reason=incident.failure_reason or None, details=incident.details,
        value=t.value, threshold=incident.threshold, comparison=incident.comparison,
        first_seen=incident.first_seen, as_of=as_of, timezone=report_timezone,
    )
    buttons = [(incident.pk, incident.episode)] if t.notify != "resolved" else []
    payload = render(message, buttons_for=buttons)
    labels = {"region": incident.region, "tier": incident.tier, "rule": incident.rule,
              "severity": incident.severity}
    for destination in destinations_for(labels, routes):
        Notification.objects.create(
            incident=incident, episode=incident.episode, kind=t.notify, destination=destination,
            subject=message.title[:200],
            payload={} if destination.startswith(EMAIL) else payload,  # e-mail: per group
            next_attempt_at=now, created_at=now,
        )
