"""Request-wide security: who may reach a view, and the headers every response carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

API_PREFIX = "/api/"
MSG_API_LOGIN_REQUIRED = (
    "authentication required: sign in, or send 'Authorization: Bearer <token>'"
)

# Self only. The chart data blocks are <script type="application/json">, which browsers never
# execute, so script-src needs no hash or nonce for them. plotly.js's one stylesheet is served
# as a file (static/vendor/plotly.css) so style-src needs no 'unsafe-inline' either; data: and
# blob: images are plotly's "download as PNG".
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Only features Chromium recognises: an unknown one is logged as a console error.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else ``None``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's login-required default, with API semantics under ``/api/``.

    An anonymous API request gets 401 with a JSON body instead of a redirect to a login page a
    script cannot use. One that carries a Bearer token is let through: the API view checks the
    token itself (``dashboards.api``), so every API view must authenticate its requests.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponseBase | None:
        if is_api_request(request) and bearer_token(request) is not None:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(
        self, request: HttpRequest, view_func: Callable[..., Any]
    ) -> HttpResponseBase:
        if is_api_request(request):
            response = JsonResponse({"error": MSG_API_LOGIN_REQUIRED}, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="routing-health"'
            return response
        return super().handle_no_permission(request, view_func)


class SecurityHeadersMiddleware:
    """Adds the headers Django's SecurityMiddleware does not: CSP and Permissions-Policy.

    (Referrer-Policy, X-Content-Type-Options, HSTS and Cross-Origin-Opener-Policy come from
    SecurityMiddleware, X-Frame-Options from XFrameOptionsMiddleware.) A view may set its own
    Content-Security-Policy; it is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
