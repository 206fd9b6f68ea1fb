"""Signing in and out: safe redirects, CSRF on both forms, and throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dashboards import throttle
from tests.dashboards.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _sign_in(client: Client, password: str, *, username: str = "ana", **extra: str):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_signing_in_redirects_to_an_on_site_next(client, user):
    response = _sign_in(client, PASSWORD, next="/leads?region=EMEA")
    assert response.status_code == 302
    assert response["Location"] == "/leads?region=EMEA"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "https:evil.example", "/\\evil.example"],
)
def test_an_off_site_next_is_refused_and_the_user_lands_on_the_overview(client, user, target):
    response = _sign_in(client, PASSWORD, next=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_login_form_carries_a_csrf_token(client):
    response = client.get(LOGIN)
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_a_login_post_without_a_csrf_token_is_rejected(user):
    client = Client(enforce_csrf_checks=True)
    response = _sign_in(client, PASSWORD)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_logout_post_without_a_csrf_token_is_rejected(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert client.get("/").status_code == 200, "still signed in"


def test_the_logout_form_on_every_page_posts_with_a_csrf_token(signed_in):
    body = signed_in.get("/").content.decode()
    form = body[body.index(f'action="{reverse("logout")}"') :]
    assert 'method="post"' in body
    assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]


def test_logging_out_ends_the_session_and_returns_to_the_login_page(signed_in):
    response = signed_in.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert signed_in.get("/").status_code == 302


def test_logout_by_get_is_not_allowed(signed_in):
    assert signed_in.get(reverse("logout")).status_code == 405


def test_sign_in_is_throttled_after_five_failures(client, user):
    for _ in range(5):
        assert _sign_in(client, "wrong").status_code == 200
    response = _sign_in(client, "wrong")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert int(response["Retry-After"]) > 0


def test_a_throttled_user_is_refused_even_with_the_right_password(client, user):
    for _ in range(5):
        _sign_in(client, "wrong")
    response = _sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_throttle_counts_per_username(client, user, django_user_model):
    django_user_model.objects.create_user("bo", password=PASSWORD)
    for _ in range(5):
        _sign_in(client, "wrong", username="ana")
    assert _sign_in(client, PASSWORD, username="bo").status_code == 302


def test_the_throttle_counts_per_client_address(user):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        _sign_in(attacker, "wrong")
    assert _sign_in(attacker, PASSWORD).status_code == 429
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.7"), PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_failure_count(client, user):
    for _ in range(4):
        _sign_in(client, "wrong")
    assert _sign_in(client, PASSWORD).status_code == 302
    assert throttle.state("ana", "127.0.0.1").failures == 0


def test_the_throttle_lifts_when_its_window_ends(client, user, settings):
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = 900
    with time_machine.travel(datetime(2026, 1, 5, 9, tzinfo=UTC), tick=False) as clock:
        for _ in range(5):
            _sign_in(client, "wrong")
        clock.shift(timedelta(seconds=899))
        assert throttle.state("ana", "127.0.0.1").locked
        clock.shift(timedelta(seconds=2))
        assert not throttle.state("ana", "127.0.0.1").locked
