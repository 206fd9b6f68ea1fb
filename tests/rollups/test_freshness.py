"""One freshness rule: ``/healthz``, the page banner and ``sync_stale`` agree on the same runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from routing_health.alerts.evaluate import evaluate_sync
from routing_health.config import parse_config
from routing_health.models import SyncRun
from routing_health.rollups.freshness import data_freshness, sync_status

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CONFIG = parse_config("")  # sync_stale at its spec default: 30 minutes


def run(name: str, minutes_ago: float, status: str, error: str = "") -> None:
    at = NOW - timedelta(minutes=minutes_ago)
    SyncRun.objects.create(
        object_name=name, started_at=at, finished_at=at, status=status, error=error
    )


def three_surfaces(client) -> tuple[str, str, bool]:
    """(banner state, /healthz freshness, whether sync_stale fires) at NOW."""
    with time_machine.travel(NOW, tick=False):
        banner = data_freshness().state
        healthz = client.get("/healthz").json()["freshness"]
    fires = evaluate_sync(sync_status(), CONFIG, NOW) is not None
    return banner, healthz, fires


@pytest.mark.django_db
def test_an_object_whose_last_run_failed_is_failed_on_every_surface_though_a_later_run_succeeded(
    client,
):
    run("Task", 10, SyncRun.Status.FAILED, "Task: Salesforce rejected query")
    run("Lead", 5, SyncRun.Status.SUCCEEDED)
    assert three_surfaces(client) == ("failed", "failed", True)
    assert data_freshness(now=NOW).last_run_error == "Task: Salesforce rejected query"


@pytest.mark.django_db
def test_a_success_exactly_thirty_minutes_old_is_fresh_on_every_surface(client):
    run("Lead", 30, SyncRun.Status.SUCCEEDED)
    assert three_surfaces(client) == ("ok", "ok", False)


@pytest.mark.django_db
def test_a_success_one_second_over_thirty_minutes_is_stale_on_every_surface(client):
    run("Lead", 30 + 1 / 60, SyncRun.Status.SUCCEEDED)
    assert three_surfaces(client) == ("stale", "stale", True)


@pytest.mark.django_db
def test_a_run_that_could_not_start_counts_only_until_a_later_success(client):
    run("Salesforce", 10, SyncRun.Status.FAILED, "login failed")
    run("Lead", 5, SyncRun.Status.SUCCEEDED)
    assert three_surfaces(client) == ("ok", "ok", False)
    run("Salesforce", 1, SyncRun.Status.FAILED, "REQUEST_LIMIT_EXCEEDED")
    assert three_surfaces(client) == ("failed", "failed", True)


@pytest.mark.django_db
def test_no_successful_sync_ever_is_never_synced_and_fires(client):
    assert three_surfaces(client) == ("never", "never", True)


@pytest.fixture
def sixty_minute_limit(settings, tmp_path):
    """A routing file whose sync_stale threshold is 60 minutes, as the process's configuration."""
    path = tmp_path / "routing.toml"
    path.write_text("[alerts.rules.sync_stale]\nthreshold = 60\n", encoding="utf-8")
    settings.ROUTING_HEALTH_CONFIG = str(path)
    return parse_config(path.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_a_configured_sync_stale_threshold_moves_the_limit_on_every_surface(
    client, sixty_minute_limit
):
    run("Lead", 45, SyncRun.Status.SUCCEEDED)  # stale at the default 30, fresh at 60
    with time_machine.travel(NOW, tick=False):
        banner = data_freshness().state
        healthz = client.get("/healthz").json()
    assert (banner, healthz["freshness"], healthz["stale_after_minutes"]) == ("ok", "ok", 60)
    assert evaluate_sync(sync_status(), sixty_minute_limit, NOW) is None

    run("Lead", 61, SyncRun.Status.SUCCEEDED)
    SyncRun.objects.filter(finished_at__gt=NOW - timedelta(minutes=50)).delete()
    with time_machine.travel(NOW, tick=False):
        fresh = data_freshness()
        healthz = client.get("/healthz").json()
    assert (fresh.state, healthz["freshness"]) == ("stale", "stale")
    assert evaluate_sync(sync_status(), sixty_minute_limit, NOW) is not None
    assert fresh.stale_words == "No successful sync for over 1 h"


@pytest.mark.django_db
def test_the_banner_names_the_default_limit_in_the_one_duration_format():
    run("Lead", 31, SyncRun.Status.SUCCEEDED)
    fresh = data_freshness(now=NOW, stale_after=timedelta(minutes=30))
    assert fresh.state == "stale"
    assert fresh.stale_words == "No successful sync for over 30 min"
