"""Security headers on pages, the login page and API errors."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["/", "/leads", "/health", "/accounts/login/", "/api/v1/metrics"])
def response(request, signed_in):
    client = signed_in if request.param in ("/", "/leads", "/health") else Client()
    return client.get(request.param)


def test_every_response_has_a_self_only_content_security_policy(response):
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_every_response_forbids_framing_and_sniffing(response):
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_every_response_sets_a_referrer_and_a_permissions_policy(response):
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_pages_have_no_inline_script_or_style(signed_in, make_lead, make_run):
    make_lead()
    make_run(api_usage_used=100, api_usage_max=1000)
    for path in ("/", "/leads", "/health", "/accounts/login/"):
        body = signed_in.get(path).content.decode()
        assert "<style" not in body
        assert " style=" not in body
        assert " on" + "click=" not in body
        for chunk in body.split("<script")[1:]:
            tag = chunk[: chunk.index(">")]
            assert 'type="application/json"' in tag or "src=" in tag, tag


def test_hsts_and_secure_cookies_are_on_in_production_settings():
    import subprocess
    import sys

    from tests.dashboards.test_deploy_check import production_env

    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=production_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True"]
