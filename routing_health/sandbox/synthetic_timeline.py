"""Vectorised lead lifecycles for the synthetic org, as integer arrays (no strings, no pandas).

Every lead gets a routing *path* (created owned by a rep or a working queue; holding -> queue ->
rep; holding -> rep; holding -> fallback; never routed; the demo incident), then up to ``SLOTS``
owner changes, up to three status changes, activities, and maybe a conversion or deletion. All
draws are whole-array numpy calls, so the cost is a few dozen passes over ``leads`` elements.
Times are int64 epoch seconds; ``NEVER`` marks an event that does not happen (or not by ``now``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from routing_health.sandbox.synthetic_arrays import Timeline
from routing_health.sandbox.synthetic_behaviour import DEMO, PLAIN, Behaviour
from routing_health.sandbox.synthetic_catalog import (
    BACKLOG_REGION,
    BASELINE_FAILED_NODES,
    INCIDENT_RATING,
    INCIDENT_REGION,
    LEAD_SOURCES,
    RATING_SHARE,
    RATINGS,
    REGION_NAMES,
    REGION_SHARE,
    REGIONS,
    REJECTION_REASONS,
    STATUS_CONVERTED,
    STATUS_OPEN,
    STATUS_QUALIFIED,
    STATUS_REJECTED,
    STATUS_WORKING,
    UNMAPPED_COUNTRIES,
    WINDOWS,
    Catalog,
)
from routing_health.sandbox.synthetic_clock import DAY, HOUR, RegionClock
from routing_health.sandbox.synthetic_config import REPORT_TIMEZONE

NEVER = np.iinfo(np.int64).max // 4
SLOTS = 4  # owner changes per lead at most
MINUTE = 60
(P_CREATED_REP, P_CREATED_QUEUE, P_QUEUE_REP, P_DIRECT_REP, P_FALLBACK, P_UNROUTED,
 P_INCIDENT) = range(7)
HOT, WARM, STANDARD = 0, 1, 2
UNKNOWN = len(REGIONS)  # effective region index of a lead without region or mapped country
EMEA = REGION_NAMES.index(INCIDENT_REGION)
APAC = REGION_NAMES.index(BACKLOG_REGION)
RATING_HOT = RATINGS.index(INCIDENT_RATING)
INCIDENT_NODE = len(BASELINE_FAILED_NODES)  # failed-node code of the incident
BACKLOG_DAYS = 4
INACTIVE_DAYS = 10
INCIDENT_WEEKDAY, INCIDENT_HOUR_UTC = 3, 14  # Thursday 14:00 UTC of the last complete week


@dataclass(frozen=True)
class Window:
    leads: int
    now: int
    start: int
    demo: bool

    @property
    def behaviour(self) -> Behaviour:
        return DEMO if self.demo else PLAIN

    @property
    def incident_start(self) -> int:
        """The Lead_Router version activation (demo): Thursday 14:00 UTC of the last complete
        ISO week in the report time zone, so the default weekly review holds the incident."""
        today = datetime.fromtimestamp(self.now, UTC).astimezone(ZoneInfo(REPORT_TIMEZONE)).date()
        monday = today - timedelta(days=today.weekday() + 7)
        start = datetime.combine(monday + timedelta(days=INCIDENT_WEEKDAY), time(), UTC)
        return int(start.timestamp()) + INCIDENT_HOUR_UTC * HOUR

    @property
    def inactive_since(self) -> int:
        return (self.now - INACTIVE_DAYS * DAY) // MINUTE * MINUTE

    @property
    def backlog_since(self) -> int:
        return self.now - BACKLOG_DAYS * DAY


def country_codes() -> list[tuple[str, str, int]]:
    """(CountryCode, Country, region index or UNKNOWN) in code order."""
    rows = [(c, name, r) for r, reg in enumerate(REGIONS) for c, name, _ in reg.countries]
    return rows + [(c, name, UNKNOWN) for c, name in UNMAPPED_COUNTRIES]


class _Draw:
    """Shorthands over one numpy Generator."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self.rng, self.size = rng, size

    def chance(self, p: float | np.ndarray) -> np.ndarray:
        return self.rng.random(self.size) < p

    def lognormal(self, median: float | np.ndarray, sigma: float) -> np.ndarray:
        noise = self.rng.standard_normal(self.size)
        return np.maximum(1, (median * np.exp(sigma * noise))).astype(np.int64)

    def uniform(self, low: float, high: float) -> np.ndarray:
        return self.rng.uniform(low, high, self.size).astype(np.int64)


