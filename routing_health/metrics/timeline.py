"""Per-lead event facts: the owner timeline, status changes and touches (spec section 4).

Each function takes the leads in scope as ``lead_index`` (their Ids, position = lead code) and
``created`` (int64 ns), reads one event table, and returns numpy arrays of length ``n`` leads.
No per-lead Python: events are coded, sorted by (lead, time, history Id) and reduced with
run bounds, first-match positions and scatter writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from routing_health.metrics._arrays import (
    NAT,
    event_order,
    factorize_shared,
    first_where,
    hours_ns,
    run_bounds,
    take,
    utc_ns,
)
from routing_health.metrics.params import MetricParams

HOLDING, FALLBACK, REP, WORKING_QUEUE, OTHER = range(5)
USER_PREFIX = "005"
QUEUE_PREFIX = "00G"


def owner_classes(owners: np.ndarray, params: MetricParams) -> np.ndarray:
    """Class of each owner Id: holding and fallback from the config (holding wins when an Id is
    in both), else a ``005`` user is a rep and a ``00G`` queue a working queue."""
    classes = np.full(len(owners), OTHER, dtype=np.int8)
    for i, owner in enumerate(owners):
        if owner in params.holding:
            classes[i] = HOLDING
        elif owner in params.fallback:
            classes[i] = FALLBACK
        elif owner.startswith(USER_PREFIX):
            classes[i] = REP
        elif owner.startswith(QUEUE_PREFIX):
            classes[i] = WORKING_QUEUE
    return classes


@dataclass(frozen=True)
class OwnerTimeline:
    """Owner facts per lead. Owner columns are codes into ``owners``; -1 means none."""

    owners: np.ndarray
    classes: np.ndarray
    initial: np.ndarray
    routed_at: np.ndarray
    routed: np.ndarray
    rep_assigned_at: np.ndarray
    first_rep: np.ndarray
    bounced_at: np.ndarray
    owner_at_t: np.ndarray
    owner_since: np.ndarray


def _sorted_events(
    lead_index: pd.Index, frame: pd.DataFrame, value_columns: list[str], lead_column: pd.Series
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """Events of in-scope leads sorted by (lead, time, Id).

    Returns the events' lead codes and times, the ``value_columns`` coded against one table
    shared with ``lead_column`` (a per-lead column such as the current owner), the codes of
    ``lead_column`` (unsorted, per lead) and the table.
    """
    lead = lead_index.get_indexer(frame["lead_id"])
    at = utc_ns(frame["created_at"])
    rows = np.flatnonzero((lead >= 0) & (at != NAT))
    (*codes, lead_codes), table = factorize_shared(
        [*(frame[c] for c in value_columns), lead_column]
    )
    order = event_order(lead[rows], at[rows], frame["id"], rows)
    picked = rows[order]
    return lead[picked], at[picked], [c[picked] for c in codes], lead_codes, table


def owner_timeline(
    lead_index: pd.Index,
    created: np.ndarray,
    current_owner: pd.Series,
    owner_changes: pd.DataFrame,
    params: MetricParams,
    as_of: int,
) -> OwnerTimeline:
    """Initial owner, routing, first rep, bounce and the owner at T of every lead."""
    n = len(lead_index)
    lead, at, (old, new), current, owners = _sorted_events(
        lead_index, owner_changes, ["old_owner_id", "new_owner_id"], current_owner
    )
    classes = owner_classes(owners, params)
    empty = int(np.searchsorted(owners, ""))

    # The initial owner is the OldValue of the earliest change in all history, even after T.
    initial = current.copy()
    earliest = first_where(lead, np.ones(len(lead), dtype=bool), n)
    has_old = earliest >= 0
    has_old[has_old] = old[earliest[has_old]] != empty
    initial[has_old] = old[earliest[has_old]]

    upto = at <= as_of
    lead, at, new = lead[upto], at[upto], new[upto]
    start, end = run_bounds(lead, n)
    new_class = classes[new]
    initial_class = classes[initial]

    routed = np.where(initial_class != HOLDING, initial, -1)
    routed_at = np.where(initial_class != HOLDING, created, NAT)
    pos = first_where(lead, new_class != HOLDING, n)
    later = (routed < 0) & (pos >= 0)
    routed[later] = new[pos[later]]
    routed_at[later] = at[pos[later]]

    # The rep assignment's place in the timeline: the initial owner sits before the first change.
    at_creation = initial_class == REP
    first_rep = np.where(at_creation, initial, -1)
    rep_at = np.where(at_creation, created, NAT)
    rep_pos = np.where(at_creation, start - 1, -1)
    pos = first_where(lead, new_class == REP, n)
    later = ~at_creation & (pos >= 0)
    first_rep[later] = new[pos[later]]
    rep_at[later] = at[pos[later]]
    rep_pos[later] = pos[later]

    # The first change ordered after the assignment is the only bounce candidate: changes are
    # time-sorted, so if it is outside the window every later one is too.
    following = rep_pos + 1
    candidate = (first_rep >= 0) & (following < end)
    next_at = take(at, following, candidate, NAT)
    bounced = candidate & (next_at <= rep_at + hours_ns(params.bounce_hours))
    bounced_at = np.where(bounced, next_at, NAT)

    changed = end > start
    owner_at_t = np.where(changed, take(new, end - 1, changed, -1), initial)
    owner_since = np.where(changed, take(at, end - 1, changed, NAT), created)
    return OwnerTimeline(
        owners,
        classes,
        initial,
        routed_at,
        routed,
        rep_at,
        first_rep,
        bounced_at,
        owner_at_t,
        owner_since,
    )


@dataclass(frozen=True)
class StatusFacts:
    closed_at_t: np.ndarray
    accepted: np.ndarray
    rejected: np.ndarray


def status_facts(
    lead_index: pd.Index,
    current_status: pd.Series,
    status_changes: pd.DataFrame,
    params: MetricParams,
    as_of: int,
    rep_at: np.ndarray,
    window_end: np.ndarray,
) -> StatusFacts:
    """Status at T (closed or not), acceptance by status change, and rejection."""
    n = len(lead_index)
    lead, at, (old, new), current, table = _sorted_events(
        lead_index, status_changes, ["old_status", "new_status"], current_status
    )

    status_at_t = current.copy()
    earliest = first_where(lead, np.ones(len(lead), dtype=bool), n)
    has = earliest >= 0
    status_at_t[has] = old[earliest[has]]
    upto = at <= as_of
    lead, at, new = lead[upto], at[upto], new[upto]
    start, end = run_bounds(lead, n)
    changed = end > start
    status_at_t[changed] = new[end[changed] - 1]

    assigned = rep_at != NAT
    into_accepted = np.isin(table, list(params.accepted_statuses))[new]
    hit = into_accepted.copy()
    hit[into_accepted] = _inside(
        lead[into_accepted], at[into_accepted], assigned, rep_at, window_end
    )
    accepted = np.zeros(n, dtype=bool)
    accepted[lead[hit]] = True

    into_rejected = np.isin(table, list(params.rejected_statuses))[new]
    rl = lead[into_rejected]
    hit_rejected = assigned[rl] & (at[into_rejected] >= rep_at[rl])
    rejected = np.zeros(n, dtype=bool)
    rejected[rl[hit_rejected]] = True

    closed = np.isin(table, list(params.closed_statuses))
    return StatusFacts(closed[status_at_t], accepted, rejected)


def _inside(
    lead: np.ndarray,
    at: np.ndarray,
    assigned: np.ndarray,
    rep_at: np.ndarray,
    window_end: np.ndarray,
) -> np.ndarray:
    """Whether each event lies in its lead's acceptance window [rep_at, window_end]."""
    return assigned[lead] & (at >= rep_at[lead]) & (at <= window_end[lead])


