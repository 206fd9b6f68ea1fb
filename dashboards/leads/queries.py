"""Read-side queries for the lead pages: the filtered list and owner names (one lead's history is
``dashboards.leads.timeline``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate

from dashboards.filters import SOURCE_FIELD, Filters
from routing_health.lib.sfid import is_sf_id
from routing_health.models import DailyRollup, Lead, Queue, SalesforceUser


def lead_queryset(filters: Filters, fact_ids: QuerySet[Any] | None = None) -> QuerySet[Lead]:
    """Live (not deleted) leads matching ``filters``, newest first.

    The created-at range and region/tier equality use ``lead_created_idx`` /
    ``lead_segment_idx``; the source (a JSON key) only narrows what those select.
    ``fact_ids`` (a ``LeadFact`` sub-select of ``lead_id``, see ``dashboards.leads.records``)
    narrows the list to the leads behind a number.
    """
    leads = Lead.objects.filter(filters.lead_q(), is_deleted=False)
    if fact_ids is not None:
        leads = leads.filter(id__in=fact_ids)
    return leads.order_by("-created_at", "-id")


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


def leads_per_day(
    filters: Filters, fact_ids: QuerySet[Any] | None = None
) -> list[tuple[date, int]]:
    """Leads created per local day of the range, zero-filled, oldest first.

    Without record filters the counts come from the daily rollups (as of the last
    ``compute_metrics``), so the chart does not grow with the data; when the rollups have no
    row for the range (not computed yet) the leads are counted.
    """
    days = [date.fromordinal(filters.start.toordinal() + i) for i in range(filters.days)]
    if fact_ids is None:
        rows = DailyRollup.objects.filter(
            day__gte=filters.start, day__lte=filters.end, **filters.segment()
        )
        by_day = dict(rows.order_by().values_list("day").annotate(n=Sum("leads")))
        if by_day:
            return [(day, int(by_day.get(day, 0))) for day in days]
    counted = (
        lead_queryset(filters, fact_ids)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=filters.zone))
        .values("day")
        .annotate(n=Count("id"))
    )
    by_day = {row["day"]: row["n"] for row in counted}
    return [(day, by_day.get(day, 0)) for day in days]
