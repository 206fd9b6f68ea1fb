"""The operational pages: Queues, Failures, Reps, Lead timeline, Alerts (with snooze), Reports.

Pages read stored facts (``LeadFact``, as of the metrics time) with SQL aggregates; only the
displayed page of rows is joined to ``Lead``. Every table exports CSV with ``?format=csv``
(``&table=…`` picks the table on pages with several) and every count links to the lead list
filtered to the leads behind it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dashboards.csv_export import CSV_CHUNK, csv_response
from dashboards.filters import MAX_TEXT_LENGTH, Filters
from dashboards.leads.queries import has_leads, owner_names, salesforce_lead_url
from dashboards.leads.timeline import lead_journey
from dashboards.metrics.data import rollup_suggestions
from dashboards.ops import charts as ops_charts
from dashboards.ops.alerts import (
    SnoozeError,
    history_incidents,
    incident_rows,
    kept_notifications,
    parse_snooze,
    report_rows,
)
from dashboards.ops.queries import (
    OpsSettings,
    failed_facts,
    failed_rows,
    failure_summary,
    ops_settings,
    queue_snapshot,
    queued_facts,
    queued_rows,
    rep_rows,
    with_medians,
)
from dashboards.pagination import page_context
from dashboards.rendering import PageState, page_state, render_page
from routing_health.alerts.incidents import snooze
from routing_health.alerts.selectors import (
    firing_incidents,
    notification_problems,
    recent_incidents,
)
from routing_health.lib.sfid import InvalidSalesforceId, is_sf_id, to_18
from routing_health.models import AlertIncident, Lead, LeadFact, WeeklyReport
from routing_health.slack.transport import SlackTransport

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
        "suggestions": rollup_suggestions(state.filters, state.report.tier_names()),
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
    context.update(
        snapshot=snapshot,
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
            "reps.csv",
            ["rep_id", "rep", "active", "region", "assigned", "share_of_region", "equal_share",
             "accepted", "acceptance_rate", "tta_p50_minutes", "first_touch_p50_minutes",
             "bounced", "bounce_rate", "rejected", "rejection_rate"],
            [[r.rep_id, r.name, r.active, r.region, r.assigned, r.share, r.equal_share,
              r.accepted, r.acceptance_rate, r.tta_p50, r.first_touch_p50, r.bounced,
              r.bounce_rate, r.rejected, r.rejection_rate]
             for r in rep_rows(filters, settings.metrics)],
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


# ---- Lead timeline -----------------------------------------------------------------------------


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
    }
    return render_page(
        request, "dashboards/lead_timeline.html", state, page="lead-timeline", context=context
    )


# ---- Alerts ------------------------------------------------------------------------------------


@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    """Firing incidents (with snooze), resolved ones of the last 30 days, delivery state."""
    state = page_state(request)
    now = timezone.now()
    zone = state.report.zone
    firing = incident_rows(firing_incidents().prefetch_related("events"), zone=zone, now=now)
    history = incident_rows(
        history_incidents(recent_incidents(days=HISTORY_DAYS, now=now)), zone=zone, now=now
    )
    if _wants_csv(request):
        table = history if request.GET.get("table") == "history" else firing
        name = "alert_history.csv" if table is history else "alerts_firing.csv"
        return csv_response(
            name,
            ["incident_id", "rule", "title", "region", "tier", "failure_reason", "state",
             "value", "comparison", "threshold", "sample", "leads", "first_seen", "last_seen",
             "resolved_at", "last_notified_at", "notification", "snoozed_until"],
            [[r.id, r.incident.rule, r.title, r.incident.region, r.incident.tier,
              r.incident.failure_reason, r.incident.state, r.value, r.comparison, r.threshold,
              r.sample, r.leads, r.incident.first_seen, r.incident.last_seen,
              r.incident.resolved_at, r.incident.last_notified_at,
              r.notification.label if r.notification else "", r.incident.snoozed_until]
             for r in table],
        )
    any_incident = bool(firing or history) or AlertIncident.objects.exists()
    context = {
        "has_data": has_leads(),
        "firing": firing,
        "history": history,
        "history_days": HISTORY_DAYS,
        "any_incident": any_incident,
        "slack_configured": SlackTransport.from_settings() is not None,
        "kept": kept_notifications(since=now - timedelta(days=KEPT_DAYS)),
        "kept_days": KEPT_DAYS,
        "now": now,
        "min_until": now.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "csv_firing_qs": "?" + urlencode({"format": "csv"}),
        "csv_history_qs": "?" + urlencode({"format": "csv", "table": "history"}),
    }
    return render_page(request, "dashboards/alerts.html", state, page="alerts", context=context)


@require_POST
def alert_snooze(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Snooze (1 h, 4 h, 24 h, until a time) or unsnooze one incident; back to Alerts."""
    incident = get_object_or_404(AlertIncident, pk=incident_id)
    state = page_state(request)
    now = timezone.now()
    target = reverse("alerts") + f"#incident-{incident.pk}"
    try:
        until = parse_snooze(request.POST, zone=state.report.zone, now=now)
    except SnoozeError as exc:
        messages.error(request, str(exc))
        return redirect(target)
    who = request.user.get_username() if request.user.is_authenticated else "someone"
    if until is None:
        note = f"unsnoozed by {who}"
    else:
        local = until.astimezone(state.report.zone)
        note = f"until {local:%Y-%m-%d %H:%M} {local.tzname()} by {who}"
    snooze(incident.pk, until=until, at=now, note=note)
    title = (incident.details or {}).get("title") or incident.rule
    segment = " · ".join(p for p in (incident.region, incident.tier) if p) or "all leads"
    if until is None:
        messages.success(request, f"Unsnoozed “{title}” ({segment}): notifications resume.")
    else:
        local = until.astimezone(state.report.zone)
        messages.success(
            request,
            f"Snoozed “{title}” ({segment}) until {local:%b} {local.day}, {local:%H:%M} "
            f"{local.tzname()}: no Slack messages until then; evaluation goes on.",
        )
    return redirect(target)


