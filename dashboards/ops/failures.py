"""The Failures page's reads: failed leads by reason (from ``FailureRollup``) and their records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Max, Min, QuerySet, Sum

from dashboards.filters import Filters
from dashboards.leads.queries import owner_names, salesforce_lead_url
from dashboards.ops.queries import FALLBACK_PREFIX, UNROUTED_PREFIX, fact_base, lead_details
from routing_health.metrics import definitions
from routing_health.models import (
    DailyRollup,
    FailureRollup,
    LeadFact,
)


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
                share=definitions.rate(entry["n"], total_failed) or 0.0,
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
        success_rate=definitions.rate_of(
            "assignment_success_rate", {"succeeded": succeeded, "failed": failed_n}
        ),
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
