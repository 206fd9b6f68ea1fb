"""Dashboard pages. The metric pages are shells until the metrics land (see ``navigation``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from dashboards import charts
from dashboards.rendering import page_state, render_page
from routing_health.models import SyncRun, SyncState
from routing_health.rollups.freshness import sync_freshness

HEALTH_RUNS = 50


@require_GET
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Public liveness and data-freshness probe."""
    return JsonResponse(sync_freshness())


def api_usage_level(share: float | None, limit_share: float) -> tuple[str, str]:
    """Status of the org's daily API usage against the share at which a sync stops."""
    if share is None:
        return "neutral", "Unknown"
    if share >= limit_share:
        return "breach", "Over the sync limit"
    if share >= 0.8 * limit_share:
        return "warn", "Near the sync limit"
    return "ok", "OK"


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Sync runs, API usage and per-object watermarks."""
    state = page_state(request)
    runs = list(SyncRun.objects.order_by("-started_at", "-id")[:HEALTH_RUNS])
    limit_share = float(settings.SALESFORCE.get("max_api_share") or 0.5)
    latest_usage = next(
        (run for run in runs if run.api_usage_max and run.api_usage_used is not None), None
    )
    share = latest_usage.api_usage_used / latest_usage.api_usage_max if latest_usage else None
    level, label = api_usage_level(share, limit_share)
    context = {
        "runs": runs,
        # Every row of a run carries the run's warning; the newest row speaks for the last run.
        "run_warning": runs[0].warning if runs else "",
        "states": SyncState.objects.order_by("object_name"),
        "latest_usage": latest_usage,
        "latest_usage_share": share,
        "usage_level": level,
        "usage_label": label,
        "limit_share": limit_share,
        "usage_chart": (
            charts.api_usage_chart(runs, state.report.zone, limit_share=limit_share)
            if latest_usage
            else None
        ),
    }
    return render_page(request, "dashboards/health.html", state, page="health", context=context)