# ---- Reports -----------------------------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\btype=\"application/json\")[^>]*>(.*?)</script>",
                            re.DOTALL | re.IGNORECASE)


def report_csp(html: str) -> str:
    """The policy a stored review is served with: its own inline scripts (by hash) only, in a
    sandbox without the dashboard's origin, no network."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    ]
    script = " ".join(hashes) if hashes else "'none'"
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {script}",
            "style-src 'unsafe-inline'",
            "img-src data: blob:",
            "font-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox allow-downloads",
        ]
    )


@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    """Weekly reviews: stored ones to view or download, weeks with data not generated yet."""
    state = page_state(request)
    rows = report_rows()
    if _wants_csv(request):
        return csv_response(
            "weekly_reports.csv",
            ["week", "start", "end", "generated", "as_of", "complete", "posted_to_slack",
             "leads", "assignment_success_rate", "failed", "url"],
            [[r.week, r.start, r.end, r.report.generated_at if r.report else "",
              r.report.as_of if r.report else "",
              r.report.complete if r.report else "",
              r.report.posted_at if r.report else "", r.leads, r.success_rate, r.failed,
              request.build_absolute_uri(reverse("report", args=[r.week])) if r.report else ""]
             for r in rows],
        )
    context = {
        "has_data": has_leads(),
        "rows": rows,
        "stored": sum(1 for r in rows if r.report),
        "csv_qs": "?format=csv",
    }
    return render_page(request, "dashboards/reports.html", state, page="reports",
                       context=context)


def _stored_report(week: str) -> WeeklyReport:
    report = WeeklyReport.objects.filter(week=week).first()
    if report is None:
        raise Http404("no weekly review stored for this week")
    return report


@require_GET
def report(request: HttpRequest, week: str) -> HttpResponse:
    """One stored weekly review, as the self-contained HTML file it is."""
    html = _stored_report(week).html
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = report_csp(html)
    return response


@require_GET
def report_download(request: HttpRequest, week: str) -> HttpResponse:
    stored = _stored_report(week)
    response = HttpResponse(stored.html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="weekly-{stored.week}.html"'
    response["Content-Security-Policy"] = report_csp(stored.html)
    return response


# ---- Health: notification problems as CSV ------------------------------------------------------


@require_GET
def notification_problems_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The Health page's notification problems (spec section 6) as CSV."""
    problems = notification_problems()
    return csv_response(
        "notification_problems.csv",
        ["kind", "error", "at", "notification_id", "incident_id", "rule", "region", "tier",
         "notification_kind", "attempts", "next_attempt_at"],
        [[p.kind, p.error, p.at, p.notification_id or "", p.incident_id or "", p.rule,
          p.region, p.tier, p.notification_kind, p.attempts, p.next_attempt_at or ""]
         for p in problems],
    )

