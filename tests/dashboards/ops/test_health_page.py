"""The Health page: sync runs, API usage and watermarks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards.ops.health import HEALTH_RUNS, api_usage_level
from routing_health.models import SyncState

pytestmark = pytest.mark.django_db


def test_health_lists_the_latest_50_sync_runs_newest_first(signed_in, make_run):
    now = timezone.now()
    for minutes in range(HEALTH_RUNS + 5):
        make_run(finished_at=now - timedelta(minutes=minutes), object_name=f"Obj{minutes}")
    runs = signed_in.get("/health").context["runs"]
    assert len(runs) == HEALTH_RUNS
    assert runs[0].object_name == "Obj0"


def test_health_shows_a_run_error_status_rows_and_api_usage(signed_in, make_run):
    make_run(
        status="failed",
        error="REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.",
        rows_upserted=1200,
        rows_skipped=3,
        api_usage_used=14500,
        api_usage_max=15000,
    )
    body = signed_in.get("/health").content.decode()
    assert "REQUEST_LIMIT_EXCEEDED" in body
    assert "Failed" in body and "■" in body
    assert "14,500 / 15,000" in body
    assert "1,200" in body
    assert "Over the sync limit" in body


def test_health_draws_api_usage_through_json_script(signed_in, make_run):
    make_run(api_usage_used=300, api_usage_max=15000)
    body = signed_in.get("/health").content.decode()
    assert '<script id="chart-api-usage" type="application/json">' in body
    assert 'data-chart="chart-api-usage"' in body
    assert "vendor/plotly.min.js" in body


def test_health_shows_each_objects_watermark(signed_in):
    SyncState.objects.create(
        object_name="LeadHistory", watermark=timezone.now(), last_success_at=timezone.now()
    )
    body = signed_in.get("/health").content.decode()
    assert "LeadHistory" in body


def test_health_without_runs_says_so(signed_in):
    assert "No sync has run yet" in signed_in.get("/health").content.decode()


@pytest.mark.parametrize(
    ("share", "level"), [(None, "neutral"), (0.1, "ok"), (0.45, "warn"), (0.5, "breach")]
)
def test_api_usage_is_graded_against_the_sync_stop_share(share, level):
    assert api_usage_level(share, 0.5)[0] == level


def test_health_shows_the_last_runs_warning_once(signed_in, make_run):
    warning = (
        "API usage read from the Sforce-Limit-Info header: "
        "/limits needs View Setup and Configuration"
    )
    now = timezone.now()
    for minutes, name in enumerate(("Event", "Task", "Lead")):
        make_run(finished_at=now - timedelta(minutes=minutes), object_name=name, warning=warning)
    body = signed_in.get("/health").content.decode()
    assert body.count(warning) == 1
