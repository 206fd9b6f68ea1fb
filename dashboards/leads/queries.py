"""Read-side queries for the lead pages: the filtered list and owner names (one lead's history is
``dashboards.leads.timeline``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate

from dashboards.filters import SOURCE_FIELD, Filters
from routing_health.lib.sfid import is_sf_id
from routing_health.models import DailyRollup, Lead, LeadFact, Queue, SalesforceUser

SORTS = ("tta_minutes", "first_touch_minutes", "tta_business_minutes",
         "first_touch_business_minutes")
"""Fact columns the lead list sorts by (``sort=-tta_minutes``: longest first, unknown last)."""


def parse_sort(raw: str | None, default: str = "") -> str:
    """A valid ``sort`` value (``[-]column`` of ``SORTS``), else ``default`` (newest first)."""
    value = str(raw or "").strip()
    return value if value.lstrip("-") in SORTS else default


def lead_queryset(
    filters: Filters, fact_ids: QuerySet[Any] | None = None, *, sort: str = ""
) -> QuerySet[Lead]:
    """Live (not deleted) leads matching ``filters``, newest first (or by ``sort``).

    The created-at range and region/tier equality use ``lead_created_idx`` /
    ``lead_segment_idx``; the source (a JSON key) only narrows what those select.
    ``fact_ids`` (a ``LeadFact`` sub-select of ``lead_id``, see ``dashboards.leads.records``)
    narrows the list to the leads behind a number.
    """
    leads = Lead.objects.filter(filters.lead_q(), is_deleted=False)
    if fact_ids is not None:
        leads = leads.filter(id__in=fact_ids)
    column = sort.lstrip("-")
    if column in SORTS:
        value = LeadFact.objects.filter(lead_id=OuterRef("id")).values(column)[:1]
        leads = leads.annotate(sort_value=Subquery(value))
        order = (F("sort_value").desc(nulls_last=True) if sort.startswith("-")
                 else F("sort_value").asc(nulls_last=True))
        return leads.order_by(order, "-created_at", "-id")
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
    outcome: str = ""
    failure_reason: str = ""
    tta_minutes: float | None = None
    first_touch_minutes: float | None = None
    assign_sla_met: bool | None = None
    touch_sla_met: bool | None = None
    """``None``: the SLA does not apply (yet) to the lead."""
    minutes: dict[str, float | None] = field(default_factory=dict)
    """Every ``SORTS`` column (the business-hours clocks too), for a list sorted by one."""


FACT_FIELDS = ("lead_id", "outcome", "failure_reason", "assign_sla_applicable", "assign_sla_met",
               "touch_sla_applicable", "touch_sla_met", *SORTS)
FACT_CHUNK = 2000


def lead_facts(lead_ids: Iterable[str]) -> dict[str, LeadFact]:
    """The stored facts (as of the metrics time) of ``lead_ids``, by lead Id."""
    return LeadFact.objects.only(*FACT_FIELDS).in_bulk(list(lead_ids))


def lead_rows(leads: Iterable[Lead], names: dict[str, str] | None = None) -> Iterator[LeadRow]:
    """Display rows for ``leads`` with their facts (outcome, failure reason, time to assignment,
    first touch, SLAs met); ``names`` from ``owner_names`` (looked up when omitted). Facts are
    read per chunk of ``FACT_CHUNK`` leads, so a streamed CSV stays bounded."""
    if names is None:
        leads = list(leads)
        names = owner_names(lead.owner_id for lead in leads)
    for chunk in _chunks(leads, FACT_CHUNK):
        facts = lead_facts(lead.id for lead in chunk)
        for lead in chunk:
            yield _lead_row(lead, names, facts.get(lead.id))


def _chunks(leads: Iterable[Lead], size: int) -> Iterator[list[Lead]]:
    it = iter(leads)
    while chunk := list(islice(it, size)):
        yield chunk


def _sla(fact: LeadFact | None, name: str) -> bool | None:
    if fact is None or not getattr(fact, f"{name}_applicable"):
        return None
    return bool(getattr(fact, f"{name}_met"))


def _lead_row(lead: Lead, names: dict[str, str], fact: LeadFact | None) -> LeadRow:
    source = (lead.raw_fields or {}).get(SOURCE_FIELD)
    return LeadRow(
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
        outcome=fact.outcome if fact else "",
        failure_reason=fact.failure_reason if fact else "",
        tta_minutes=fact.tta_minutes if fact else None,
        first_touch_minutes=fact.first_touch_minutes if fact else None,
        assign_sla_met=_sla(fact, "assign_sla"),
        touch_sla_met=_sla(fact, "touch_sla"),
        minutes={c: getattr(fact, c) for c in SORTS} if fact else {},
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
