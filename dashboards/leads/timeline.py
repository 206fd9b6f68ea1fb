"""One lead's story for the Lead timeline page: "why did this lead go here?".

``lead_journey(lead, config)`` computes the lead's facts on the fly with the metric engine
(``lead_facts`` over the lead's own frames, so the page agrees with every count that links to it)
as of the metrics time (``MetricsState.as_of``; now when metrics were never computed or the lead
is newer), and lays out:

- its owner stints (initial owner, then each owner change in time order, ties by history Id),
  each classed holding / fallback / rep / working queue from the configuration, with what the
  engine made of it (routing's first stop, the first rep, the bounce, the owner at T);
- the SLA clocks of its tier (time to assignment against ``assign_minutes``, time to first touch
  against ``touch_minutes``): met, missed or still running;
- every recorded event (creation, owner and status changes, touches), automation marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from django.utils import timezone

from dashboards.ops.queries import OWNER_CLASS_LABELS, owner_class
from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.facts.frames import load_frames
from routing_health.lib.format import format_hours, format_minutes
from routing_health.metrics import MetricParams, lead_facts_of
from routing_health.models import Activity, Lead, SalesforceUser
from routing_health.rollups.selectors import metrics_as_of


@dataclass(frozen=True)
class Stint:
    """One owner's time with the lead, ``start`` to ``end`` (``None``: still the owner)."""

    number: int
    owner_id: str
    name: str
    owner_class: str
    start: datetime
    end: datetime | None
    after_as_of: bool
    inactive_user: bool = False
    notes: tuple[tuple[str, str], ...] = ()  # (level, text)

    @property
    def class_label(self) -> str:
        return OWNER_CLASS_LABELS[self.owner_class]

    @property
    def duration(self) -> timedelta | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class SlaClock:
    """One SLA clock: ``state`` is ``met``, ``missed``, ``running`` or ``none`` (no target)."""

    name: str
    target_minutes: float
    minutes: float | None  # the measured duration (None: not happened yet)
    elapsed_minutes: float  # age of the lead at T when the event has not happened
    state: str

    @property
    def level(self) -> str:
        return {"met": "ok", "missed": "breach", "running": "warn"}.get(self.state, "neutral")

    @property
    def label(self) -> str:
        return {"met": "Met", "missed": "Missed", "running": "Running"}.get(self.state, "—")

    @property
    def shown_minutes(self) -> float:
        return self.minutes if self.minutes is not None else self.elapsed_minutes

    @property
    def scale(self) -> float:
        return max(self.shown_minutes, self.target_minutes, 1e-9) * 1.1

    @property
    def bar_percent(self) -> float:
        """Length of the measured bar (0–100) on a scale that fits the value and the target."""
        return round(min(self.shown_minutes / self.scale, 1.0) * 100, 2)

    @property
    def target_percent(self) -> float:
        return round(min(self.target_minutes / self.scale, 1.0) * 100, 2)


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # created | owner | status | touch | automation
    title: str
    detail: str = ""
    tags: tuple[tuple[str, str], ...] = ()  # (style: a status level or an owner class, text)
    after_as_of: bool = False


