"""Read-side queries of the Queues, Failures and Reps pages.

Every summary reads the rollups ``compute_metrics`` writes (``QueueRollup``, ``FailureRollup``,
``RepRollup``, ``DailyRollup``: a few rows per day, whatever the number of leads); only the
record tables read ``LeadFact``, one indexed page at a time, joined to ``Lead`` (by primary
key) for names. Everything is as of ``MetricsState.as_of`` (``OpsSettings.as_of``): ages and
"over the limit" are measured at that time, like the metrics and the alerts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol

import numpy as np
from django.db.models import Max, Min, Q, QuerySet, Sum

from dashboards.filters import Filters, ReportSettings
from dashboards.leads.queries import owner_names, salesforce_lead_url
from dashboards.rollup_cache import cached
from routing_health.config import RoutingConfig
from routing_health.models import (
    DailyRollup,
    FailureRollup,
    Lead,
    LeadFact,
    MetricsState,
    QueueRollup,
    RepRollup,
    SalesforceUser,
)
from routing_health.rollups.ops import REP_COUNTS, REP_VALUES, AgeBucket, age_buckets
from routing_health.rollups.rows import sort_by_group
from routing_health.rollups.selectors import metrics_state

FALLBACK_PREFIX = "fallback: "
UNROUTED_PREFIX = "unrouted: "
DEFAULT_LIMIT_HOURS = 24.0


@dataclass(frozen=True)
class OpsSettings:
    """What the operational pages need besides the filters: the metrics state (read once per
    view) and the config."""

    metrics: MetricsState | None
    queue_limit_hours: float
    holding: frozenset[str]
    fallback: frozenset[str]

    @property
    def as_of(self) -> datetime | None:
        """The metrics time: what ages and "over the limit" are measured at."""
        return self.metrics.as_of if self.metrics else None


def ops_settings(report: ReportSettings) -> OpsSettings:
    config: RoutingConfig | None = report.config
    if config is None:
        return OpsSettings(metrics_state(), DEFAULT_LIMIT_HOURS, frozenset(), frozenset())
    return OpsSettings(
        metrics_state(),
        float(config.windows.queue_age_limit_hours),
        frozenset(config.owners.holding),
        frozenset(config.owners.fallback),
    )


def fact_base(filters: Filters, *, dates: bool = True) -> QuerySet[LeadFact]:
    """Facts matching the segment filters and (with ``dates``) the creation-day range."""
    facts = LeadFact.objects.filter(**filters.segment())
    if dates:
        facts = facts.filter(created_day__gte=filters.start, created_day__lte=filters.end)
    return facts


def lead_details(lead_ids: Iterable[str]) -> dict[str, Lead]:
    """Name and company of the given leads (one primary-key lookup)."""
    ids = list(lead_ids)
    return Lead.objects.only("id", "name", "company").in_bulk(ids) if ids else {}


class OwnerRoles(Protocol):
    """The configured holding and fallback owners (``OpsSettings``, ``MetricParams``)."""

    @property
    def holding(self) -> frozenset[str]: ...

    @property
    def fallback(self) -> frozenset[str]: ...


def owner_class(owner_id: str, settings: OwnerRoles) -> str:
    """``holding``, ``fallback``, ``rep``, ``queue`` (a working queue) or ``other``."""
    if owner_id in settings.holding:
        return "holding"
    if owner_id in settings.fallback:
        return "fallback"
    if owner_id.startswith("005"):
        return "rep"
    if owner_id.startswith("00G"):
        return "queue"
    return "other"


OWNER_CLASS_LABELS = {
    "holding": "Holding",
    "fallback": "Fallback",
    "rep": "Rep",
    "queue": "Working queue",
    "other": "Other owner",
}


# ---- Queues ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSummary:
    queue_id: str
    name: str
    owner_class: str
    queued: int
    over_limit: int
    oldest_entered_at: datetime | None
    oldest_age_hours: float | None
    buckets: tuple[int, ...]


@dataclass(frozen=True)
class QueueSnapshot:
    total: int
    over_limit: int
    oldest_age_hours: float | None
    queues: tuple[QueueSummary, ...]
    buckets: tuple[AgeBucket, ...]
    first_day: date | None
    last_day: date | None


def queued_facts(filters: Filters, *, queue: str = "") -> QuerySet[LeadFact]:
    """Leads queued at the metrics time, oldest in their queue first.

    A snapshot: the creation-day range applies only when the URL sets it explicitly (the lead
    waiting longest is usually older than the default last 7 days).
    """
    facts = fact_base(filters, dates=not filters.is_default_range).filter(queued=True)
    if queue:
        facts = facts.filter(queue_owner=queue)
    return facts.order_by("queue_entered_at", "lead_id")


def queue_snapshot(filters: Filters, settings: OpsSettings) -> QueueSnapshot:
    """Per queue: queued leads, those over the age limit, the oldest, and the age buckets.

    From ``QueueRollup`` (written with the facts, aged as of the metrics time): its every-day
    rows for the default range, its per-day rows for an explicit one.
    """
    as_of = settings.as_of
    buckets = age_buckets(settings.queue_limit_hours)
    if as_of is None:
        return QueueSnapshot(0, 0, None, (), buckets, None, None)
    if filters.is_default_range:
        rows = QueueRollup.objects.filter(day__isnull=True)
    else:
        rows = QueueRollup.objects.filter(day__gte=filters.start, day__lte=filters.end)
    rows = rows.filter(**filters.segment())
    over = [i for i, bucket in enumerate(buckets) if bucket.over_limit]
    aggregates = {
        "total": Sum("queued"),
        "over": Sum("queued", filter=Q(bucket__in=over), default=0),
        "oldest": Min("oldest_entered_at"),
        "first": Min("first_day"),
        "last": Max("last_day"),
    }
    aggregates.update(
        {f"b{i}": Sum("queued", filter=Q(bucket=i), default=0) for i in range(len(buckets))}
    )
    grouped = list(rows.order_by().values("queue").annotate(**aggregates))
    names = owner_names(row["queue"] for row in grouped)
    queues = []
    for row in grouped:
        oldest = row["oldest"]
        queues.append(
            QueueSummary(
                queue_id=row["queue"],
                name=names.get(row["queue"]) or row["queue"],
                owner_class=owner_class(row["queue"], settings),
                queued=row["total"],
                over_limit=row["over"],
                oldest_entered_at=oldest,
                oldest_age_hours=_hours_since(oldest, as_of),
                buckets=tuple(row[f"b{i}"] for i in range(len(buckets))),
            )
        )
    queues.sort(key=lambda q: (q.oldest_entered_at is None, q.oldest_entered_at, q.name))
    ages = [q.oldest_age_hours for q in queues if q.oldest_age_hours is not None]
    first_days = [row["first"] for row in grouped if row["first"]]
    last_days = [row["last"] for row in grouped if row["last"]]
    return QueueSnapshot(
        total=sum(q.queued for q in queues),
        over_limit=sum(q.over_limit for q in queues),
        oldest_age_hours=max(ages) if ages else None,
        queues=tuple(queues),
        buckets=buckets,
        first_day=min(first_days) if first_days else None,
        last_day=max(last_days) if last_days else None,
    )


def _hours_since(moment: datetime | None, as_of: datetime | None) -> float | None:
    if moment is None or as_of is None:
        return None
    return (as_of - moment).total_seconds() / 3600


@dataclass(frozen=True)
class QueuedRow:
    lead_id: str
    name: str
    company: str
    queue_id: str
    queue_name: str
    region: str
    tier: str
    source: str
    entered_at: datetime | None
    age_hours: float | None
    over_limit: bool
    created_at: datetime
    salesforce_url: str | None


def queued_rows(facts: Sequence[LeadFact], settings: OpsSettings) -> list[QueuedRow]:
    """Display rows for a page of queued facts (names joined by primary key)."""
    leads = lead_details(f.lead_id for f in facts)
    names = owner_names({f.queue_owner for f in facts})
    rows = []
    for fact in facts:
        lead = leads.get(fact.lead_id)
        age = _hours_since(fact.queue_entered_at, settings.as_of)
        rows.append(
            QueuedRow(
                lead_id=fact.lead_id,
                name=lead.name if lead else "",
                company=lead.company if lead else "",
                queue_id=fact.queue_owner,
                queue_name=names.get(fact.queue_owner) or fact.queue_owner,
                region=fact.region,
                tier=fact.tier,
                source=fact.source,
                entered_at=fact.queue_entered_at,
                age_hours=age,
                over_limit=age is not None and age > settings.queue_limit_hours,
                created_at=fact.created_at,
                salesforce_url=salesforce_lead_url(fact.lead_id),
            )
        )
    return rows


# ---- Failures --------------------------------------------------------------------------------


def reason_kind(reason: str) -> tuple[str, str]:
    """What kind of failure a reason names: ``(key, label)``."""
    if reason.startswith(FALLBACK_PREFIX):
        return "fallback", "Sent to a fallback owner"
    if reason.startswith(UNROUTED_PREFIX):
        return "unrouted", "Never routed"
    return "node", "Flow fault path"


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    kind: str
    kind_label: str
    count: int
    share: float
    first_at: datetime | None
    last_at: datetime | None
    regions: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class FailureSummary:
    leads: int
    succeeded: int
    failed: int  # every failed lead of the cohort
    pending: int
    success_rate: float | None
    shown_failed: int  # those of the shown failure reason (all failed without one)
    reasons: tuple[ReasonRow, ...]
    daily: tuple[tuple[date, dict[str, int]], ...]
    failed_after_range: int
    last_failure_at: datetime | None


def failed_facts(filters: Filters, *, reason: str = "") -> QuerySet[LeadFact]:
    """Failed leads created in the range, newest first (``reason`` narrows to one reason)."""
    facts = fact_base(filters).filter(outcome="failed")
    if reason:
        facts = facts.filter(failure_reason=reason)
    return facts.order_by("-created_at", "-lead_id")


def _rollup_outcomes(filters: Filters) -> dict[str, int]:
    """Outcome counts of the cohort from the daily rollups (not a scan of the facts)."""
    rows = DailyRollup.objects.filter(
        day__gte=filters.start, day__lte=filters.end, **filters.segment()
    )
    totals = rows.aggregate(
        succeeded=Sum("succeeded"), failed=Sum("failed"), pending=Sum("pending")
    )
    return {name: int(count or 0) for name, count in totals.items()}


def failure_summary(filters: Filters, *, reason: str = "") -> FailureSummary:
    """Outcome counts of the cohort, failed leads by reason and region, and per day (from
    ``DailyRollup`` and ``FailureRollup``)."""
    outcomes = _rollup_outcomes(filters)
    failed = FailureRollup.objects.filter(**filters.segment()).order_by()
    if reason:
        failed = failed.filter(reason=reason)
    in_range = failed.filter(day__gte=filters.start, day__lte=filters.end)
    by_reason_region = list(
        in_range.values("reason", "region").annotate(
            n=Sum("failed"), first=Min("first_at"), last=Max("last_at")
        )
    )
    per_reason: dict[str, dict] = {}
    for row in by_reason_region:
        entry = per_reason.setdefault(
            row["reason"], {"n": 0, "first": None, "last": None, "regions": []}
        )
        entry["n"] += row["n"]
        entry["first"] = _min(entry["first"], row["first"])
        entry["last"] = _max(entry["last"], row["last"])
        entry["regions"].append((row["region"] or "—", row["n"]))
    total_failed = sum(entry["n"] for entry in per_reason.values())
    reasons = []
    for name, entry in per_reason.items():
        kind, label = reason_kind(name)
        reasons.append(
            ReasonRow(
                reason=name,
                kind=kind,
                kind_label=label,
                count=entry["n"],
                share=entry["n"] / total_failed if total_failed else 0.0,
                first_at=entry["first"],
                last_at=entry["last"],
                regions=tuple(sorted(entry["regions"], key=lambda r: (-r[1], r[0]))),
            )
        )
    reasons.sort(key=lambda r: (-r.count, r.reason))
    per_day: dict[date, dict[str, int]] = defaultdict(dict)
    for day, name, n in in_range.values_list("day", "reason").annotate(n=Sum("failed")):
        per_day[day][name] = n
    days = [filters.start + timedelta(days=i) for i in range(filters.days)]
    succeeded, failed_n = outcomes.get("succeeded", 0), outcomes.get("failed", 0)
    later = failed.filter(day__gt=filters.end).aggregate(n=Sum("failed"))["n"] or 0
    return FailureSummary(
        leads=sum(outcomes.values()),
        succeeded=succeeded,
        failed=failed_n,
        pending=outcomes.get("pending", 0),
        success_rate=succeeded / (succeeded + failed_n) if succeeded + failed_n else None,
        shown_failed=total_failed,
        reasons=tuple(reasons),
        daily=tuple((day, per_day.get(day, {})) for day in days),
        failed_after_range=later,
        last_failure_at=max((r.last_at for r in reasons if r.last_at), default=None),
    )


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass(frozen=True)
class FailedRow:
    lead_id: str
    name: str
    company: str
    reason: str
    reason_kind: str
    region: str
    tier: str
    source: str
    routed_owner_id: str
    routed_owner: str
    created_at: datetime
    salesforce_url: str | None


def failed_rows(facts: Sequence[LeadFact]) -> list[FailedRow]:
    leads = lead_details(f.lead_id for f in facts)
    names = owner_names({f.routed_owner for f in facts if f.routed_owner})
    rows = []
    for fact in facts:
        lead = leads.get(fact.lead_id)
        rows.append(
            FailedRow(
                lead_id=fact.lead_id,
                name=lead.name if lead else "",
                company=lead.company if lead else "",
                reason=fact.failure_reason,
                reason_kind=reason_kind(fact.failure_reason)[0],
                region=fact.region,
                tier=fact.tier,
                source=fact.source,
                routed_owner_id=fact.routed_owner,
                routed_owner=names.get(fact.routed_owner) or fact.routed_owner,
                created_at=fact.created_at,
                salesforce_url=salesforce_lead_url(fact.lead_id),
            )
        )
    return rows


# ---- Reps ------------------------------------------------------------------------------------

# A rep whose share of the region's assignments is this far from an equal share is pointed out.
SHARE_HIGH, SHARE_LOW = 1.5, 0.5
SHARE_MIN_SAMPLE = 20  # fewer assignments in the region: shares are noise, nothing is pointed out


@dataclass(frozen=True)
class RepRow:
    rep_id: str
    name: str
    known: bool  # a synced user row exists
    active: bool
    region: str
    assigned: int
    region_assigned: int
    region_reps: int
    region_top_share: float  # the largest share in the region (sets the bars' scale)
    accepted: int
    acceptance_base: int
    touched: int
    first_touch_p50: float | None
    tta_p50: float | None
    bounced: int
    rejected: int

    @property
    def share(self) -> float:
        return self.assigned / self.region_assigned if self.region_assigned else 0.0

    @property
    def equal_share(self) -> float:
        return 1 / self.region_reps if self.region_reps else 0.0

    @property
    def share_ratio(self) -> float | None:
        return self.share / self.equal_share if self.equal_share else None

    @property
    def share_level(self) -> str:
        ratio = self.share_ratio
        if ratio is None or self.region_reps < 2 or self.region_assigned < SHARE_MIN_SAMPLE:
            return "neutral"
        return "warn" if ratio >= SHARE_HIGH or ratio <= SHARE_LOW else "ok"

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.acceptance_base if self.acceptance_base else None

    @property
    def bounce_rate(self) -> float | None:
        return self.bounced / self.assigned if self.assigned else None

    @property
    def rejection_rate(self) -> float | None:
        return self.rejected / self.assigned if self.assigned else None

    @property
    def bar_scale(self) -> float:
        """The share a full bar stands for: room for the region's largest share and twice an
        equal share, so the differences between reps are visible (never more than 100%)."""
        return min(max(self.region_top_share, 2 * self.equal_share, 1e-9), 1.0)

    @property
    def share_percent(self) -> float:
        """The share as a 0–100 bar length (for the inline SVG bar)."""
        return round(min(self.share / self.bar_scale, 1.0) * 100, 2)

    @property
    def equal_percent(self) -> float:
        return round(min(self.equal_share / self.bar_scale, 1.0) * 100, 2)


def _rep_rollups(filters: Filters) -> QuerySet[RepRollup]:
    """The ``RepRollup`` rows of the view: its "every tier" / "every source" rows unless it
    filters on them."""
    rows = RepRollup.objects.filter(
        day__gte=filters.start,
        day__lte=filters.end,
        **{name: getattr(filters, name) or None for name in ("tier", "source")},
    )
    if filters.region:
        rows = rows.filter(region=filters.region)
    return rows.order_by()


def rep_rows(
    filters: Filters, state: MetricsState | None, *, medians: bool = True
) -> list[RepRow]:
    """Per region × first rep over the filtered cohort, most assignments first in each region:
    counts summed in SQL over ``RepRollup`` and the medians (exact, over the merged sorted
    values; unless ``medians`` is false: ``with_medians`` adds them to the rows shown), both
    cached until ``state`` changes (the next ``compute_metrics``); names are read each time."""
    grouped = cached(
        state,
        filters,
        ("rep-counts",),
        lambda: list(
            _rep_rollups(filters)
            .values("region", "rep")
            .annotate(**{f"n_{name}": Sum(name) for name in REP_COUNTS})
        ),
    )
    region_totals: dict[str, int] = defaultdict(int)
    region_reps: dict[str, int] = defaultdict(int)
    region_top: dict[str, int] = defaultdict(int)
    for row in grouped:
        region_totals[row["region"]] += row["n_assigned"]
        region_reps[row["region"]] += 1
        region_top[row["region"]] = max(region_top[row["region"]], row["n_assigned"])
    users = {
        user.id: user
        for user in SalesforceUser.objects.filter(id__in={row["rep"] for row in grouped}).only(
            "id", "name", "is_active"
        )
    }
    result = []
    for row in grouped:
        region, rep = row["region"], row["rep"]
        user = users.get(rep)
        result.append(
            RepRow(
                rep_id=rep,
                name=(user.name if user else "") or rep,
                known=user is not None,
                active=user.is_active if user else True,
                region=region,
                assigned=row["n_assigned"],
                region_assigned=region_totals[region],
                region_reps=region_reps[region],
                region_top_share=region_top[region] / region_totals[region],
                accepted=row["n_accepted"],
                acceptance_base=row["n_acceptance_base"],
                touched=row["n_touched"],
                first_touch_p50=None,
                tta_p50=None,
                bounced=row["n_bounced"],
                rejected=row["n_rejected"],
            )
        )
    result.sort(key=lambda r: (r.region == "", r.region, -r.assigned, r.name))
    return with_medians(filters, state, result) if medians else result


def with_medians(
    filters: Filters, state: MetricsState | None, rows: Sequence[RepRow]
) -> list[RepRow]:
    """``rows`` with their TTA and first-touch medians, read for those reps only and cached
    until the next ``compute_metrics`` (``rollup_cache``): the merged values grow with the
    leads in the range, the medians do not."""
    keys = tuple(sorted({(row.region, row.rep_id) for row in rows}))
    if not keys:
        return []
    medians = cached(state, filters, ("rep-medians", keys), lambda: _rep_medians(filters, keys))
    filled = []
    for row in rows:
        tta, touch = medians[(row.region, row.rep_id)]
        filled.append(replace(row, tta_p50=tta, first_touch_p50=touch))
    return filled


def _rep_medians(
    filters: Filters, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """Per (region, rep) of ``keys``: the TTA and first-touch medians over the merged values."""
    wanted = {key: i for i, key in enumerate(keys)}
    records = [
        record
        for record in _rep_rollups(filters)
        .filter(rep__in={rep for _region, rep in keys})
        .values_list("region", "rep", *REP_VALUES)
        if (record[0], record[1]) in wanted
    ]
    gid = np.fromiter((wanted[(r[0], r[1])] for r in records), dtype=np.int64, count=len(records))
    tta = _group_medians(gid, [r[2] for r in records], len(keys))
    touch = _group_medians(gid, [r[3] for r in records], len(keys))
    return {key: (tta[i], touch[i]) for key, i in wanted.items()}


def _group_medians(gid: np.ndarray, blobs: list[bytes], groups: int) -> list[float | None]:
    """The median (linear interpolation, numpy's default) of each group's values, where row
    ``i`` adds the float64 values of ``blobs[i]`` to group ``gid[i]``; one sort for all."""
    sizes = np.fromiter((len(blob) // 8 for blob in blobs), dtype=np.int64, count=len(blobs))
    values = np.frombuffer(b"".join(blobs), dtype=np.float64)
    values, counts = sort_by_group(np.repeat(gid, sizes), values, groups)
    if not values.size:
        return [None] * groups
    starts = np.cumsum(counts) - counts
    low = values[np.minimum(starts + np.maximum(counts - 1, 0) // 2, values.size - 1)]
    high = values[np.minimum(starts + counts // 2, values.size - 1)]
    # numpy's linear interpolation at t = 0.5 is b − (b − a)·0.5 (exact for equal values)
    medians = np.where(counts % 2 == 0, high - (high - low) * 0.5, low)
    return [float(m) if n else None for m, n in zip(medians.tolist(), counts.tolist(), strict=True)]
