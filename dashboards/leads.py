"""Read-side queries for the lead pages: the filtered list, owner names, one lead's history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from dashboards.filters import SOURCE_FIELD, Filters
from routing_health.models import Activity, Lead, OwnerChange, Queue, SalesforceUser, StatusChange
from routing_health.sfid import is_sf_id

SUGGESTION_LIMIT = 100


def lead_queryset(filters: Filters) -> QuerySet[Lead]:
    """Live (not deleted) leads matching ``filters``, newest first.

    The created-at range and region/tier equality use ``lead_created_idx`` /
    ``lead_segment_idx``; the source (a JSON key) only narrows what those select.
    """
    return (
        Lead.objects.filter(filters.lead_q(), is_deleted=False)
        .order_by("-created_at", "-id")
    )


def has_leads() -> bool:
    return Lead.objects.filter(is_deleted=False).exists()


def salesforce_lead_url(lead_id: str) -> str | None:
    """``https://<instance>/lightning/r/Lead/<Id>/view``, or ``None`` without a usable
    ``SALESFORCE_INSTANCE_URL`` (or for a value that is not an Id)."""
    base = (settings.SALESFORCE.get("instance_url") or "").strip()
    parts = urlsplit(base)
    if parts.scheme not in ("https", "http") or not parts.netloc or not is_sf_id(lead_id):
        return None
    return f"{parts.scheme}://{parts.netloc}/lightning/r/Lead/{lead_id}/view"


def owner_names(owner_ids: Iterable[str] | None = None) -> dict[str, str]:
    """Owner Id → current name (users and queues); all owners when ``owner_ids`` is None."""
    users = SalesforceUser.objects.all()
    queues = Queue.objects.all()
    if owner_ids is not None:
        wanted = {owner_id for owner_id in owner_ids if owner_id}
        users, queues = users.filter(id__in=wanted), queues.filter(id__in=wanted)
    names = dict(users.values_list("id", "name"))
    names.update(queues.values_list("id", "name"))
    return {owner_id: name for owner_id, name in names.items() if name}


@dataclass(frozen=True)
class LeadRow:
    id: str
    name: str
    company: str
    region: str
    tier: str
    source: str
    owner_id: str
    owner_name: str
    status: str
    is_converted: bool
    created_at: datetime
    salesforce_url: str | None


def lead_rows(leads: Iterable[Lead], names: dict[str, str] | None = None) -> Iterator[LeadRow]:
    """Display rows for ``leads``; ``names`` from ``owner_names`` (looked up when omitted)."""
    leads = list(leads) if names is None else leads
    if names is None:
        names = owner_names(lead.owner_id for lead in leads)
    for lead in leads:
        source = (lead.raw_fields or {}).get(SOURCE_FIELD)
        yield LeadRow(
            id=lead.id,
            name=lead.name,
            company=lead.company,
            region=lead.region,
            tier=lead.tier,
            source=source if isinstance(source, str) else "",
            owner_id=lead.owner_id,
            owner_name=names.get(lead.owner_id, ""),
            status=lead.status,
            is_converted=lead.is_converted,
            created_at=lead.created_at,
            salesforce_url=salesforce_lead_url(lead.id),
        )


def leads_per_day(filters: Filters) -> list[tuple[date, int]]:
    """Leads created per local day of the range, zero-filled, oldest first."""
    counted = (
        lead_queryset(filters)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=filters.zone))
        .values("day")
        .annotate(n=Count("id"))
    )
    by_day = {row["day"]: row["n"] for row in counted}
    days = [date.fromordinal(filters.start.toordinal() + i) for i in range(filters.days)]
    return [(day, by_day.get(day, 0)) for day in days]


def filter_suggestions(filters: Filters, tiers: list[str]) -> dict[str, list[str]]:
    """Values to offer in the filter bar: those seen in the date range (region, tier and
    source filters ignored, so another value can be picked), plus the configured tiers."""
    dates_only = replace(filters, region="", tier="", source="")
    in_range = Lead.objects.filter(dates_only.lead_q(), is_deleted=False).order_by()

    def distinct(field: str) -> list[str]:
        values = in_range.values_list(field, flat=True).distinct()[:SUGGESTION_LIMIT]
        return [value for value in values if isinstance(value, str) and value]

    return {
        "region": sorted(distinct("region")),
        "tier": sorted({*distinct("tier"), *tiers}),
        "source": sorted(distinct(f"raw_fields__{SOURCE_FIELD}")),
    }


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # created | owner | status | activity
    title: str
    detail: str = ""


def lead_history(lead: Lead) -> list[TimelineEvent]:
    """The lead's recorded history, oldest first: creation (with the initial owner, which
    LeadHistory does not record: the OldValue of the earliest owner change, else the current
    owner), owner changes, status changes and activities."""
    owner_changes = list(
        OwnerChange.objects.filter(lead_id=lead.id).order_by("created_at", "id")
    )
    status_changes = list(
        StatusChange.objects.filter(lead_id=lead.id).order_by("created_at", "id")
    )
    activities = list(
        Activity.objects.filter(lead_id=lead.id, is_deleted=False).order_by("created_at", "id")
    )
    initial_owner = owner_changes[0].old_owner_id if owner_changes else lead.owner_id
    ids = {initial_owner, lead.owner_id}
    ids.update(change.new_owner_id for change in owner_changes)
    ids.update(change.old_owner_id for change in owner_changes)
    ids.update(activity.owner_id for activity in activities)
    names = owner_names(ids)

    def name(owner_id: str) -> str:
        return names.get(owner_id) or owner_id or "—"

    events = [TimelineEvent(lead.created_at, "created", "Created", f"owner {name(initial_owner)}")]
    events += [
        TimelineEvent(
            change.created_at,
            "owner",
            f"Owner → {name(change.new_owner_id)}",
            f"from {name(change.old_owner_id)}",
        )
        for change in owner_changes
    ]
    events += [
        TimelineEvent(
            change.created_at,
            "status",
            f"Status → {change.new_status or '—'}",
            f"from {change.old_status or '—'}",
        )
        for change in status_changes
    ]
    events += [
        TimelineEvent(
            activity.created_at,
            "activity",
            f"{activity.kind}: {activity.subject or 'no subject'}",
            f"by {name(activity.owner_id)}",
        )
        for activity in activities
    ]
    order = {"created": 0, "owner": 1, "status": 2, "activity": 3}
    return sorted(events, key=lambda event: (event.at, order[event.kind]))