@dataclass(frozen=True)
class Journey:
    as_of: datetime
    as_of_basis: str  # "metrics" | "now"
    facts: Mapping[str, Any] | None  # None: the lead counts in no metric (deleted, or after T)
    stints: tuple[Stint, ...]
    clocks: tuple[SlaClock, ...]
    events: tuple[Event, ...]
    tier_sla: tuple[float, float]
    accept_hours: float
    bounce_hours: float
    queue_limit_hours: float
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def bounced(self) -> bool:
        return bool(self.facts and self.facts.get("bounced"))

    def name(self, owner_id: str | None) -> str:
        if not owner_id:
            return ""
        return self.names.get(owner_id) or owner_id

    @property
    def verdict(self) -> tuple[str, str, str]:
        """``(level, headline, detail)``: the answer to "why did this lead go here?"."""
        f = self.facts
        if f is None:
            return ("neutral", "Not in the metrics", "Deleted, or created after the metrics time.")
        outcome, reason = f.get("outcome"), f.get("failure_reason") or ""
        routed = self.name(f.get("routed_owner"))
        if outcome == "failed":
            if f.get("failed_node"):
                return ("breach", f"Routing failed at “{f['failed_node']}”",
                        "The routing flow's fault path recorded this decision node on the lead"
                        + (f"; it went to {routed}." if routed else "."))
            if reason.startswith("fallback: "):
                return ("breach", f"Routing gave up: sent to the fallback owner {routed}",
                        "Routing's first stop was an owner configured as fallback.")
            return ("breach", f"Never routed: {reason.removeprefix('unrouted: ')} still holds it",
                    "Still with a holding owner after the routing grace period.")
        if outcome == "pending":
            return ("warn", "Not routed yet",
                    "Still with a holding owner, within the routing grace period.")
        rep = self.name(f.get("first_rep"))
        detail = f"First stop {routed}."
        if rep:
            after = format_minutes(f.get("tta_minutes"))
            detail = f"First stop {routed}; first rep {rep} after {after}."
        if f.get("bounced"):
            current = self.stints[-1].name if self.stints else ""
            return ("warn", f"Routed, then bounced: now with {current}", detail)
        if f.get("queued"):
            return ("info", f"Routed to a queue: waiting in {self.name(f.get('queue_owner'))}",
                    detail)
        return ("ok", f"Routed to {rep or routed}", detail)

    @property
    def acceptance_until(self) -> datetime | None:
        """When the acceptance window closes (``None`` without a rep assignment)."""
        assigned_at = (self.facts or {}).get("rep_assigned_at")
        return None if assigned_at is None else assigned_at + timedelta(hours=self.accept_hours)

    @property
    def acceptance(self) -> tuple[str, str, str]:
        """``(level, label, detail)`` of the acceptance window after the rep assignment."""
        f = self.facts or {}
        assigned_at = f.get("rep_assigned_at")
        if assigned_at is None:
            return ("neutral", "Not assigned", "No rep has had the lead.")
        if f.get("accepted"):
            window = format_hours(self.accept_hours)
            return ("ok", "Accepted", f"Within {window} of the assignment.")
        if f.get("acceptance_pending"):
            return ("warn", "Waiting", "The acceptance window is still open.")
        if f.get("bounced"):
            return ("breach", "Bounced before acceptance", "The rep did not accept before "
                    "the owner changed.")
        return ("breach", "Not accepted", f"No accepted status or touch within "
                f"{format_hours(self.accept_hours)} of the assignment.")


def _params(config: RoutingConfig | None) -> MetricParams:
    return resolved_params(config) if config is not None else MetricParams()


def _py(value: Any) -> Any:
    """A pandas/numpy scalar as a plain Python value (NaT/NaN → None)."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def lead_journey(lead: Lead, config: RoutingConfig | None) -> Journey:
    """The lead's owner stints, SLA clocks and events, as of the metrics time."""
    params = _params(config)
    as_of, basis = metrics_as_of(), "metrics"
    if as_of is None or lead.created_at > as_of:
        as_of, basis = timezone.now(), "now"
    frames = load_frames(lead_ids=[lead.id])
    names: dict[str, str] = {
        str(k): str(v) for k, v in frames.owner_names.items() if isinstance(v, str) and v
    }
    table = lead_facts_of(frames, params, as_of)
    facts = {k: _py(v) for k, v in table.iloc[0].items()} if len(table) else None
    changes = sorted(
        frames.owner_changes.itertuples(index=False), key=lambda c: (c.created_at, str(c.id))
    )
    stints = _stints(lead, changes, facts, params, as_of, names)
    tier_sla = params.sla_for(lead.tier or None)
    return Journey(
        as_of=as_of,
        as_of_basis=basis,
        facts=facts,
        stints=stints,
        clocks=_clocks(facts, tier_sla) if facts else (),
        events=_events(lead, frames, changes, facts, params, as_of, names),
        tier_sla=tier_sla,
        accept_hours=params.accept_hours,
        bounce_hours=params.bounce_hours,
        queue_limit_hours=params.queue_age_limit_hours,
        names=names,
    )


