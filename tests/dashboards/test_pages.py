"""Every page renders for a signed-in user, with the shell: nav, freshness line, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PAGES = ["overview", "trends", "segments", "queues", "failures", "reps", "leads",
         "alerts", "reports", "health"]
FILTERED_PAGES = ["overview", "trends", "segments", "queues", "failures", "reps", "leads"]
EMPTY_STATE = "No data yet"


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_for_a_signed_in_user(signed_in, name):
    response = signed_in.get(reverse(name))
    assert response.status_code == 200
    assert response.context["filters"] is not None


@pytest.mark.parametrize("name", [p for p in PAGES if p != "health"])
def test_each_page_shows_the_empty_state_before_the_first_sync(signed_in, name):
    body = signed_in.get(reverse(name)).content.decode()
    assert EMPTY_STATE in body
    assert "manage.py sync_salesforce" in body and "compute_metrics" in body


@pytest.mark.parametrize("name", [p for p in PAGES if p not in ("health", "leads")])
def test_each_metric_page_says_what_it_will_show_once_there_is_data(signed_in, make_lead, name):
    make_lead()
    body = signed_in.get(reverse(name)).content.decode()
    assert EMPTY_STATE not in body
    assert "This page will show" in body


@pytest.mark.parametrize("name", FILTERED_PAGES)
def test_filtered_pages_have_the_filter_bar_as_a_get_form(signed_in, name):
    body = signed_in.get(reverse(name), {"region": "EMEA"}).content.decode()
    form = body[body.index('class="filterbar__form"') :]
    assert 'method="get"' in form[:200]
    for field in ("start", "end", "region", "tier", "source"):
        assert f'name="{field}"' in form
    assert "Region: EMEA" in body


def test_the_navigation_lists_every_page_and_keeps_the_filters(signed_in):
    body = signed_in.get("/trends", {"region": "EMEA"}).content.decode()
    for label in ("Overview", "Trends", "Segments", "Queues", "Failures", "Reps", "Alerts",
                  "Reports", "Health"):
        assert f">{label}</a>" in body
    assert 'href="/queues?region=EMEA"' in body
    assert 'aria-current="page"' in body


def test_the_freshness_line_shows_the_last_sync_in_the_report_timezone(
    signed_in, make_run, routing_config
):
    routing_config.write_text('[report]\ntimezone = "America/New_York"\n')
    make_run(finished_at=timezone.now() - timedelta(minutes=5))
    body = signed_in.get("/").content.decode()
    assert "Data as of" in body
    assert ("EST" in body) or ("EDT" in body)
    assert "5 minutes ago" in body
    assert "● Fresh" in body.replace('<span aria-hidden="true">●</span> ', "● ")


def test_the_freshness_line_warns_when_the_data_is_over_30_minutes_old(signed_in, make_run):
    make_run(finished_at=timezone.now() - timedelta(minutes=45))
    body = signed_in.get("/").content.decode()
    assert "freshness--warn" in body
    assert "Stale" in body and "▲" in body


def test_the_freshness_line_alarms_when_the_last_run_failed(signed_in, make_run):
    make_run(finished_at=timezone.now() - timedelta(minutes=10))
    make_run(status="failed", error="REQUEST_LIMIT_EXCEEDED")
    body = signed_in.get("/").content.decode()
    assert "freshness--breach" in body
    assert "Last sync failed" in body and "■" in body
    assert "REQUEST_LIMIT_EXCEEDED" in body


def test_the_freshness_line_says_when_nothing_was_ever_synced(signed_in):
    body = signed_in.get("/").content.decode()
    assert "Never synced" in body


def test_a_missing_routing_configuration_shows_a_banner_and_uses_utc(signed_in, settings, tmp_path):
    settings.ROUTING_HEALTH_CONFIG = str(tmp_path / "missing.toml")
    body = signed_in.get("/").content.decode()
    assert "banner--warn" in body
    assert "times are shown in UTC" in body
    assert "Times in UTC" in body


def test_a_valid_routing_configuration_shows_no_banner(signed_in):
    assert "banner--warn" not in signed_in.get("/").content.decode()


def test_bad_filter_values_are_explained_not_fatal(signed_in):
    response = signed_in.get("/", {"start": "not-a-date"})
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()


def test_the_overview_links_its_lead_count_to_the_leads_behind_it(signed_in, make_lead):
    make_lead(region="EMEA")
    make_lead(region="AMER")
    body = signed_in.get("/", {"region": "EMEA"}).content.decode()
    assert 'href="/leads?region=EMEA"' in body


def test_an_unknown_page_is_a_styled_404(signed_in):
    response = signed_in.get("/nowhere")
    assert response.status_code == 404
    assert b"Page not found" in response.content
