"""The operational pages: Queues, Failures, Reps (one lead's timeline: ``dashboards.leads``).

Pages read stored facts (``LeadFact``, as of the metrics time) with SQL aggregates; only the
displayed page of rows is joined to ``Lead``. Every table exports CSV with ``?format=csv``
(``&table=…`` picks the table on pages with several) and every count links to the lead list
filtered to the leads behind it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboards.csv_export import CSV_CHUNK, csv_response
from dashboards.filters import MAX_TEXT_LENGTH, Filters
from dashboards.leads.queries import has_leads, owner_names
from dashboards.metrics.data import QUEUE_HEADLINE, headline_metrics
from dashboards.ops import charts as ops_charts
from dashboards.ops.failures import failed_facts, failed_rows, failure_summary
from dashboards.ops.queries import (
    OpsSettings,
    ops_settings,
    queue_snapshot,
    queued_facts,
    queued_rows,
)
from dashboards.ops.rejections import rejections
from dashboards.ops.reps import REP_COLUMNS, csv_header, rep_rows, with_medians
from dashboards.pagination import page_context
from dashboards.rendering import PageState, page_state, render_page
from routing_health.lib.sfid import InvalidSalesforceId, to_18
from routing_health.metrics import catalog
from routing_health.models import LeadFact

HISTORY_DAYS = 30
# Reps listed per region (most assignments first) unless the view asks for all (``reps=all``):
# the page stays readable, and as fast, with hundreds of reps; the CSV has every rep.
REPS_SHOWN = 25
KEPT_DAYS = 7


# ---- Shared helpers ----------------------------------------------------------------------------


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _chunks(queryset: QuerySet[LeadFact]) -> Iterator[list[LeadFact]]:
    """A fact query in chunks (for CSV rows that join names per chunk)."""
    batch: list[LeadFact] = []
    for fact in queryset.iterator(chunk_size=CSV_CHUNK):
        batch.append(fact)
        if len(batch) == CSV_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _records(filters: Filters, **extra: object) -> str:
    """The lead list, with the page's filters and ``extra`` (``None`` removes a filter)."""
    return reverse("leads") + filters.querystring(**extra)


def _text_param(request: HttpRequest, name: str) -> str:
    value = str(request.GET.get(name) or "").strip()
    return value if len(value) <= MAX_TEXT_LENGTH else ""


def _id_param(request: HttpRequest, name: str) -> str:
    raw = str(request.GET.get(name) or "").strip()
    try:
        return to_18(raw) if raw else ""
    except InvalidSalesforceId:
        return ""


def _base_context(state: PageState) -> dict[str, Any]:
    return {
        "has_data": has_leads(),
    }


def _local_today(settings: OpsSettings, state: PageState) -> Any:
    moment = settings.as_of or timezone.now()
    return moment.astimezone(state.report.zone).date()


# ---- Queues ------------------------------------------------------------------------------------


@require_GET
def queues(request: HttpRequest) -> HttpResponse:
    """Leads queued at the metrics time, by queue and age, oldest first."""
    state = page_state(request)
    filters = state.filters
    settings = ops_settings(state.report)
    queue = _id_param(request, "queue")
    facts = queued_facts(filters, queue=queue)
    if _wants_csv(request):
        return _queues_csv(facts, settings, queue_table=request.GET.get("table") == "queues",
                           filters=filters)
    context = _base_context(state)
    context.update(settings=settings, metrics_ready=settings.as_of is not None, queue=queue)
    if settings.as_of is None or not context["has_data"]:
        return render_page(request, "dashboards/queues.html", state, page="queues",
                           context=context)
    snapshot = queue_snapshot(filters, settings)
    span: dict[str, object] = {}
    if filters.is_default_range and snapshot.first_day:
        span = {"start": snapshot.first_day, "end": snapshot.last_day}
    selected = next((q for q in snapshot.queues if q.queue_id == queue), None) if queue else None
    if selected is not None:
        count, queue_name = selected.queued, selected.name
    elif queue:  # a queue with nothing queued in the view
        count, queue_name = 0, owner_names([queue]).get(queue, queue)
    else:
        count, queue_name = snapshot.total, ""
    pages = page_context(request, facts, filters, count=count, queue=queue)
    context.update(pages)
    headline = headline_metrics(filters, as_of=settings.as_of, metrics=QUEUE_HEADLINE)
    context.update(
        snapshot=snapshot,
        headline={name: catalog.format_metric(name, headline[name]) for name in QUEUE_HEADLINE},
        headline_values={name: headline[name] for name in QUEUE_HEADLINE},
        cohort_records=_records(filters, flag="queued"),
        cohort_over_records=_records(filters, flag="over_limit"),
        rows=queued_rows(list(pages["page_obj"].object_list), settings),
        queue_name=queue_name,
        queue_links=[
            (
                q,
                _records(filters, queue=q.queue_id, **span),
                _records(filters, queue=q.queue_id, flag="over_limit", **span),
                reverse("queues") + filters.querystring(queue=q.queue_id),
            )
            for q in snapshot.queues
        ],
        all_records=_records(filters, flag="queued", **span),
        over_records=_records(filters, flag="over_limit", **span),
        age_chart=ops_charts.queue_age_chart(
            snapshot.buckets, snapshot.queues, limit_hours=settings.queue_limit_hours
        )
        if snapshot.total
        else None,
        csv_qs=filters.querystring(format="csv", queue=queue),
        csv_queues_qs=filters.querystring(format="csv", table="queues"),
        clear_queue_qs=filters.querystring(),
    )
    return render_page(request, "dashboards/queues.html", state, page="queues", context=context)