def _stints(
    lead: Lead,
    changes: list[Any],
    facts: Mapping[str, Any] | None,
    params: MetricParams,
    as_of: datetime,
    names: Mapping[str, str],
) -> tuple[Stint, ...]:
    old = str(changes[0].old_owner_id) if changes else ""
    initial = old or lead.owner_id
    starts: list[tuple[str, datetime]] = [(initial, lead.created_at)]
    starts += [(str(c.new_owner_id), c.created_at.to_pydatetime()) for c in changes]
    user_ids = {owner for owner, _ in starts if owner.startswith("005")}
    inactive = set(
        SalesforceUser.objects.filter(id__in=user_ids, is_active=False).values_list(
            "id", flat=True
        )
    )
    classes = [owner_class(owner, params) for owner, _ in starts]
    upto = [i for i, (_, at) in enumerate(starts) if i == 0 or at <= as_of]
    routed = next((i for i in upto if classes[i] != "holding"), None)
    first_rep = next((i for i in upto if classes[i] == "rep"), None)
    current = upto[-1]
    bounce = first_rep + 1 if facts and facts.get("bounced") and first_rep is not None else None
    out = []
    for i, (owner, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else None
        notes: list[tuple[str, str]] = []
        if i == 0:
            notes.append(("neutral", "Owner at creation"))
        if i == routed and facts is not None:
            if classes[i] == "fallback":
                notes.append(("breach", "Routing's first stop: a fallback owner (routing failed)"))
            else:
                notes.append(("ok", "Routing's first stop"))
        if i == first_rep and facts is not None and facts.get("tta_minutes") is not None:
            after = format_minutes(facts["tta_minutes"])
            notes.append(("info", f"First rep · {after} after creation"))
        if i == bounce:
            window = format_hours(params.bounce_hours)
            notes.append(("warn", f"Bounce: owner changed within {window} of the assignment"))
        if i == current:
            notes.append(("info", "Owner at the metrics time" if len(starts) > 1 else "Owner"))
            if facts and facts.get("queued"):
                age = (as_of - start).total_seconds() / 3600
                level = "breach" if age > params.queue_age_limit_hours else "neutral"
                word = "over the limit" if level == "breach" else "within the limit"
                notes.append((level, f"Queued {format_hours(age)} ({word} of "
                                     f"{format_hours(params.queue_age_limit_hours)})"))
        if owner in inactive:
            notes.append(("breach", "Inactive user"))
        out.append(
            Stint(
                number=i + 1,
                owner_id=owner,
                name=names.get(owner) or owner,
                owner_class=classes[i],
                start=start,
                end=end,
                after_as_of=i > 0 and start > as_of,
                inactive_user=owner in inactive,
                notes=tuple(notes),
            )
        )
    return tuple(out)


def _clocks(facts: Mapping[str, Any], sla: tuple[float, float]) -> tuple[SlaClock, ...]:
    age = float(facts.get("age_minutes") or 0.0)

    def clock(name: str, minutes: float | None, target: float) -> SlaClock:
        if minutes is not None:
            state = "met" if minutes <= target else "missed"
        else:
            state = "missed" if age > target else "running"
        return SlaClock(name, target, minutes, age, state)

    return (
        clock("Time to assignment", facts.get("tta_minutes"), sla[0]),
        clock("Time to first touch", facts.get("first_touch_minutes"), sla[1]),
    )


def _events(
    lead: Lead,
    frames: Any,
    changes: list[Any],
    facts: Mapping[str, Any] | None,
    params: MetricParams,
    as_of: datetime,
    names: Mapping[str, str],
) -> tuple[Event, ...]:
    def name(owner_id: str) -> str:
        return names.get(owner_id) or owner_id or "—"

    def label(owner_id: str) -> tuple[str, str]:
        kind = owner_class(owner_id, params)
        return (kind, OWNER_CLASS_LABELS[kind])

    initial = (str(changes[0].old_owner_id) if changes else "") or lead.owner_id
    events = [
        Event(lead.created_at, "created", "Created", f"owner {name(initial)}", (label(initial),))
    ]
    for change in changes:
        at = change.created_at.to_pydatetime()
        new = str(change.new_owner_id)
        events.append(
            Event(at, "owner", f"Owner → {name(new)}", f"from {name(str(change.old_owner_id))}",
                  (label(new),), at > as_of)
        )
    for change in sorted(
        frames.status_changes.itertuples(index=False), key=lambda c: (c.created_at, str(c.id))
    ):
        at = change.created_at.to_pydatetime()
        new = str(change.new_status or "")
        tags = []
        if new in params.accepted_statuses:
            tags.append(("ok", "accepted status"))
        if new in params.rejected_statuses:
            tags.append(("breach", "rejected status"))
        elif new in params.closed_statuses:
            tags.append(("neutral", "closed status"))
        events.append(
            Event(at, "status", f"Status → {new or '—'}", f"from {change.old_status or '—'}",
                  tuple(tags), at > as_of)
        )
    first_touch = facts.get("first_touch_at") if facts else None
    activities = Activity.objects.filter(lead_id=lead.id, is_deleted=False).order_by(
        "created_at", "id"
    )
    for activity in activities:
        automated = activity.owner_id in params.holding
        tags = [("neutral", "automation: not a touch")] if automated else []
        if first_touch is not None and activity.created_at == first_touch and not automated:
            tags.append(("info", "first touch"))
        events.append(
            Event(
                activity.created_at,
                "automation" if automated else "touch",
                f"{activity.kind}: {activity.subject or 'no subject'}",
                f"by {name(activity.owner_id)}",
                tuple(tags),
                activity.created_at > as_of,
            )
        )
    order = {"created": 0, "owner": 1, "status": 2, "touch": 3, "automation": 3}
    return tuple(sorted(events, key=lambda e: (e.at, order[e.kind])))
