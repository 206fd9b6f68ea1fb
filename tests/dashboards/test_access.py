"""Who may reach what: every URL needs a signed-in user, except a short public list; API URLs
answer 401 JSON instead of redirecting."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve, reverse

from dashboards.middleware import LoginRequiredMiddleware
from tests.dashboards.urlwalk import walk

pytestmark = pytest.mark.django_db

PUBLIC = {"healthz", "login"}
# Called by Slack, which cannot sign in: POST only, authenticated by Slack's request signature
# (tests/dashboards/ops/test_slack_interactions.py); an anonymous GET is refused with 405.
SIGNED_BY_SLACK = {"slack-interactions"}
# /admin/login/ (shadowing the admin's own login view) → the one, throttled, sign-in page.
REDIRECTS_TO_LOGIN_ITSELF = {"admin-login-redirect", "admin:login"}
URLS = list(walk())


def test_the_url_walk_finds_every_dashboard_page():
    names = {url.name for url in URLS}
    expected = {
        "overview", "trends", "segments", "queues", "failures", "reps", "leads",
        "lead-timeline", "alerts", "reports", "health", "healthz", "login", "logout",
    }
    assert expected <= names
    assert any(url.path.startswith("/api/") for url in URLS)
    assert any(name.startswith("admin:") for name in names)


@pytest.mark.parametrize("url", URLS, ids=[f"{u.name} {u.path}" for u in URLS])
def test_every_url_answers_an_anonymous_get_with_login_401_or_a_public_page(url):
    assert resolve(urlsplit(url.path).path) is not None, "the walker built a path that resolves"
    response = Client().get(url.path)

    if url.name in PUBLIC:
        assert response.status_code == 200
    elif url.name in SIGNED_BY_SLACK:
        assert response.status_code == 405
        assert response["Allow"] == "POST"
    elif url.name in REDIRECTS_TO_LOGIN_ITSELF:
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == reverse("login")
    elif url.path.startswith("/api/"):
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]
    else:
        assert response.status_code == 302, f"{url.path} answered {response.status_code}"
        location = urlsplit(response["Location"])
        if location.path == "/admin/login/":  # the admin's own redirect, then ours
            response = Client().get(response["Location"])
            assert response.status_code == 302
            location = urlsplit(response["Location"])
        assert location.path == reverse("login")
        assert parse_qs(location.query)["next"] == [url.path]


def test_the_admin_login_url_leads_to_the_throttled_sign_in_page():
    assert resolve("/admin/login/").url_name == "admin-login-redirect"
    response = Client().get("/admin/login/?next=/admin/auth/user/")
    assert response["Location"] == "/accounts/login/?next=/admin/auth/user/"


def test_the_admin_login_redirect_refuses_an_off_site_next():
    response = Client().get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_static_files_are_served_to_anonymous_users(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200


def _request_through_middleware(path: str, **headers: str) -> HttpResponse | None:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(path, headers=headers)
    request.user = AnonymousUser()

    def view(request):  # a view that requires login (the default)
        return HttpResponse("reached")

    middleware = LoginRequiredMiddleware(lambda r: HttpResponse())
    return middleware.process_view(request, view, (), {})


def test_an_anonymous_api_request_without_credentials_gets_401_json():
    response = _request_through_middleware("/api/v1/anything")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "error" in json.loads(response.content)


def test_an_api_request_with_a_bearer_token_reaches_the_view_to_check_it():
    assert _request_through_middleware("/api/v1/anything", Authorization="Bearer abc") is None


def test_a_bearer_token_does_not_open_a_page_outside_the_api():
    response = _request_through_middleware("/leads", Authorization="Bearer abc")
    assert response.status_code == 302


def test_an_empty_bearer_header_is_no_credential():
    response = _request_through_middleware("/api/v1/anything", Authorization="Bearer ")
    assert response.status_code == 401


def test_the_login_required_middleware_is_djangos_subclassed():
    from django.conf import settings
    from django.contrib.auth.middleware import LoginRequiredMiddleware as Django

    assert issubclass(LoginRequiredMiddleware, Django)
    assert "dashboards.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" not in settings.MIDDLEWARE


def test_a_signed_in_staff_user_goes_from_the_admin_login_url_to_the_admin(
    client, django_user_model
):
    client.force_login(django_user_model.objects.create_user("root", is_staff=True))
    assert client.get("/admin/login/")["Location"] == "/admin/"


def test_a_signed_in_user_without_staff_rights_is_refused_the_admin(signed_in):
    response = signed_in.get("/admin/login/?next=/admin/")
    assert response.status_code == 403
    assert b"cannot use the admin" in response.content