def _queues_csv(
    facts: QuerySet[LeadFact], settings: OpsSettings, *, queue_table: bool, filters: Filters
) -> StreamingHttpResponse:
    if queue_table:
        snapshot = queue_snapshot(filters, settings)
        header = ["queue_id", "queue", "owner_class", "queued", "over_limit",
                  "oldest_entered_at", "oldest_age_hours",
                  *[f"age {b.label}" for b in snapshot.buckets]]
        rows = [
            [q.queue_id, q.name, q.owner_class, q.queued, q.over_limit, q.oldest_entered_at,
             q.oldest_age_hours, *q.buckets]
            for q in snapshot.queues
        ]
        return csv_response("queues.csv", header, rows)
    header = ["lead_id", "name", "company", "queue_id", "queue", "region", "tier", "source",
              "queue_entered_at", "age_hours", "over_limit", "created", "salesforce_url"]

    def rows() -> Iterator[list[object]]:
        for chunk in _chunks(facts):
            for r in queued_rows(chunk, settings):
                yield [r.lead_id, r.name, r.company, r.queue_id, r.queue_name, r.region, r.tier,
                       r.source, r.entered_at, r.age_hours, r.over_limit, r.created_at,
                       r.salesforce_url or ""]

    return csv_response("queued_leads.csv", header, rows())


# ---- Failures ----------------------------------------------------------------------------------


@require_GET
def failures(request: HttpRequest) -> HttpResponse:
    """Failed leads by failure reason and over time, and the list of them."""
    state = page_state(request)
    filters = state.filters
    settings = ops_settings(state.report)
    reason = _text_param(request, "failure_reason")
    facts = failed_facts(filters, reason=reason)
    if _wants_csv(request):
        if request.GET.get("table") == "reasons":
            summary = failure_summary(filters, reason=reason)
            return csv_response(
                "failure_reasons.csv",
                ["failure_reason", "kind", "failed", "share", "first_created", "last_created",
                 "regions"],
                [[r.reason, r.kind, r.count, r.share, r.first_at, r.last_at,
                  "; ".join(f"{region} {n}" for region, n in r.regions)] for r in summary.reasons],
            )
        return _failures_csv(facts)
    context = _base_context(state)
    context.update(settings=settings, metrics_ready=settings.as_of is not None, reason=reason)
    if settings.as_of is None or not context["has_data"]:
        return render_page(request, "dashboards/failures.html", state, page="failures",
                           context=context)
    summary = failure_summary(filters, reason=reason)
    pages = page_context(
        request, facts, filters, count=summary.shown_failed, failure_reason=reason
    )
    context.update(pages)
    today = _local_today(settings, state)
    context.update(
        summary=summary,
        rows=failed_rows(list(pages["page_obj"].object_list)),
        reason_links=[
            (
                r,
                _records(filters, outcome="failed", failure_reason=r.reason),
                reverse("failures") + filters.querystring(failure_reason=r.reason),
            )
            for r in summary.reasons
        ],
        failed_records=_records(filters, outcome="failed", failure_reason=reason),
        cohort_records=_records(filters),
        include_today_qs=filters.querystring(end=today, failure_reason=reason)
        if summary.failed_after_range and filters.end < today
        else "",
        reason_chart=ops_charts.failure_reason_chart(summary.reasons) if summary.reasons else None,
        daily_chart=ops_charts.failures_per_day_chart(summary.daily, summary.reasons)
        if summary.reasons
        else None,
        csv_qs=filters.querystring(format="csv", failure_reason=reason),
        csv_reasons_qs=filters.querystring(format="csv", table="reasons", failure_reason=reason),
        clear_reason_qs=filters.querystring(),
        rejections=rejections(filters, settings.metrics),
        rejected_label=catalog.metric("rejected").label,
    )
    return render_page(request, "dashboards/failures.html", state, page="failures",
                       context=context)


