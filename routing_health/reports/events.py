"""What happened during a week besides the numbers: alert episodes and flow-version changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError
from django.db.models import Q

from routing_health.models import AlertIncident, FlowVersionChange, IncidentEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Anomaly:
    """One alert episode that was firing during the week.

    ``started_before``: it fired before the week began and was still firing at its start.
    ``ended_at``: when the episode resolved (``None``: still firing as of the report time).
    ``value``/``threshold`` are in the rule's unit (``value_format``: rate, minutes, hours, count).
    """

    rule: str
    title: str
    region: str
    tier: str
    failure_reason: str
    started_at: datetime
    ended_at: datetime | None
    started_before: bool
    value: float | None
    threshold: float | None
    comparison: str
    value_format: str


@dataclass(frozen=True)
class FlowChange:
    """A flow's active version changing (``old_version_id`` "" = first seen by the sync)."""

    flow_api_name: str
    label: str
    old_version_id: str
    new_version_id: str
    changed_at: datetime


def flow_changes(start: datetime, end: datetime, as_of: datetime) -> tuple[FlowChange, ...]:
    """Flow-version changes in ``[start, end)`` (UTC) and at or before ``as_of``, in time order."""
    rows = FlowVersionChange.objects.filter(
        changed_at__gte=start, changed_at__lt=end, changed_at__lte=as_of
    ).order_by("changed_at", "id")
    return tuple(
        FlowChange(
            r.flow_api_name, r.label, r.old_active_version_id, r.new_active_version_id,
            r.changed_at,
        )
        for r in rows
    )


def anomalies(start: datetime, end: datetime, as_of: datetime) -> tuple[Anomaly, ...] | None:
    """Alert episodes firing at some time in the week ``[start, end)`` (UTC, half-open like
    every cohort window: an episode that fires exactly at ``end`` belongs to the next week) and
    at or before ``as_of``, oldest first.

    An episode runs from its ``fired`` event (the incident's ``first_seen`` for the current one)
    to its ``resolved`` event. Returns ``None`` when the alert tables cannot be read (alerts not
    set up in this database): the report says so instead of failing.
    """
    try:
        return _anomalies(start, end, as_of)
    except DatabaseError as exc:
        log.warning("weekly report: alert incidents unavailable: %s", exc)
        return None


def _anomalies(start: datetime, end: datetime, as_of: datetime) -> tuple[Anomaly, ...]:
    from routing_health.alerts.rules import RULES  # lazy: only the value formats are needed

    # ``first_seen`` is the current episode's start: an incident whose current episode began
    # after the week may still have fired during it, so its events are looked at too.
    began = Q(first_seen__lt=end) | Q(
        events__kind=IncidentEvent.Kind.FIRED, events__at__lt=end
    )
    incidents = {
        i.pk: i for i in AlertIncident.objects.filter(began).distinct().order_by("id")
    }
    episodes: dict[tuple[int, int], dict[str, object]] = {}
    events = IncidentEvent.objects.filter(
        incident_id__in=list(incidents), at__lte=as_of,
        kind__in=[IncidentEvent.Kind.FIRED, IncidentEvent.Kind.RESOLVED],
    ).order_by("at", "id")
    for event in events:
        episode = episodes.setdefault((event.incident_id, event.episode), {})
        if event.kind == IncidentEvent.Kind.FIRED:
            episode.setdefault("started_at", event.at)
            episode.setdefault("value", event.value)
        else:
            episode.setdefault("ended_at", event.at)
    for incident in incidents.values():  # the current episode, even without events
        episode = episodes.setdefault((incident.pk, incident.episode), {})
        episode.setdefault("started_at", incident.first_seen)
        episode.setdefault("value", incident.current_value)
        if incident.resolved_at is not None and incident.resolved_at <= as_of:
            episode.setdefault("ended_at", incident.resolved_at)
    found = []
    for (incident_id, _), episode in episodes.items():
        started = episode.get("started_at")
        ended = episode.get("ended_at")
        if not isinstance(started, datetime) or started >= end or started > as_of:
            continue
        if isinstance(ended, datetime) and ended < start:
            continue
        incident = incidents[incident_id]
        spec = RULES.get(incident.rule)
        details = incident.details if isinstance(incident.details, dict) else {}
        value = episode.get("value")
        found.append(
            Anomaly(
                rule=incident.rule,
                title=str(details.get("title") or (spec.title if spec else incident.rule)),
                region=incident.region,
                tier=incident.tier,
                failure_reason=incident.failure_reason,
                started_at=started,
                ended_at=ended if isinstance(ended, datetime) else None,
                started_before=started < start,
                value=float(value) if isinstance(value, int | float) else None,
                threshold=incident.threshold,
                comparison=incident.comparison,
                value_format=spec.value_format if spec else "count",
            )
        )
    return tuple(sorted(found, key=lambda a: (a.started_at, a.rule, a.region, a.tier)))
