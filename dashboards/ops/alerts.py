"""Read-side of the Alerts, Reports and Health (notifications) panels, and snooze parsing.

Incidents and their event log come from ``routing_health.alerts.selectors``; a snooze is
written by ``routing_health.alerts.actions.snooze`` (the only writer). Every count here links
to the leads behind it: the incident's rule, segment and window become the lead list's filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.urls import reverse

from routing_health.alerts.actions import Actor
from routing_health.alerts.rules import RULES
from routing_health.alerts.selectors import NotificationProblem
from routing_health.alerts.slack_blocks import value_text
from routing_health.lib.format import format_time
from routing_health.models import (
    AlertIncident,
    DailyRollup,
    IncidentEvent,
    Notification,
    WeeklyReport,
)
from routing_health.reports.weeks import Week, week_of

COMPARISONS = {">=": "≥", "<=": "≤"}
SNOOZE_HOURS = {"1h": 1, "4h": 4, "24h": 24}
MAX_SNOOZE = timedelta(days=30)
MSG_SNOOZE_CHOICE = "Choose how long to snooze: 1 h, 4 h, 24 h or until a time."
MSG_SNOOZE_UNTIL = "Give the time to snooze until (YYYY-MM-DD HH:MM)."
MSG_SNOOZE_PAST = "The snooze must end in the future."
MSG_SNOOZE_TOO_LONG = "A snooze can last at most 30 days."


class SnoozeError(ValueError):
    """A snooze request that cannot be honoured; the message says why."""


def parse_snooze(data: Mapping[str, str], *, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The end of the snooze a form asks for (``None``: unsnooze).

    ``action`` is ``unsnooze`` or ``snooze``; a snooze has ``duration`` ``1h``/``4h``/``24h``, or
    ``until`` (a local ``YYYY-MM-DDTHH:MM`` in the report time zone, as ``datetime-local``
    sends it).
    """
    if data.get("action") == "unsnooze":
        return None
    duration = str(data.get("duration") or "")
    if duration in SNOOZE_HOURS:
        return now + timedelta(hours=SNOOZE_HOURS[duration])
    if duration not in ("", "until"):
        raise SnoozeError(MSG_SNOOZE_CHOICE)
    raw = str(data.get("until") or "").strip()
    if not raw:
        raise SnoozeError(MSG_SNOOZE_UNTIL if duration == "until" else MSG_SNOOZE_CHOICE)
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise SnoozeError(MSG_SNOOZE_UNTIL) from None
    until = local.replace(tzinfo=zone) if local.tzinfo is None else local
    if until <= now:
        raise SnoozeError(MSG_SNOOZE_PAST)
    if until - now > MAX_SNOOZE:
        raise SnoozeError(MSG_SNOOZE_TOO_LONG)
    return until


# ---- Incidents -------------------------------------------------------------------------------

NOTIFICATION_STATES = {
    "sent": ("ok", "Sent to Slack"),
    "kept": ("neutral", "Not sent: Slack not configured"),
    "failed": ("breach", "Delivery failed"),
    "retrying": ("warn", "Retrying"),
    "queued": ("neutral", "Waiting to be sent"),
}


@dataclass(frozen=True)
class NotificationState:
    level: str
    label: str
    error: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class EventRow:
    at: datetime
    kind: str
    episode: int
    value: str
    note: str


@dataclass(frozen=True)
class IncidentRow:
    incident: AlertIncident
    title: str
    rule_title: str
    segment: str
    value: str
    threshold: str
    comparison: str
    sample: str
    window: str
    leads: int
    records_url: str
    page_url: str
    notification: NotificationState | None
    events: tuple[EventRow, ...]
    snoozed: bool
    # Who acknowledged this episode / snoozed it, and when (report timezone); "" if nobody.
    acknowledged_by: str = ""
    acknowledged_at: str = ""
    snoozed_by: str = ""
    snoozed_at: str = ""
    # Root cause first: what this incident inhibits, and the cause it is shown under.
    consequences: tuple[str, ...] = ()
    cause_id: int | None = None
    cause_title: str = ""

    @property
    def id(self) -> int:
        return self.incident.pk

    @property
    def inhibited(self) -> bool:
        """Shown under its cause (``[[alerts.inhibit]]``), never paged on its own."""
        return bool(self.incident.inhibited_by)

    @property
    def fires_at(self) -> datetime | None:
        """When a pending incident fires if its condition holds (its rule's ``for``)."""
        minutes = (self.incident.details or {}).get("for_minutes")
        if self.incident.state != AlertIncident.State.PENDING or minutes is None:
            return None
        return self.incident.first_seen + timedelta(minutes=float(minutes))


