from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from routing_health.selectors import sync_freshness


@require_GET
@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    """Public liveness and data-freshness probe."""
    return JsonResponse(sync_freshness())


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/overview.html", {"freshness": sync_freshness()})