@dataclass(frozen=True)
class TouchFacts:
    first_touch_at: np.ndarray
    accepted: np.ndarray


def touch_facts(
    lead_index: pd.Index,
    activities: pd.DataFrame,
    params: MetricParams,
    as_of: int,
    rep_at: np.ndarray,
    window_end: np.ndarray,
) -> TouchFacts:
    """First touch (activities not owned by holding owners, not deleted, at or before T) and
    acceptance by touch."""
    n = len(lead_index)
    lead = lead_index.get_indexer(activities["lead_id"])
    at = utc_ns(activities["created_at"])
    owner_codes, owner_uniques = pd.factorize(activities["owner_id"])
    automation = np.append(
        np.isin(np.asarray(owner_uniques, dtype=object), list(params.holding)), False
    )[owner_codes]
    deleted = activities["is_deleted"].fillna(False).astype(bool).to_numpy()
    touch = (lead >= 0) & (at != NAT) & (at <= as_of) & ~deleted & ~automation
    lead, at = lead[touch], at[touch]

    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, lead, at)
    first_touch_at = np.where(first == np.iinfo(np.int64).max, NAT, first)

    accepted = np.zeros(n, dtype=bool)
    accepted[lead[_inside(lead, at, rep_at != NAT, rep_at, window_end)]] = True
    return TouchFacts(first_touch_at, accepted)
