"""Sign-in: Django's LoginView behind the login throttle; the admin signs in through it too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dashboards import throttle

MSG_NOT_STAFF = "Your account cannot use the admin site."


class LoginView(auth_views.LoginView):
    """Refuses a POST with HTTP 429 while its username + address pair is throttled.

    ``next`` is checked by Django (``url_has_allowed_host_and_scheme``): an off-site target
    falls back to ``LOGIN_REDIRECT_URL``.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))
        current = throttle.state(username, throttle.client_address(request))
        if not current.locked:
            return super().post(request, *args, **kwargs)
        form = self.get_form_class()(request, initial={"username": username})
        context = self.get_context_data(
            form=form, throttled_message=throttle.throttled_message(current.retry_after_seconds)
        )
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(current.retry_after_seconds)
        return response


@login_not_required
def admin_login(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``: one sign-in page (the throttled one) for the dashboard and the admin."""
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    target = target or reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(target, reverse("login"))
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied(MSG_NOT_STAFF)
    return HttpResponseRedirect(target)
