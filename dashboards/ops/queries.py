"""Read-side queries of the Queues, Failures and Reps pages.

Every summary reads the rollups ``compute_metrics`` writes (``QueueRollup``, ``FailureRollup``,
``RepRollup``, ``DailyRollup``: a few rows per day, whatever the number of leads); only the
record tables read ``LeadFact``, one indexed page at a time, joined to ``Lead`` (by primary
key) for names. Everything is as of ``MetricsState.as_of`` (``OpsSettings.as_of``): ages and
"over the limit" are measured at that time, like the metrics and the alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from django.db.models import Max, Min, Q, QuerySet, Sum

from dashboards.filters import Filters, ReportSettings
from dashboards.leads.queries import owner_names, salesforce_lead_url
from routing_health.config import RoutingConfig
from routing_health.models import (
    Lead,
    LeadFact,
    MetricsState,
    QueueRollup,
)
from routing_health.rollups.ops import AgeBucket, age_buckets
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


# ---- Reps ------------------------------------------------------------------------------------


