"""The lead list (``/leads``, with CSV export) and one lead's timeline (``/leads/<id>``).

Record filters (``dashboards.leads.records``: outcome, failure reason, first rep, queue, flag)
narrow the list to the leads behind a number on another page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET

from dashboards import charts
from dashboards.csv_export import CSV_CHUNK, csv_response
from dashboards.filters import Filters
from dashboards.leads.flow_versions import active_versions
from dashboards.leads.queries import (
    SORTS,
    has_leads,
    lead_queryset,
    lead_rows,
    leads_per_day,
    owner_names,
    parse_sort,
    salesforce_lead_url,
)
from dashboards.leads.records import matching_fact_ids, parse_record_filters
from dashboards.leads.timeline import lead_journey
from dashboards.ops.queries import ops_settings
from dashboards.pagination import page_context
from dashboards.rendering import page_state, render_page
from routing_health.config import RoutingConfig
from routing_health.lib.sfid import is_sf_id, to_18
from routing_health.metrics.shadow import candidate_id
from routing_health.models import Lead

CSV_COLUMNS = (
    "lead_id",
    "name",
    "company",
    "region",
    "tier",
    "source",
    "owner_id",
    "owner",
    "status",
    "converted",
    "created",
    "salesforce_url",
    "outcome",
    "failure_reason",
    "tta_minutes",
    "first_touch_minutes",
    "assign_sla_met",
    "touch_sla_met",
)
SORT_LABELS = {
    "tta_minutes": "Time to assignment",
    "first_touch_minutes": "First touch",
    "tta_business_minutes": "Time to assignment (business hours)",
    "first_touch_business_minutes": "First touch (business hours)",
}


@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    record = parse_record_filters(request.GET)
    fact_ids, as_of = None, None
    if record.active:
        ops = ops_settings(state.report)
        as_of = ops.as_of
        config = state.report.config
        shadow_field = config.shadow.candidate_field if config and config.shadow else None
        fact_ids = matching_fact_ids(
            record, as_of=as_of, limit_hours=ops.queue_limit_hours, shadow_field=shadow_field
        )
    # A list above a percentile is worst first by the metric's own column unless sorted otherwise.
    sort = parse_sort(request.GET.get("sort"), f"-{record.above_column}" if record.above else "")
    queryset = lead_queryset(state.filters, fact_ids, sort=sort)
    if request.GET.get("format") == "csv":
        return _csv_response(queryset, state.filters)
    keep = {**record.params(), **({"sort": sort} if sort else {})}
    pages = page_context(request, queryset, state.filters, **keep)
    listed = pages["paginator"].count
    context = {
        **pages,
        # A listed lead is a live lead: only an empty list asks whether there are any.
        "has_data": bool(listed) or has_leads(),
        "rows": list(lead_rows(pages["page_obj"].object_list)),
        "csv_qs": state.filters.querystring(format="csv", **keep),
        "volume_chart": charts.leads_per_day_chart(leads_per_day(state.filters, fact_ids))
        if listed
        else None,
        "record": record,
        "record_chips": [
            (chip, state.filters.querystring(**{**keep, chip.param: None}))
            for chip in record.chips(
                owner_names([record.first_rep, record.queue]) if record.active else {}
            )
        ],
        "metrics_as_of": as_of,
        "sort": sort,
        "sort_links": {
            column: state.filters.querystring(
                **{**keep, "sort": column if sort == f"-{column}" else f"-{column}"}
            )
            for column in SORTS
        },
        "extra_column": _extra_column(sort),
    }
    return render_page(request, "dashboards/leads.html", state, page="leads", context=context)


def _extra_column(sort: str) -> tuple[str, str] | None:
    """A business-hours clock the list is sorted by: its column (the wall clocks always show)."""
    column = sort.lstrip("-")
    if column in ("tta_minutes", "first_touch_minutes") or column not in SORT_LABELS:
        return None
    return column, SORT_LABELS[column]


def _flag(value: bool | None) -> str:
    return "" if value is None else "true" if value else "false"


def _csv_rows(leads: Iterable[Lead], filters: Filters) -> Iterator[list[object]]:
    zone = filters.zone
    for row in lead_rows(leads, owner_names()):
        yield [
            row.id,
            row.name,
            row.company,
            row.region,
            row.tier,
            row.source,
            row.owner_id,
            row.owner_name,
            row.status,
            "true" if row.is_converted else "false",
            row.created_at.astimezone(zone).isoformat(),
            row.salesforce_url or "",
            row.outcome,
            row.failure_reason,
            "" if row.tta_minutes is None else row.tta_minutes,
            "" if row.first_touch_minutes is None else row.first_touch_minutes,
            _flag(row.assign_sla_met),
            _flag(row.touch_sla_met),
        ]


def _csv_response(queryset: QuerySet[Lead], filters: Filters) -> StreamingHttpResponse:
    name = f"leads_{filters.start.isoformat()}_{filters.end.isoformat()}.csv"
    leads = queryset.iterator(chunk_size=CSV_CHUNK)
    return csv_response(name, CSV_COLUMNS, _csv_rows(leads, filters))


def _shadow_pick(
    lead: Lead, config: RoutingConfig | None, facts: dict, name: Callable[[Any], Any]
) -> dict[str, Any] | None:
    """The shadow candidate of the lead (``[shadow]``): who, why ("recommended because …"),
    priority, and whether it agrees with the routed owner; ``None`` without ``[shadow]``."""
    if config is None or config.shadow is None:
        return None
    shadow = config.shadow
    raw = lead.raw_fields or {}
    candidate = candidate_id(raw.get(shadow.candidate_field))
    routed = facts.get("routed_owner") or None

    def text(field: str | None) -> str:
        value = raw.get(field) if field else None
        return value.strip() if isinstance(value, str) else ""

    return {
        "candidate": candidate,
        "name": (name(candidate) or candidate) if candidate else "",
        "reason": text(shadow.explanation_field),
        "priority": text(shadow.priority_field),
        "agrees": None if candidate is None or routed is None else candidate == routed,
    }


@require_GET
def lead_timeline(request: HttpRequest, lead_id: str) -> HttpResponse:
    """One lead: why it went where it went (owner stints, SLA clocks, events)."""
    if not is_sf_id(lead_id):
        raise Http404("not a Salesforce Id")
    canonical = to_18(lead_id)
    if canonical != lead_id:
        response = redirect("lead-timeline", lead_id=canonical)
        if request.GET:
            response["Location"] += f"?{request.GET.urlencode()}"
        return response
    lead = get_object_or_404(Lead, pk=canonical)
    state = page_state(request)
    journey = lead_journey(lead, state.report.config)
    facts = journey.facts or {}
    context = {
        "lead": lead,
        "journey": journey,
        "facts": facts,
        "owner_name": journey.name(lead.owner_id),
        "routed_owner": journey.name(facts.get("routed_owner")),
        "first_rep": journey.name(facts.get("first_rep")),
        "queue_owner": journey.name(facts.get("queue_owner")),
        "salesforce_url": salesforce_lead_url(lead.id),
        "back_qs": state.filters.querystring(),
        "failures_qs": state.filters.querystring(failure_reason=facts.get("failure_reason")),
        "flow_versions": active_versions(
            state.report.config, facts.get("routed_at") or lead.created_at),
        "shadow": _shadow_pick(lead, state.report.config, facts, journey.name),
    }
    return render_page(
        request, "dashboards/lead_timeline.html", state, page="lead-timeline", context=context
    )
