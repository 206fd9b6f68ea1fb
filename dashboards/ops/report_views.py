"""The Reports page: stored weekly reviews, shown under a strict CSP, and their downloads.
"""

from __future__ import annotations

import base64
import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboards.csv_export import csv_response
from dashboards.leads.queries import has_leads
from dashboards.ops.alerts import (
    report_rows,
)
from dashboards.ops.views import _INLINE_SCRIPT, _wants_csv
from dashboards.rendering import page_state, render_page
from routing_health.models import FairnessReview, WeeklyReport


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
        "stored": sum(1 for r in rows if r.report) + FairnessReview.objects.count(),
        "csv_qs": "?format=csv",
        "fairness_reviews": _fairness_reviews(),
    }
    return render_page(request, "dashboards/reports.html", state, page="reports",
                       context=context)


def _fairness_reviews() -> list[dict[str, object]]:
    """The stored monthly fairness reviews, newest first, with their headline counts."""
    reviews = []
    for review in FairnessReview.objects.defer("html_gzip"):
        summary = review.summary or {}
        pools = summary.get("pools", [])
        reviews.append({
            "month": review.month, "start": review.start, "end": review.end,
            "generated_at": review.generated_at, "complete": review.complete,
            "pools": len(pools), "flagged": sum(1 for p in pools if p.get("flagged")),
            "unavailable": sum(c.get("leads_to_inactive_rep", 0)
                               + c.get("leads_to_out_of_office_rep", 0)
                               for c in summary.get("capacity", [])),
        })
    return reviews


@require_GET
def fairness_report(request: HttpRequest, month: str) -> HttpResponse:
    """One stored fairness review, as the self-contained HTML file it is."""
    review = FairnessReview.objects.filter(month=month).first()
    if review is None:
        raise Http404("no fairness review stored for this month")
    html = review.html
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = report_csp(html)
    return response


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
