"""A slow, literal reading of spec sections 4, 5 and 10: one lead at a time, in plain Python.

Written from the spec text, not from the engine: lists, dicts, ``datetime`` and loops. It shares
no code with ``routing_health.metrics`` beyond reading the fields of ``MetricParams``. The property
test requires the engine to agree with it on every fact and every metric.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from routing_health.metrics.params import MetricParams
from tests.metrics.reference_clock import open_minutes


def _py_time(value: Any) -> datetime | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


def _text(value: Any) -> str:
    """A string field as text; a missing value reads as ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def _owner_class(owner: str, params: MetricParams) -> str:
    if owner in params.holding:
        return "holding"
    if owner in params.fallback:
        return "fallback"
    if owner.startswith("005"):
        return "rep"
    if owner.startswith("00G"):
        return "working queue"
    return "other"


def _name(owner: str, owner_names: dict[str, Any]) -> str:
    name = owner_names.get(owner)
    if name is None or (isinstance(name, float) and math.isnan(name)) or name == "":
        return owner
    return str(name)


def reference_lead_facts(
    leads: pd.DataFrame,
    owner_changes: pd.DataFrame,
    status_changes: pd.DataFrame,
    activities: pd.DataFrame,
    owner_names: dict[str, str],
    params: MetricParams,
    as_of: datetime,
) -> list[dict[str, Any]]:
    """Facts per lead, as dicts keyed by the engine's fact column names."""
    T = _py_time(as_of)
    zone = ZoneInfo(params.report_timezone)
    owner_history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for change in _records(owner_changes):
        owner_history[_text(change["lead_id"])].append(change)
    status_history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for change in _records(status_changes):
        status_history[_text(change["lead_id"])].append(change)
    lead_activities: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for activity in _records(activities):
        lead_activities[_text(activity["lead_id"])].append(activity)

    facts = []
    for lead in _records(leads):
        created = _py_time(lead["created_at"])
        if bool(lead["is_deleted"]) or created is None or created > T:
            continue
        lead_id = lead["id"]
        fact: dict[str, Any] = {"lead_id": lead_id, "created_at": created}
        local_day = created.astimezone(zone).date()
        iso = local_day.isocalendar()
        fact["created_day"] = local_day.isoformat()
        fact["created_week"] = f"{iso[0]}-W{iso[1]:02d}"
        fact["region"] = _text(lead["region"]) or None
        fact["tier"] = _text(lead["tier"]) or None
        age_minutes = (T - created).total_seconds() / 60
        fact["age_minutes"] = age_minutes

        # Owner timeline: initial owner at CreatedDate, then the changes in (time, Id) order.
        all_changes = [c for c in owner_history[lead_id] if _py_time(c["created_at"]) is not None]
        all_changes.sort(key=lambda c: (_py_time(c["created_at"]), c["id"]))
        initial = _text(lead["owner_id"])
        if all_changes and _text(all_changes[0]["old_owner_id"]) != "":
            initial = _text(all_changes[0]["old_owner_id"])
        timeline = [(created, initial)]
        for change in all_changes:
            if _py_time(change["created_at"]) <= T:
                timeline.append((_py_time(change["created_at"]), _text(change["new_owner_id"])))
        fact["initial_owner"] = initial or None

        routed_at = routed_owner = None
        for when, owner in timeline:
            if _owner_class(owner, params) != "holding":
                routed_at, routed_owner = when, owner
                break
        fact["routed_at"], fact["routed_owner"] = routed_at, routed_owner

        rep_index = None
        for i, (_, owner) in enumerate(timeline):
            if _owner_class(owner, params) == "rep":
                rep_index = i
                break
        rep_at = first_rep = None
        if rep_index is not None:
            rep_at, first_rep = timeline[rep_index]
        fact["rep_assigned_at"], fact["first_rep"] = rep_at, first_rep
        fact["tta_minutes"] = (rep_at - created).total_seconds() / 60 if rep_at else None

        failed_node = _text(lead["failed_node"])
        fact["failed_node"] = failed_node or None
        unrouted = routed_owner is None
        to_fallback = not unrouted and _owner_class(routed_owner, params) == "fallback"
        # Spec section 10: sent to triage while the kill switch was on, not a failure.
        triage = params.triage_owners or params.fallback
        switch_on = any(start <= routed_at and (end is None or routed_at < end)
                        for start, end in params.kill_switch_on) if routed_at else False
        if to_fallback and not failed_node and routed_owner in triage and switch_on:
            fact["outcome"] = "triaged"
            fact["failure_reason"] = None
        elif failed_node or to_fallback or (
            unrouted and age_minutes > params.routing_grace_minutes
        ):
            fact["outcome"] = "failed"
            if failed_node:
                fact["failure_reason"] = failed_node
            elif to_fallback:
                fact["failure_reason"] = "fallback: " + _name(routed_owner, owner_names)
            else:
                fact["failure_reason"] = "unrouted: " + _name(timeline[-1][1], owner_names)
        else:
            fact["outcome"] = "pending" if unrouted else "succeeded"
            fact["failure_reason"] = None

        touches = []
        for activity in lead_activities[lead_id]:
            when = _py_time(activity["created_at"])
            if bool(activity["is_deleted"]) or when is None or when > T:
                continue
            if _text(activity["owner_id"]) in params.holding:
                continue
            touches.append(when)
        first_touch = min(touches) if touches else None
        fact["first_touch_at"] = first_touch
        fact["first_touch_minutes"] = (
            (first_touch - created).total_seconds() / 60 if first_touch else None
        )

        bounced_at = None
        if rep_index is not None:
            limit = rep_at + timedelta(hours=params.bounce_hours)
            for when, _ in timeline[rep_index + 1 :]:
                if when <= limit:
                    bounced_at = when
                    break
        fact["bounced"], fact["bounced_at"] = bounced_at is not None, bounced_at

        statuses = [c for c in status_history[lead_id] if _py_time(c["created_at"]) is not None]
        statuses.sort(key=lambda c: (_py_time(c["created_at"]), c["id"]))
        visible_statuses = [c for c in statuses if _py_time(c["created_at"]) <= T]

        accepted = False
        pending_acceptance = False
        rejected = False
        if rep_at is not None:
            window_end = rep_at + timedelta(hours=params.accept_hours)
            if bounced_at is not None and bounced_at < window_end:
                window_end = bounced_at
            for change in visible_statuses:
                when = _py_time(change["created_at"])
                if _text(change["new_status"]) in params.accepted_statuses:
                    if rep_at <= when <= window_end:
                        accepted = True
                if _text(change["new_status"]) in params.rejected_statuses and when >= rep_at:
                    rejected = True
            for when in touches:
                if rep_at <= when <= window_end:
                    accepted = True
            pending_acceptance = (
                not accepted
                and bounced_at is None
                and T < rep_at + timedelta(hours=params.accept_hours)
            )
        fact["accepted"] = accepted
        fact["acceptance_pending"] = pending_acceptance
        fact["rejected"] = rejected
        fact["rejection_reason"] = _text(lead["rejection_reason"]) or None

        if visible_statuses:
            status_at_t = _text(visible_statuses[-1]["new_status"])
        elif statuses:
            status_at_t = _text(statuses[0]["old_status"])
        else:
            status_at_t = _text(lead["status"])
        converted_date = lead["converted_date"]
        converted_by_t = False
        if (
            bool(lead["is_converted"])
            and converted_date is not None
            and not pd.isna(converted_date)
        ):
            day = converted_date if type(converted_date) is date else converted_date.date()
            converted_by_t = day <= T.astimezone(zone).date()
        entered_at, owner_at_t = timeline[-1]
        queued = (
            owner_at_t.startswith("00G")
            and status_at_t not in params.closed_statuses
            and not converted_by_t
        )
        fact["queued"] = queued
        fact["queue_owner"] = owner_at_t if queued else None
        fact["queue_entered_at"] = entered_at if queued else None
        fact["queue_age_hours"] = (T - entered_at).total_seconds() / 3600 if queued else None

        assign_limit, touch_limit = params.tier_sla.get(
            _text(lead["tier"]), params.default_tier_sla
        )
        assigned = rep_at is not None
        fact["assign_sla_applicable"] = assigned or age_minutes > assign_limit
        fact["assign_sla_met"] = assigned and fact["tta_minutes"] <= assign_limit
        touched = first_touch is not None
        fact["touch_sla_applicable"] = touched or age_minutes > touch_limit
        fact["touch_sla_met"] = touched and fact["first_touch_minutes"] <= touch_limit

        # Business clocks (spec section 10): the open minutes of the region's calendar; a lead
        # whose region has none keeps wall-clock minutes.
        calendar_name = params.region_calendars.get(_text(lead["region"]))
        calendar = params.calendars.get(calendar_name) if _text(lead["region"]) else None
        fact["business_calendar"] = calendar_name if calendar is not None else None

        tta_business, touch_business, age_business = (
            wall if end is None or calendar is None else open_minutes(calendar, created, end)
            for end, wall in (
                (rep_at, fact["tta_minutes"]),
                (first_touch, fact["first_touch_minutes"]),
                (T, age_minutes),
            )
        )
        fact["tta_business_minutes"] = tta_business
        fact["first_touch_business_minutes"] = touch_business
        fact["age_business_minutes"] = age_business
        fact["assign_sla_applicable_business"] = assigned or age_business > assign_limit
        fact["assign_sla_met_business"] = (
            assigned and fact["tta_business_minutes"] <= assign_limit
        )
        fact["touch_sla_applicable_business"] = touched or age_business > touch_limit
        fact["touch_sla_met_business"] = (
            touched and fact["first_touch_business_minutes"] <= touch_limit
        )

        for column in leads.columns:
            if column not in REFERENCE_LEAD_COLUMNS:
                fact[column] = lead[column]
        facts.append(fact)
    return facts


