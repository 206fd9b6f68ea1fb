"""``lead_facts``: one row of routing facts per lead, exactly as spec section 4 defines them.

``lead_facts_of(frames, params, as_of)`` is the same for an object holding the five input frames.

Pure and vectorised: DataFrames in, a DataFrame out, ``as_of`` passed in, no Django, no I/O.
The event reductions live in ``timeline``; this module validates the inputs, picks the leads in
scope, derives outcome, failure reason, queue and SLA facts, and builds the output frame; the
business-hours clocks come from ``business_facts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Protocol

import numpy as np
import pandas as pd

from routing_health.metrics._arrays import (
    NAT,
    NS_PER_HOUR,
    NS_PER_MINUTE,
    as_bool,
    categorical,
    factorize_shared,
    hours_ns,
    minutes_between,
    ns_to_utc,
    utc_ns,
)
from routing_health.metrics.business_facts import business_facts
from routing_health.metrics.columns import (
    ACTIVITY_COLUMNS,
    FACT_COLUMNS,
    LEAD_COLUMNS,
    OUTCOMES,
    OWNER_CHANGE_COLUMNS,
    STATUS_CHANGE_COLUMNS,
)
from routing_health.metrics.params import MetricParams
from routing_health.metrics.timeline import (
    FALLBACK,
    QUEUE_PREFIX,
    OwnerTimeline,
    owner_timeline,
    status_facts,
    touch_facts,
)

MISSING_COLUMNS = "{frame} is missing columns: {columns}"
DUPLICATE_LEAD_IDS = "leads has duplicate ids, e.g. {example}"
EXTRA_COLUMN_CLASH = "extra lead columns clash with fact columns: {columns}"
NAIVE_AS_OF = "as_of must be timezone-aware"

SUCCEEDED, FAILED, PENDING, TRIAGED = range(4)


def lead_facts(
    leads: pd.DataFrame,
    owner_changes: pd.DataFrame,
    status_changes: pd.DataFrame,
    activities: pd.DataFrame,
    owner_names: Mapping[str, str] | pd.Series,
    params: MetricParams,
    as_of: datetime | pd.Timestamp,
) -> pd.DataFrame:
    """Routing facts per lead as of ``as_of``.

    Inputs are the frames documented in ``routing_health.metrics.columns``; ``owner_names`` maps
    owner Id -> current name (users and queues). Returns one row per non-deleted lead created at
    or before ``as_of``, in the order of ``leads``, with ``FACT_COLUMNS`` followed by the extra
    lead columns. Times are ``datetime64[ns, UTC]`` (NaT = none), durations float minutes or
    hours (NaN = none), Ids and labels categorical (null = none).
    """
    _require(leads, LEAD_COLUMNS, "leads")
    _require(owner_changes, OWNER_CHANGE_COLUMNS, "owner_changes")
    _require(status_changes, STATUS_CHANGE_COLUMNS, "status_changes")
    _require(activities, ACTIVITY_COLUMNS, "activities")
    extras = [c for c in leads.columns if c not in LEAD_COLUMNS]
    clash = [c for c in extras if c in FACT_COLUMNS]
    if clash:
        raise ValueError(EXTRA_COLUMN_CLASH.format(columns=", ".join(map(str, clash))))
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is None:
        raise ValueError(NAIVE_AS_OF)
    now = int(stamp.tz_convert("UTC").as_unit("ns").value)

    created_all = utc_ns(leads["created_at"])
    rows = np.flatnonzero(
        ~as_bool(leads["is_deleted"]) & (created_all != NAT) & (created_all <= now)
    )
    lead = leads.iloc[rows].reset_index(drop=True)
    created = created_all[rows]
    lead_index = pd.Index(lead["id"])
    if not lead_index.is_unique:
        example = lead_index[lead_index.duplicated()][0]
        raise ValueError(DUPLICATE_LEAD_IDS.format(example=example))

    owners = owner_timeline(lead_index, created, lead["owner_id"], owner_changes, params, now)
    assigned = owners.first_rep >= 0
    bounced = owners.bounced_at != NAT
    accept_end = np.where(assigned, owners.rep_assigned_at + hours_ns(params.accept_hours), NAT)
    window_end = np.where(bounced, np.minimum(accept_end, owners.bounced_at), accept_end)
    statuses = status_facts(
        lead_index, lead["status"], status_changes, params, now, owners.rep_assigned_at, window_end
    )
    touches = touch_facts(lead_index, activities, params, now, owners.rep_assigned_at, window_end)

    out: dict[str, object] = {"lead_id": lead["id"], "created_at": ns_to_utc(created)}
    out["created_day"], out["created_week"] = _local_day_and_week(created, params)
    (region, tier), segments = factorize_shared([lead["region"], lead["tier"]])
    out["region"] = categorical(region, segments)
    out["tier"] = categorical(tier, segments)
    out["initial_owner"] = categorical(owners.initial, owners.owners)
    out["routed_at"] = ns_to_utc(owners.routed_at)
    out["routed_owner"] = categorical(owners.routed, owners.owners, null=())

    age_minutes = (now - created) / NS_PER_MINUTE
    (failed_node,), nodes = factorize_shared([lead["failed_node"]])
    outcome, reason = _outcome(owners, failed_node, nodes, age_minutes, owner_names, params)
    out["outcome"] = pd.Categorical.from_codes(outcome, categories=pd.Index(OUTCOMES, dtype="str"))
    out["failure_reason"] = reason
    out["failed_node"] = categorical(failed_node, nodes)
    out["rep_assigned_at"] = ns_to_utc(owners.rep_assigned_at)
    out["first_rep"] = categorical(owners.first_rep, owners.owners, null=())
    tta = minutes_between(created, owners.rep_assigned_at, assigned)
    out["tta_minutes"] = tta
    touched = touches.first_touch_at != NAT
    out["first_touch_at"] = ns_to_utc(touches.first_touch_at)
    first_touch = minutes_between(created, touches.first_touch_at, touched)
    out["first_touch_minutes"] = first_touch
    out["bounced"] = bounced
    out["bounced_at"] = ns_to_utc(owners.bounced_at)
    accepted = statuses.accepted | touches.accepted
    out["accepted"] = accepted
    out["acceptance_pending"] = assigned & ~accepted & ~bounced & (now < accept_end)
    out["rejected"] = statuses.rejected
    (rejection,), reasons = factorize_shared([lead["rejection_reason"]])
    out["rejection_reason"] = categorical(rejection, reasons)

    queued = (
        np.char.startswith(owners.owners.astype(str), QUEUE_PREFIX)[owners.owner_at_t]
        & ~statuses.closed_at_t
        & ~_converted_by(lead, stamp, params)
    )
    out["queued"] = queued
    out["queue_owner"] = categorical(
        np.where(queued, owners.owner_at_t, -1), owners.owners, null=()
    )
    out["queue_entered_at"] = ns_to_utc(np.where(queued, owners.owner_since, NAT))
    queue_age = np.full(len(created), np.nan)
    queue_age[queued] = (now - owners.owner_since[queued]) / NS_PER_HOUR
    out["queue_age_hours"] = queue_age

    assign_limit, touch_limit = _tier_limits(tier, segments, params)
    out["assign_sla_applicable"] = assigned | (age_minutes > assign_limit)
    out["assign_sla_met"] = assigned & (np.nan_to_num(tta, nan=np.inf) <= assign_limit)
    out["touch_sla_applicable"] = touched | (age_minutes > touch_limit)
    out["touch_sla_met"] = touched & (np.nan_to_num(first_touch, nan=np.inf) <= touch_limit)
    out["age_minutes"] = age_minutes
    out.update(
        business_facts(
            created=created,
            rep_assigned_at=owners.rep_assigned_at,
            first_touch_at=touches.first_touch_at,
            now=now,
            region=region,
            segments=segments,
            assign_limit=assign_limit,
            touch_limit=touch_limit,
            params=params,
        )
    )
    for column in extras:
        out[column] = lead[column]
    return pd.DataFrame(out, columns=[*FACT_COLUMNS, *extras])


class LeadFrames(Protocol):
    """The five inputs of ``lead_facts`` as attributes (``routing_health.facts.frames.Frames``, the
    bench ``SyntheticOrg``, ...)."""

    @property
    def leads(self) -> pd.DataFrame: ...
    @property
    def owner_changes(self) -> pd.DataFrame: ...
    @property
    def status_changes(self) -> pd.DataFrame: ...
    @property
    def activities(self) -> pd.DataFrame: ...
    @property
    def owner_names(self) -> Mapping[str, str] | pd.Series: ...


def lead_facts_of(
    frames: LeadFrames, params: MetricParams, as_of: datetime | pd.Timestamp
) -> pd.DataFrame:
    """``lead_facts`` of the frames held by ``frames`` (any object with the five attributes)."""
    return lead_facts(
        frames.leads,
        frames.owner_changes,
        frames.status_changes,
        frames.activities,
        frames.owner_names,
        params,
        as_of,
    )


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(MISSING_COLUMNS.format(frame=name, columns=", ".join(missing)))


def _local_day_and_week(created: np.ndarray, params: MetricParams) -> tuple[pd.Series, pd.Series]:
    """Local date ('YYYY-MM-DD') and ISO week ('YYYY-Www') in the report timezone.

    Only the distinct local days are formatted; DST is handled by the timezone conversion.
    """
    local = ns_to_utc(created).dt.tz_convert(params.report_timezone).dt.tz_localize(None)
    day_number = local.dt.as_unit("ns").to_numpy().view("int64") // (24 * NS_PER_HOUR)
    unique_days, codes = np.unique(day_number, return_inverse=True)
    dates = [date(1970, 1, 1) + timedelta(days=int(d)) for d in unique_days]
    days = pd.array([d.isoformat() for d in dates], dtype="str")
    weeks = pd.array(
        [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in dates], dtype="str"
    )
    codes = codes.reshape(-1)
    return pd.Series(days.take(codes)), pd.Series(weeks.take(codes))


def _converted_by(lead: pd.DataFrame, as_of: pd.Timestamp, params: MetricParams) -> np.ndarray:
    """Converted at or before T. ConvertedDate is a date, so a lead counts as converted by T
    when ``is_converted`` and its ConvertedDate is on or before T's date in the report timezone
    (a conversion later on T's own local day counts too)."""
    converted = as_bool(lead["is_converted"])
    if not converted.any():
        return converted
    local_today = as_of.tz_convert(params.report_timezone).date()
    dates = pd.to_datetime(lead["converted_date"].where(converted))
    if dates.dt.tz is not None:
        dates = dates.dt.tz_convert(params.report_timezone).dt.tz_localize(None)
    on_or_before = (dates.dt.normalize() <= pd.Timestamp(local_today)).fillna(False)
    return converted & on_or_before.to_numpy(dtype=bool)


def _outcome(
    owners: OwnerTimeline,
    failed_node: np.ndarray,
    nodes: np.ndarray,
    age_minutes: np.ndarray,
    owner_names: Mapping[str, str] | pd.Series,
    params: MetricParams,
) -> tuple[np.ndarray, pd.Categorical]:
    """Outcome codes (``OUTCOMES`` order) and the failure reason of failed leads."""
    node_set = (nodes != "")[failed_node]
    routed = owners.routed >= 0
    to_fallback = routed & (owners.classes[np.maximum(owners.routed, 0)] == FALLBACK)
    overdue = ~routed & (age_minutes > params.routing_grace_minutes)
    triaged = to_fallback & ~node_set & _triaged(owners, params)
    failed = (node_set | to_fallback | overdue) & ~triaged
    outcome = np.where(triaged, TRIAGED,
                       np.where(failed, FAILED, np.where(routed, SUCCEEDED, PENDING)))

    names = _names(owners.owners, owner_names)
    labels = np.concatenate([nodes, "fallback: " + names, "unrouted: " + names])
    label = np.full(len(outcome), -1, dtype=np.int64)
    by_fallback = to_fallback & ~node_set & ~triaged
    unrouted = overdue & ~node_set & ~to_fallback
    label[node_set] = failed_node[node_set]
    label[by_fallback] = len(nodes) + owners.routed[by_fallback]
    # Unrouted means every owner so far was holding, so the owner at T is a holding owner.
    label[unrouted] = len(nodes) + len(names) + owners.owner_at_t[unrouted]
    (codes,), table = factorize_shared([pd.Series(labels, dtype=object)])
    reason = np.where(label >= 0, codes[np.maximum(label, 0)], -1)
    return outcome, categorical(reason, table)


def _instant_ns(when: datetime) -> int:
    return int(pd.Timestamp(when).tz_convert("UTC").as_unit("ns").value)


def _triaged(owners: OwnerTimeline, params: MetricParams) -> np.ndarray:
    """Per lead: routed to a triage owner while the kill switch was on (spec section 10)."""
    routed = owners.routed >= 0
    if not params.kill_switch_on or not routed.any():
        return np.zeros(len(owners.routed), dtype=bool)
    triage = np.isin(owners.owners, list(params.triage))[np.maximum(owners.routed, 0)]
    at = owners.routed_at
    on = np.zeros(len(at), dtype=bool)
    for start, end in params.kill_switch_on:  # a handful of intervals, vectorised per lead
        stop = np.iinfo(np.int64).max if end is None else _instant_ns(end)
        on |= (at >= _instant_ns(start)) & (at < stop)
    return routed & triage & on & (at != NAT)


def _names(owners: np.ndarray, owner_names: Mapping[str, str] | pd.Series) -> np.ndarray:
    """Current name of each owner Id, the Id itself when the name is unknown or empty."""
    lookup = owner_names.to_dict() if isinstance(owner_names, pd.Series) else owner_names
    names = []
    for owner in owners:
        name = lookup.get(owner)
        names.append(owner if name is None or pd.isna(name) or name == "" else str(name))
    return np.asarray(names, dtype=object)


def _tier_limits(
    tier: np.ndarray, segments: np.ndarray, params: MetricParams
) -> tuple[np.ndarray, np.ndarray]:
    """Per lead ``(assign_minutes, touch_minutes)`` of its tier (default SLA when unknown)."""
    slas = [params.sla_for(str(value) or None) for value in segments]
    assign = np.asarray([s[0] for s in slas], dtype=float)
    touch = np.asarray([s[1] for s in slas], dtype=float)
    return assign[tier], touch[tier]
