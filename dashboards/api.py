"""The metrics API (spec section 7): the same document as ``manage.py export_metrics``.

Authenticated by the session or ``Authorization: Bearer <token>``; an anonymous request gets
401 with a JSON body. A bad parameter is a 400 naming it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from routing_health.config import ConfigError
from routing_health.models.tokens import authenticate_token
from routing_health.reports.export import (
    ExportError,
    compute_export,
    parse_request,
    to_csv,
    to_json,
)
from routing_health.salesforce import runtime

ALLOWED_PARAMETERS = {"start", "end", "by", "as_of"}


def _authorised(request: HttpRequest) -> bool:
    if request.user.is_authenticated:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and authenticate_token(token.strip()) is not None


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _export(request: HttpRequest, fmt: str) -> HttpResponse:
    if not _authorised(request):
        response = _error(401, "authentication required: log in or send a Bearer API token")
        response["WWW-Authenticate"] = 'Bearer realm="routing-health"'
        return response
    unknown = sorted(set(request.GET) - ALLOWED_PARAMETERS)
    if unknown:
        return _error(
            400, f"unknown parameter(s): {', '.join(unknown)}; use start, end, by, as_of"
        )
    try:
        config = runtime.routing_config()
        export = parse_request(
            config,
            start=request.GET.get("start"),
            end=request.GET.get("end"),
            by=request.GET.get("by"),
            as_of=request.GET.get("as_of"),
        )
        document = compute_export(config, export)
    except ExportError as exc:
        return _error(400, str(exc))
    except ConfigError as exc:
        return _error(500, f"the routing configuration is invalid: {exc}")
    if fmt == "csv":
        response = HttpResponse(to_csv(document), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="routing-metrics.csv"'
        return response
    return HttpResponse(to_json(document), content_type="application/json")


@require_GET
@login_not_required  # the view answers 401 itself, with a JSON body
def metrics_json(request: HttpRequest) -> HttpResponse:
    return _export(request, "json")


@require_GET
@login_not_required
def metrics_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")