def _values(value: float | None, threshold: float | None, fmt: str) -> tuple[str, str]:
    """Value and threshold as the alert's Slack message shows them (the one formatter)."""
    return value_text(value, fmt), value_text(threshold, fmt)


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _links(incident: AlertIncident, zone: ZoneInfo) -> tuple[str, str]:
    """(the lead list of the incident's leads, the dashboard page about it)."""
    spec = RULES.get(incident.rule)
    segment = {k: v for k, v in (("region", incident.region), ("tier", incident.tier)) if v}
    if spec is None or incident.rule == "sync_stale":
        return reverse("health"), reverse("health")
    if spec.window_hours is None:  # a snapshot (queue_aging): the Queues page, all ages
        url = reverse("queues") + _qs(segment)
        return url, url
    end = incident.resolved_at or incident.last_seen
    days = {
        "start": _local_day(incident.last_seen - timedelta(hours=spec.window_hours), zone),
        "end": _local_day(end, zone),
    }
    record: dict[str, str] = {}
    if incident.rule in ("routing_failures", "assignment_success", "volume_anomaly"):
        record["outcome"] = "failed"
    if incident.rule == "routing_failures" and incident.failure_reason:
        record["failure_reason"] = incident.failure_reason
    if incident.rule == "rejection_rate":
        record["flag"] = "rejected"
    records = reverse("leads") + _qs({**days, **segment, **record})
    if spec.dashboard_path == "/failures":
        reason = {"failure_reason": record["failure_reason"]} if "failure_reason" in record else {}
        page = reverse("failures") + _qs({**days, **segment, **reason})
    elif spec.dashboard_path == "/reps":
        page = reverse("reps") + _qs({**days, **segment})
    else:
        page = spec.dashboard_path + _qs({**days, **segment})
    return records, page


def _qs(params: Mapping[str, object]) -> str:
    clean = {
        k: (v.isoformat() if isinstance(v, date) else str(v)) for k, v in params.items() if v
    }
    return f"?{urlencode(clean)}" if clean else ""


def latest_notifications(incident_ids: Iterable[int]) -> dict[int, NotificationState]:
    """The latest notification of each incident, as a state people can read."""
    ids = list(incident_ids)
    if not ids:
        return {}
    latest: dict[int, NotificationState] = {}
    rows = Notification.objects.filter(incident_id__in=ids).order_by(
        "incident_id", "-created_at", "-id"
    )
    for note in rows.only("incident_id", "status", "attempts", "last_error", "created_at"):
        if note.incident_id in latest:
            continue
        key = note.status
        if key == Notification.Status.PENDING:
            key = "retrying" if note.attempts else "queued"
        level, label = NOTIFICATION_STATES.get(key, ("neutral", key))
        latest[note.incident_id] = NotificationState(level, label, note.last_error, note.created_at)
    return latest


def incident_rows(
    incidents: Iterable[AlertIncident], *, zone: ZoneInfo, now: datetime
) -> list[IncidentRow]:
    """Display rows (with their event logs, which the query should prefetch)."""
    incidents = list(incidents)
    notes = latest_notifications(i.pk for i in incidents)
    rows = []
    for incident in incidents:
        spec = RULES.get(incident.rule)
        fmt = spec.value_format if spec else "count"
        value, threshold = _values(incident.current_value, incident.threshold, fmt)
        details: dict[str, Any] = incident.details or {}
        segment = " · ".join(p for p in (incident.region, incident.tier) if p) or "All leads"
        records, page = _links(incident, zone)
        events = tuple(
            EventRow(
                e.at,
                e.kind,
                e.episode,
                "" if e.value is None else value_text(e.value, fmt),
                e.note,
            )
            for e in incident.events.all()
        )
        rows.append(
            IncidentRow(
                incident=incident,
                title=str(details.get("title") or (spec.title if spec else incident.rule)),
                rule_title=spec.title if spec else incident.rule,
                segment=segment,
                value=value,
                threshold=threshold,
                comparison=COMPARISONS.get(incident.comparison, incident.comparison),
                sample=f"{incident.sample} {spec.sample_of}" if spec else str(incident.sample),
                window=str(details.get("window") or ""),
                leads=int(details.get("total_leads") or 0),
                records_url=records,
                page_url=page,
                notification=notes.get(incident.pk),
                events=events,
                snoozed=bool(incident.snoozed_until and incident.snoozed_until > now),
                consequences=tuple(str(c) for c in details.get("consequences", ())),
                **_who(incident, zone),
            )
        )
    by_fingerprint = {row.incident.fingerprint: row for row in rows}
    return [
        replace(row, cause_id=cause.id, cause_title=f"{cause.title} ({cause.segment})")
        if (cause := by_fingerprint.get(row.incident.inhibited_by or "")) is not None else row
        for row in rows
    ]