def generate_timeline(cat: Catalog, win: Window, rng: np.random.Generator) -> Timeline:
    """Draw every lead's lifecycle; see the module docstring."""
    n, now = win.leads, win.now
    how = win.behaviour
    draw = _Draw(rng, n)
    rows = np.arange(n)
    clock = RegionClock(win.start, now + 60 * DAY)
    countries = country_codes()

    # --- who the lead is and when it arrives (before sorting by creation time)
    region_true = rng.choice(len(REGIONS), size=n, p=REGION_SHARE)
    shape = rng.choice(4, size=n, p=(0.85, 0.11, 0.025, 0.015))  # field, country, none, unmapped
    rating = rng.choice(4, size=n, p=RATING_SHARE)  # Hot, Warm, Cold, empty
    rating = np.where(rating == len(RATINGS), -1, rating)
    country = np.full(n, -1, dtype=np.int64)
    offset = 0
    for r, region in enumerate(REGIONS):
        weights = np.array([w for _, _, w in region.countries])
        pick = rng.choice(len(weights), size=n, p=weights / weights.sum())
        country = np.where(region_true == r, offset + pick, country)
        offset += len(weights)
    country = np.where(shape == 3, offset + rng.integers(0, len(UNMAPPED_COUNTRIES), n), country)
    country = np.where((shape == 2) | ((shape == 0) & draw.chance(0.1)), -1, country)
    created = np.empty(n, dtype=np.int64)
    for r in range(len(REGIONS)):
        mask = region_true == r
        created[mask] = clock.creation_times(rng, r, int(mask.sum()), win.start, now)
    nasty = np.full(n, -1, dtype=np.int64)
    force_incident = np.zeros(n, dtype=bool)
    force_backlog = np.zeros(n, dtype=bool)
    if win.demo:
        k = min(6, max(1, n // 16))
        chosen = rng.choice(n, size=min(n, k + 2), replace=False)
        incident, backlog = chosen[:k], chosen[k:]
        force_incident[incident] = True
        force_backlog[backlog] = True
        region_true[chosen], shape[chosen] = np.where(force_incident[chosen], EMEA, APAC), 0
        country[chosen] = -1
        rating[incident] = RATING_HOT
        low = max(win.start, win.incident_start, now - 23 * HOUR)
        created[incident] = rng.integers(low, now - 10 * MINUTE + 1, size=len(incident))
        created[backlog] = rng.integers(
            max(win.start, now - 84 * HOUR), max(win.start, now - 30 * HOUR) + 1, size=len(backlog)
        )
        nasty[incident[: min(4, len(incident))]] = np.arange(min(4, len(incident)))
        rating[backlog] = 1  # Warm: a tier queue_aging watches
    order = np.argsort(created, kind="stable")
    created, region_true, shape, rating, country = (
        a[order] for a in (created, region_true, shape, rating, country)
    )
    nasty, force_incident, force_backlog = nasty[order], force_incident[order], force_backlog[order]
    region_field = np.where(shape == 0, region_true, -1)
    mapped = np.array([c[2] for c in countries])
    region_eff = np.where(
        shape == 0, region_true, np.where(country >= 0, mapped[np.maximum(country, 0)], UNKNOWN)
    )
    pool_region = np.where(region_eff == UNKNOWN, 0, region_eff)  # unknown -> AMER territory
    tier = np.where(rating == 0, HOT, np.where(rating == 1, WARM, STANDARD))
    source_weights = np.array([w for _, w in LEAD_SOURCES])
    source = rng.choice(len(LEAD_SOURCES), size=n, p=source_weights / source_weights.sum())

    def pick_rep(at: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
        size = cat.pool_sizes[pool_region]
        if not win.demo:  # a healthy org stops routing to a rep once deactivated
            size = size - ((pool_region == 0) & (at > win.inactive_since))
        u = rng.random(n)
        if exclude is None:
            return _still_active(cat.pools[pool_region, (u * size).astype(np.int64)], at)
        slot = (u * (size - 1)).astype(np.int64)
        swap = cat.pools[pool_region, slot] == exclude
        return _still_active(cat.pools[pool_region, np.where(swap, size - 1, slot)], at)

    def _still_active(rep: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Demo: the inactive rep keeps getting AMER leads, but only a trickle (one routing
        rule still names them): one lead in three of the last 20 hours."""
        if not win.demo:
            return rep
        keeps = (region_eff == 0) & (at >= now - 20 * HOUR) & (rows % 3 == 0)
        moved = (rep == cat.inactive_rep) & (at > win.inactive_since) & ~keeps
        return np.where(moved, cat.pools[0, 0], rep)

    def human(at: np.ndarray, office_share: np.ndarray | float) -> np.ndarray:
        jitter = draw.uniform(0, 40 * MINUTE)
        keeps_hours = draw.chance(office_share)
        return np.where(keeps_hours, clock.next_open(region_true, at, jitter), at)

    # --- routing paths and owner changes
    path = rng.choice(len(how.path_share), size=n, p=how.path_share)
    path[force_backlog] = P_QUEUE_REP
    if how.failures_spare_hot:
        path[(tier == HOT) & ((path == P_FALLBACK) | (path == P_UNROUTED))] = P_DIRECT_REP
    if win.demo:
        broken = (region_eff == EMEA) & (rating == RATING_HOT) & (created >= win.incident_start)
        path[broken | force_incident] = P_INCIDENT
    working = np.array(cat.working_queues)[pool_region]
    holding = np.where(draw.chance(0.75), cat.holding_queue, cat.integration)
    rep_at_create = pick_rep(created)
    initial = np.where(path == P_CREATED_REP, rep_at_create,
                       np.where(path == P_CREATED_QUEUE, working, holding))
    created_by = np.where(path == P_CREATED_REP, rep_at_create, cat.integration)
    slow = draw.chance(how.slow_route_share)
    route_at = created + np.where(slow, draw.lognormal(30 * MINUTE, 1.0), draw.lognormal(20, 0.8))

    ct = np.full((n, SLOTS), NEVER, dtype=np.int64)
    cn = np.full((n, SLOTS), -1, dtype=np.int64)
    cb = np.full((n, SLOTS), -1, dtype=np.int64)

    def put(mask: np.ndarray, slot: np.ndarray | int, at: np.ndarray, owner: np.ndarray,
            by: np.ndarray | int) -> None:
        idx = rows[mask]
        s = np.broadcast_to(slot, (n,))[idx]
        ct[idx, s] = at[idx]
        cn[idx, s] = np.broadcast_to(owner, (n,))[idx]
        cb[idx, s] = np.broadcast_to(by, (n,))[idx]

    rep_at = np.full(n, NEVER, dtype=np.int64)
    first_rep = np.full(n, -1, dtype=np.int64)
    rep_slot = np.full(n, -1, dtype=np.int64)  # -1: the initial owner is the rep

    via_holding_queue = path == P_QUEUE_REP
    put(via_holding_queue, 0, route_at, working, cat.integration)
    via_queue = via_holding_queue | (path == P_CREATED_QUEUE)
    entered = np.where(via_holding_queue, route_at, created)
    pickup_at = human(entered + draw.lognormal(how.pickup_median[tier], how.pickup_sigma),
                      how.office_hours_share[tier])
    tie = draw.chance(0.03)  # an assignment rule hands the queue's lead on in the same second
    pickup_at = np.where(tie, entered, pickup_at)
    forgotten = (tier == STANDARD) & draw.chance(how.forgotten_standard_share)
    if win.demo:
        forgotten |= (pool_region == APAC) & (entered >= win.backlog_since)
    pickup_at = np.where(forgotten, NEVER, pickup_at)
    picker = pick_rep(pickup_at)
    slot = np.where(via_holding_queue, 1, 0)
    put(via_queue, slot, pickup_at, picker, np.where(tie, cat.integration, picker))
    rep_at = np.where(via_queue, pickup_at, rep_at)
    first_rep = np.where(via_queue, picker, first_rep)
    rep_slot = np.where(via_queue, slot, rep_slot)

    direct = path == P_DIRECT_REP
    direct_rep = pick_rep(route_at)
    if win.demo:  # the inactive rep's two latest leads, so inactive_owner fires on any day
        latest = rows[direct & (region_eff == 0) & (route_at >= now - 20 * HOUR)
                      & (route_at <= now)][-2:]
        direct_rep[latest] = cat.inactive_rep
    put(direct, 0, route_at, direct_rep, cat.integration)
    rep_at = np.where(direct, route_at, rep_at)
    first_rep = np.where(direct, direct_rep, first_rep)
    rep_slot = np.where(direct, 0, rep_slot)

    at_create = path == P_CREATED_REP
    rep_at = np.where(at_create, created, rep_at)
    first_rep = np.where(at_create, rep_at_create, first_rep)

    to_fallback = (path == P_FALLBACK) | (path == P_INCIDENT)
    put(to_fallback, 0, route_at, cat.fallback_queue, cat.integration)
    node = np.where(draw.chance(0.55), rng.integers(0, len(BASELINE_FAILED_NODES), n), -1)
    node = np.where(path == P_INCIDENT, INCIDENT_NODE, np.where(path == P_FALLBACK, node, -1))
    triaged = to_fallback & draw.chance(np.where(path == P_INCIDENT, how.incident_triage_share,
                                                 how.fallback_triage_share))
    triage_at = human(route_at + draw.lognormal(3 * HOUR, 0.8), 0.9)
    triage_rep = pick_rep(triage_at)
    put(triaged, 1, triage_at, triage_rep, cat.admin)
    rep_at = np.where(triaged, triage_at, rep_at)
    first_rep = np.where(triaged, triage_rep, first_rep)
    rep_slot = np.where(triaged, 1, rep_slot)

    # --- bounces after the first rep assignment (some within bounce_hours, some later)
    bounce_limit = WINDOWS["bounce_hours"] * HOUR
    bounced = (rep_at < NEVER) & draw.chance(how.bounce_share)
    kind = rng.choice(3, size=n, p=(0.7, 0.2, 0.1))  # other rep, working queue, fallback
    late = draw.uniform(bounce_limit + 2 * HOUR, bounce_limit + 10 * DAY)
    delay = np.where(draw.chance(0.8), np.minimum(draw.lognormal(5 * HOUR, 1.2), bounce_limit - 60),
                     late)
    bounce_at = rep_at + np.where(draw.chance(0.03), 0, delay)
    other = pick_rep(bounce_at, exclude=first_rep)
    target = np.select([kind == 0, kind == 1], [other, working], cat.fallback_queue)
    put(bounced, rep_slot + 1, bounce_at, target, np.where(kind == 0, first_rep, cat.admin))
    repick = bounced & (kind > 0) & ((tier != STANDARD) | draw.chance(how.standard_repick_share))
    if win.demo:
        repick &= ~((target == cat.working_queues[APAC]) & (bounce_at >= win.backlog_since))
    repick_wait = draw.lognormal(how.pickup_median[tier], how.pickup_sigma)
    repick_at = human(bounce_at + repick_wait, how.office_hours_share[tier])
    repicker = pick_rep(repick_at, exclude=first_rep)
    put(repick, rep_slot + 2, repick_at, repicker, repicker)

    happened = ct <= now
    ct[~happened], cn[~happened], cb[~happened] = NEVER, -1, -1
    changes = happened.sum(axis=1)
    last = np.maximum(changes - 1, 0)
    final_owner = np.where(changes > 0, cn[rows, last], initial)
    owner_since = np.where(changes > 0, ct[rows, last], created)
    assigned = rep_at <= now
    rep_at = np.where(assigned, rep_at, NEVER)
    first_rep = np.where(assigned, first_rep, -1)
    failed_node = np.where(happened[:, 0], node, -1)

    # --- status changes: accept, then qualify or reject, then convert
    acc = assigned & draw.chance(how.accept_share)
    late_accept = np.where(draw.chance(how.late_accept_share), draw.uniform(24 * HOUR, 96 * HOUR),
                           0)
    acc_at = human(rep_at + draw.lognormal(how.accept_median[tier], 1.0),
                   how.office_hours_share[tier])
    acc_at = acc_at + late_accept
    rej = assigned & draw.chance(how.reject_share)
    rej_at = np.where(acc, acc_at, rep_at) + draw.lognormal(20 * HOUR, 1.0)
    qual = acc & ~rej & draw.chance(0.22)
    qual_at = acc_at + draw.lognormal(2 * DAY, 0.8)
    conv_at = qual_at + draw.lognormal(1.5 * DAY, 0.8)
    conv = qual & draw.chance(0.6) & (conv_at > owner_since) & cat.owner_is_user[final_owner]
    second_at = np.where(rej, rej_at, np.where(qual, qual_at, NEVER))
    st = np.stack([np.where(acc, acc_at, NEVER), second_at, np.where(conv, conv_at, NEVER)], axis=1)
    sn = np.stack([np.full(n, STATUS_WORKING), np.where(rej, STATUS_REJECTED, STATUS_QUALIFIED),
                   np.full(n, STATUS_CONVERTED)], axis=1)
    gone = (first_rep == cat.inactive_rep)[:, None] & (st > win.inactive_since)
    valid = (st <= now) & ~gone
    st = np.where(valid, st, NEVER)
    so = np.empty_like(sn)
    status = np.full(n, STATUS_OPEN)
    for s in range(3):
        so[:, s] = status
        status = np.where(valid[:, s], sn[:, s], status)
    converted_at = st[:, 2]
    rejected = valid[:, 1] & (sn[:, 1] == STATUS_REJECTED)
    reason = np.where(rejected, rng.integers(0, len(REJECTION_REASONS), n), -1)

    # --- a few rating re-scores (a non-Owner/Status history field to filter out)
    rating_at = created + draw.uniform(HOUR, 72 * HOUR)
    rating_at = np.where(draw.chance(0.03) & (rating_at <= now), rating_at, NEVER)
    rating_old = (rating + 1 + rng.integers(1, 4, n)) % 4 - 1

    # --- deletions and SystemModstamp
    last_event = np.maximum(owner_since, np.where(st < NEVER, st, 0).max(axis=1))
    last_event = np.maximum(last_event, np.where(rating_at < NEVER, rating_at, 0))
    deleted_at = np.full(n, NEVER, dtype=np.int64)
    eligible = rows[(converted_at == NEVER) & (nasty < 0) & ~force_incident & ~force_backlog]
    if len(eligible):
        gone_leads = rng.choice(eligible, size=min(len(eligible), max(1, round(0.003 * n))),
                                replace=False)
        span = now - last_event[gone_leads]
        deleted_at[gone_leads] = last_event[gone_leads] + (rng.random(len(gone_leads)) * span)
    touched_later = draw.chance(0.15)
    modstamp = np.minimum(now, last_event + draw.uniform(0, 90))
    modstamp = np.where(touched_later, modstamp + (rng.random(n) * (now - modstamp)), modstamp)
    modstamp = np.where(deleted_at < NEVER, deleted_at, modstamp).astype(np.int64)

    timeline = Timeline(
        created=created, region_true=region_true, region_field=region_field,
        region_eff=region_eff, country=country, rating=rating, tier=tier, source=source,
        nasty=nasty, path=path, initial_owner=initial, created_by=created_by, change_time=ct,
        change_owner=cn, change_by=cb, final_owner=final_owner, owner_since=owner_since,
        rep_assigned=rep_at, first_rep=first_rep, failed_node=failed_node, status_time=st,
        status_new=sn, status_old=so, final_status=status, rejection_reason=reason,
        converted_at=converted_at, rating_change_time=rating_at, rating_change_old=rating_old,
        deleted_at=deleted_at, modstamp=modstamp,
    )
    _activities(timeline, cat, win, draw, human)
    return timeline


def _activities(
    tl: Timeline, cat: Catalog, win: Window, draw: _Draw,
    human: Callable[[np.ndarray, np.ndarray | float], np.ndarray],
) -> None:
    """Rep touches (some before assignment, some late, some never) and automation tasks."""
    n, rng = len(tl.created), draw.rng
    how = win.behaviour
    assigned = tl.rep_assigned < NEVER
    touched = assigned & draw.chance(how.touched_share)
    wait = tl.rep_assigned - tl.created
    early = touched & (wait > 120) & draw.chance(0.08)
    early_at = tl.created + (rng.uniform(0.2, 0.9, n) * np.where(early, wait, 0)).astype(np.int64)
    after = human(tl.rep_assigned + draw.lognormal(how.touch_median[tl.tier], how.touch_sigma),
                  how.office_hours_share[tl.tier])
    first_at = np.where(early, early_at, after)
    second = touched & draw.chance(0.25)
    second_at = first_at + draw.lognormal(26 * HOUR, 0.9)
    second_owner = np.where(cat.owner_is_user[tl.final_owner], tl.final_owner, tl.first_rep)
    auto = draw.chance(0.3)
    auto_at = tl.created + draw.uniform(5, 180)
    rows = np.arange(n)
    lead = np.concatenate([rows[touched], rows[second], rows[auto]])
    when = np.concatenate([first_at[touched], second_at[second], auto_at[auto]])
    owner = np.concatenate([tl.first_rep[touched], second_owner[second],
                            np.full(int(auto.sum()), cat.integration)])
    is_auto = np.concatenate([np.zeros(int(touched.sum() + second.sum()), bool),
                              np.ones(int(auto.sum()), bool)])
    keep = (when <= win.now) & (when <= tl.deleted_at[lead])
    keep &= ~((owner == cat.inactive_rep) & (when > win.inactive_since))
    order = np.lexsort((lead[keep], when[keep]))
    tl.activity_lead = lead[keep][order]
    tl.activity_time = when[keep][order]
    tl.activity_owner = owner[keep][order]
    tl.activity_auto = is_auto[keep][order]