def _failures_csv(facts: QuerySet[LeadFact]) -> StreamingHttpResponse:
    header = ["lead_id", "name", "company", "failure_reason", "kind", "region", "tier", "source",
              "routed_owner_id", "routed_owner", "created", "salesforce_url"]

    def rows() -> Iterator[list[object]]:
        for chunk in _chunks(facts):
            for r in failed_rows(chunk):
                yield [r.lead_id, r.name, r.company, r.reason, r.reason_kind, r.region, r.tier,
                       r.source, r.routed_owner_id, r.routed_owner, r.created_at,
                       r.salesforce_url or ""]

    return csv_response("failed_leads.csv", header, rows())


# ---- Reps --------------------------------------------------------------------------------------


@require_GET
def reps(request: HttpRequest) -> HttpResponse:
    """Per first rep: assignments, share of the region, acceptance, first touch, bounces."""
    state = page_state(request)
    filters = state.filters
    settings = ops_settings(state.report)
    if _wants_csv(request):
        return csv_response(
            "reps.csv", csv_header(), [r.csv_row() for r in rep_rows(filters, settings.metrics)]
        )
    context = _base_context(state)
    context.update(settings=settings, metrics_ready=settings.as_of is not None)
    if settings.as_of is None or not context["has_data"]:
        return render_page(request, "dashboards/reps.html", state, page="reps", context=context)
    rows = rep_rows(filters, settings.metrics, medians=False)

    def links(row: Any) -> dict[str, str]:
        def records(**extra: object) -> str:
            return _records(filters, region=row.region or None, first_rep=row.rep_id, **extra)

        return {
            "assigned": records(),
            "accepted": records(flag="accepted"),
            "bounced": records(flag="bounced"),
            "rejected": records(flag="rejected"),
        }

    show_all = request.GET.get("reps") == "all"
    limit = None if show_all else REPS_SHOWN
    by_region: dict[str, list[Any]] = {}
    for row in rows:
        by_region.setdefault(row.region, []).append(row)
    # The medians only of the reps shown (one read for every region).
    shown = [row for members in by_region.values() for row in members[:limit]]
    filled = {(r.region, r.rep_id): r for r in with_medians(filters, settings.metrics, shown)}
    groups = []
    for region, members in by_region.items():
        listed = [filled[(r.region, r.rep_id)] for r in members[:limit]]
        hidden = members[len(listed):]
        groups.append(
            {
                "region": region,
                "rows": [(row, links(row)) for row in listed],
                "lines": [(row, links(row), row.cells(links(row))) for row in listed],
                "assigned": members[0].region_assigned,
                "reps": members[0].region_reps,
                "equal_share": members[0].equal_share,
                "records": _records(filters, region=region or None, flag="assigned"),
                "hidden": len(hidden),
                "hidden_low": sum(r.share_level == "warn" for r in hidden),
            }
        )
    context.update(
        rows=[filled.get((row.region, row.rep_id), row) for row in rows],
        groups=groups,
        show_all=show_all,
        any_hidden=any(group["hidden"] for group in groups),
        show_all_qs=filters.querystring(reps="all"),
        show_top_qs=filters.querystring(),
        reps_shown=REPS_SHOWN,
        inactive=_inactive_reps(rows, filters),
        assigned_total=sum(row.assigned for row in rows),
        assigned_records=_records(filters, flag="assigned"),
        csv_qs=filters.querystring(format="csv"),
        columns=[catalog.metric(name) for name in REP_COLUMNS],
        rejections=rejections(filters, settings.metrics),
        rejected_label=catalog.metric("rejected").label,
    )
    return render_page(request, "dashboards/reps.html", state, page="reps", context=context)


def _inactive_reps(rows: Sequence[Any], filters: Filters) -> list[dict[str, Any]]:
    """Inactive users who were first reps in the range, with their leads across regions."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.active:
            continue
        entry = found.setdefault(
            row.rep_id,
            {"name": row.name, "assigned": 0, "regions": [],
             "records": _records(filters, first_rep=row.rep_id)},
        )
        entry["assigned"] += row.assigned
        entry["regions"].append((row.region or "no region", row.assigned))
    return list(found.values())


# ---- Alerts ------------------------------------------------------------------------------------


# ---- Reports -----------------------------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\btype=\"application/json\")[^>]*>(.*?)</script>",
                            re.DOTALL | re.IGNORECASE)


# ---- Health: notification problems as CSV ------------------------------------------------------