REFERENCE_LEAD_COLUMNS = {
    "id",
    "name",
    "company",
    "created_at",
    "owner_id",
    "status",
    "is_converted",
    "converted_date",
    "converted_contact_id",
    "is_deleted",
    "region",
    "tier",
    "failed_node",
    "rejection_reason",
}

REFERENCE_GROUP_COLUMNS = {"day": "created_day", "week": "created_week"}


def reference_cohort(facts: list[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    return [f for f in facts if start <= date.fromisoformat(f["created_day"]) <= end]


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * fraction
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def reference_metrics(facts: list[dict[str, Any]], params: MetricParams) -> dict[str, Any]:
    """Every metric of spec section 5 over a list of lead facts."""
    assigned = [f for f in facts if f["rep_assigned_at"] is not None]
    touched = [f for f in facts if f["first_touch_at"] is not None]
    queued = [f for f in facts if f["queued"]]
    succeeded = sum(f["outcome"] == "succeeded" for f in facts)
    failed = sum(f["outcome"] == "failed" for f in facts)
    assign_base = [f for f in facts if f["assign_sla_applicable"]]
    touch_base = [f for f in facts if f["touch_sla_applicable"]]
    accept_base = [f for f in assigned if not f["acceptance_pending"]]
    bounced = sum(f["bounced"] for f in facts)
    accepted = sum(f["accepted"] for f in facts)
    rejected = sum(f["rejected"] for f in facts)
    business_assign_base = [f for f in facts if f["assign_sla_applicable_business"]]
    business_touch_base = [f for f in facts if f["touch_sla_applicable_business"]]
    # Routing inputs: checked only when the facts carry the column ([data_quality] fields).
    checked = [f for f in facts if f.get("input_missing_fields") is not None]
    missing = [f for f in checked if f["input_missing_fields"] != ""]
    complete = [f for f in checked if f["input_missing_fields"] == ""]

    def failure_rate(leads: list[dict[str, Any]]) -> float | None:
        failed_here = sum(f["outcome"] == "failed" for f in leads)
        routed_here = sum(f["outcome"] == "succeeded" for f in leads)
        return _share(failed_here, failed_here + routed_here)

    return {
        "leads": len(facts),
        "succeeded": succeeded,
        "failed": failed,
        "pending": sum(f["outcome"] == "pending" for f in facts),
        "assignment_success_rate": _share(succeeded, succeeded + failed),
        "assigned": len(assigned),
        "tta_p50_minutes": percentile([f["tta_minutes"] for f in assigned], 0.5),
        "tta_p95_minutes": percentile([f["tta_minutes"] for f in assigned], 0.95),
        "assign_sla_met_rate": _share(
            sum(f["assign_sla_met"] for f in assign_base), len(assign_base)
        ),
        "bounced": bounced,
        "bounce_rate": _share(bounced, len(assigned)),
        "accepted": accepted,
        "acceptance_rate": _share(accepted, len(accept_base)),
        "touched": len(touched),
        "first_touch_p50_minutes": percentile([f["first_touch_minutes"] for f in touched], 0.5),
        "first_touch_p95_minutes": percentile([f["first_touch_minutes"] for f in touched], 0.95),
        "touch_sla_met_rate": _share(sum(f["touch_sla_met"] for f in touch_base), len(touch_base)),
        "rejected": rejected,
        "rejection_rate": _share(rejected, len(assigned)),
        "queued": len(queued),
        "queued_over_limit": sum(
            f["queue_age_hours"] > params.queue_age_limit_hours for f in queued
        ),
        "oldest_queue_age_hours": max((f["queue_age_hours"] for f in queued), default=None),
        "tta_p50_business_minutes": percentile(
            [f["tta_business_minutes"] for f in assigned], 0.5
        ),
        "tta_p95_business_minutes": percentile(
            [f["tta_business_minutes"] for f in assigned], 0.95
        ),
        "first_touch_p50_business_minutes": percentile(
            [f["first_touch_business_minutes"] for f in touched], 0.5
        ),
        "first_touch_p95_business_minutes": percentile(
            [f["first_touch_business_minutes"] for f in touched], 0.95
        ),
        "assign_sla_met_rate_business": _share(
            sum(f["assign_sla_met_business"] for f in business_assign_base),
            len(business_assign_base),
        ),
        "touch_sla_met_rate_business": _share(
            sum(f["touch_sla_met_business"] for f in business_touch_base),
            len(business_touch_base),
        ),
        "triaged": sum(f["outcome"] == "triaged" for f in facts),
        "input_missing": len(missing),
        "input_missing_rate": _share(len(missing), len(checked)),
        "input_missing_failure_rate": failure_rate(missing),
        "input_complete_failure_rate": failure_rate(complete),
    }


def reference_groups(
    facts: list[dict[str, Any]], by: list[str], params: MetricParams
) -> list[dict[str, Any]]:
    """Rows of group keys + metrics, sorted by keys with None last."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        key = []
        for name in by:
            value = fact.get(REFERENCE_GROUP_COLUMNS.get(name, name))
            if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
                value = None
            key.append(value)
        groups[tuple(key)].append(fact)

    def order(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((value is None, "" if value is None else value) for value in key)

    rows = []
    for key in sorted(groups, key=order):
        rows.append({**dict(zip(by, key, strict=True)), **reference_metrics(groups[key], params)})
    return rows