def _who(incident: AlertIncident, zone: ZoneInfo) -> dict[str, str]:
    who = {}
    if incident.acknowledged_at is not None:
        actor = Actor(incident.acknowledged_by, incident.acknowledged_by_slack_id)
        who["acknowledged_by"] = actor.label
        who["acknowledged_at"] = format_time(incident.acknowledged_at, zone)
    if incident.snoozed_until is not None and incident.snoozed_by:
        who["snoozed_by"] = incident.snoozed_by
        who["snoozed_at"] = format_time(incident.snoozed_at, zone)
    return who


def history_incidents(incidents: QuerySet[AlertIncident]) -> QuerySet[AlertIncident]:
    """Resolved incidents of ``recent_incidents()``, most recently resolved first."""
    return incidents.filter(state=AlertIncident.State.RESOLVED).order_by("-resolved_at", "-id")


def kept_notifications(*, since: datetime) -> int:
    """Notifications kept (not sent) because Slack is not configured, since ``since``."""
    return Notification.objects.filter(
        status=Notification.Status.KEPT, created_at__gte=since
    ).count()


EVENT_LEVELS = {
    IncidentEvent.Kind.FIRED: "breach",
    IncidentEvent.Kind.REMINDED: "warn",
    IncidentEvent.Kind.RESOLVED: "ok",
    IncidentEvent.Kind.SNOOZED: "neutral",
    IncidentEvent.Kind.UNSNOOZED: "neutral",
    IncidentEvent.Kind.HELD: "warn",
    IncidentEvent.Kind.ACKNOWLEDGED: "ok",
}


# ---- Notifications (Health) ------------------------------------------------------------------

PROBLEM_STATES = {
    "disabled": ("breach", "Destination disabled"),
    "failed": ("breach", "Failed"),
    "retrying": ("warn", "Retrying"),
    "kept": ("neutral", "Not sent"),
}


@dataclass(frozen=True)
class NotificationHealth:
    problems: tuple[NotificationProblem, ...]

    def _count(self, kind: str) -> int:
        return sum(1 for p in self.problems if p.kind == kind)

    @property
    def disabled(self) -> NotificationProblem | None:  # Slack's; e-mail's below
        return next((p for p in self.problems if p.kind == "disabled" and not p.destination), None)

    @property
    def email_disabled(self) -> tuple[NotificationProblem, ...]:  # the SMTP server or addresses
        return tuple(p for p in self.problems if p.kind == "disabled" and p.destination)

    failed = property(lambda self: self._count("failed"), doc="Failed notifications.")
    retrying = property(lambda self: self._count("retrying"), doc="Waiting for a retry.")
    kept = property(lambda self: self._count("kept"), doc="Not sent: not configured.")

    @property
    def listed(self) -> tuple[NotificationProblem, ...]:
        """The problems to list one by one (kept notifications are summed up instead)."""
        return tuple(p for p in self.problems if p.kind in ("failed", "retrying"))

    @property
    def level(self) -> str:
        if self.disabled or self.email_disabled or self.failed:
            return "breach"
        if self.retrying:
            return "warn"
        return "ok" if not self.kept else "neutral"

    @property
    def label(self) -> str:
        if self.disabled or self.email_disabled:
            return "Slack refuses the destination" if self.disabled else "E-mail refused"
        if self.failed:
            return "Failures"
        if self.retrying:
            return "Retrying"
        return "Slack not configured" if self.kept else "No failures"


# ---- Reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    week: str
    start: date
    end: date
    report: WeeklyReport | None
    leads: int | None = None
    success_rate: float | None = None
    failed: int | None = None


def report_rows(*, limit_weeks: int = 104) -> list[ReportRow]:
    """Stored weekly reviews, plus the weeks with data that have none yet, newest first."""
    stored = {r.week: r for r in WeeklyReport.objects.defer("html_gzip").order_by("-start")}
    mondays = DailyRollup.objects.dates("day", "week", order="DESC")[:limit_weeks]
    weeks: dict[str, Week] = {}
    for monday in mondays:
        week = week_of(monday)
        weeks[week.label] = week
    rows = []
    for label in sorted(set(stored) | set(weeks), reverse=True):
        report = stored.get(label)
        total = ((report.summary or {}).get("total") or {}).get("current") if report else None
        total = total if isinstance(total, dict) else {}
        if report is not None:
            rows.append(
                ReportRow(label, report.start, report.end, report, total.get("leads"),
                          total.get("assignment_success_rate"), total.get("failed"))
            )
        else:
            week = weeks[label]
            rows.append(ReportRow(label, week.start, week.end, None))
    return rows
