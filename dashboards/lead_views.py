"""The lead list (``/leads``, with CSV export); one lead's timeline is ``ops_views.lead_timeline``.

Record filters (``dashboards.ops_records``: outcome, failure reason, first rep, queue, flag)
narrow the list to the leads behind a number on another page.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from dashboards import charts
from dashboards.filters import Filters
from dashboards.leads import (
    filter_suggestions,
    has_leads,
    lead_queryset,
    lead_rows,
    leads_per_day,
    owner_names,
)
from dashboards.ops_queries import ops_settings
from dashboards.ops_records import matching_fact_ids, parse_record_filters
from dashboards.pagination import page_context
from dashboards.rendering import page_state, render_page
from routing_health.models import Lead

CSV_CHUNK = 2000
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
)
# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    record = parse_record_filters(request.GET)
    fact_ids, as_of = None, None
    if record.active:
        ops = ops_settings(state.report)
        as_of = ops.as_of
        fact_ids = matching_fact_ids(record, as_of=as_of, limit_hours=ops.queue_limit_hours)
    queryset = lead_queryset(state.filters, fact_ids)
    if request.GET.get("format") == "csv":
        return _csv_response(queryset, state.filters)
    keep = record.params()
    pages = page_context(request, queryset, state.filters, **keep)
    paginator = pages["paginator"]
    counts = leads_per_day(state.filters, fact_ids)
    context = {
        **pages,
        "has_data": has_leads(),
        "rows": list(lead_rows(pages["page_obj"].object_list)),
        "csv_qs": state.filters.querystring(format="csv", **keep),
        "volume_chart": charts.leads_per_day_chart(counts) if paginator.count else None,
        "suggestions": filter_suggestions(state.filters, state.report.tier_names()),
        "record": record,
        "record_chips": [
            (chip, state.filters.querystring(**{**keep, chip.param: None}))
            for chip in record.chips(
                owner_names([record.first_rep, record.queue]) if record.active else {}
            )
        ],
        "metrics_as_of": as_of,
    }
    return render_page(request, "dashboards/leads.html", state, page="leads", context=context)


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(leads: Iterable[Lead], filters: Filters) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    zone = filters.zone
    for row in lead_rows(leads, owner_names()):
        yield writer.writerow(
            [
                csv_cell(value)
                for value in (
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
                )
            ]
        )


def _csv_response(queryset: Iterable[Lead], filters: Filters) -> StreamingHttpResponse:
    leads = queryset.iterator(chunk_size=CSV_CHUNK)  # type: ignore[attr-defined]
    response = StreamingHttpResponse(_csv_lines(leads, filters), content_type="text/csv")
    name = f"leads_{filters.start.isoformat()}_{filters.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
