"""The Routing tests page: runs, a run's cases, a case's leads linked to where to look."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from routing_health.lib.sfid import to_18
from routing_health.models import RoutingTestCase, RoutingTestLead, RoutingTestRun

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SANDBOX = "https://acme--uat.sandbox.my.salesforce.com"


def _run(run_id: str = "rt-1", *, minutes: int = 0, status: str = "failed") -> RoutingTestRun:
    return RoutingTestRun.objects.create(
        run_id=run_id, pack_name="runbook-edge-cases", connection="sandbox",
        instance_url=SANDBOX, created_leads=True, is_sandbox=True, status=status,
        started_at=STARTED + timedelta(minutes=minutes),
        finished_at=STARTED + timedelta(minutes=minutes, seconds=8), leads_inserted=2,
        leads_deleted=2)


def _case(run: RoutingTestRun, position: int, name: str, *, passed: bool) -> RoutingTestCase:
    return RoutingTestCase.objects.create(
        run=run, position=position, name=name, expected="owner Ruby Sharma",
        actual="owner Ruby Sharma" if passed else "failed: Decision: Assign by Territory",
        leads=1, passed_leads=int(passed), seconds_to_route=5.0 if passed else None,
        failed_node="" if passed else "Decision: Assign by Territory", passed=passed)


def _lead(case: RoutingTestCase, n: int, *, passed: bool) -> RoutingTestLead:
    return RoutingTestLead.objects.create(
        case=case, salesforce_id=to_18(f"00Q{n:012d}"), created_at=STARTED,
        routed_at=STARTED + timedelta(seconds=5) if passed else None,
        routed_owner_name="Ruby Sharma" if passed else "", outcome="succeeded" if passed
        else "failed", failure_reason="" if passed else "Decision: Assign by Territory",
        seconds_to_route=5.0 if passed else None, passed=passed)


def test_the_page_lists_runs_newest_first_with_their_cases_passed(signed_in):
    older = _run("rt-older", status="passed")
    _case(older, 0, "hot_full_data", passed=True)
    newer = _run("rt-newer", minutes=30)
    _case(newer, 0, "hot_full_data", passed=True)
    _case(newer, 1, "emea_territory", passed=False)

    body = signed_in.get(reverse("routing-tests")).content.decode()

    assert body.index("rt-newer") < body.index("rt-older")
    assert "1 of 2" in body and "1 of 1" in body
    assert reverse("routing-test-run", args=[newer.pk]) in body


def test_a_run_shows_each_case_with_expected_actual_result_and_failed_node(signed_in):
    run = _run()
    _case(run, 0, "hot_full_data", passed=True)
    _case(run, 1, "emea_territory", passed=False)

    body = signed_in.get(reverse("routing-test-run", args=[run.pk])).content.decode()

    assert "failed: Decision: Assign by Territory" in body
    assert body.count("Decision: Assign by Territory") == 2  # actual + failed node column
    assert "5 s" in body  # the passing case's time to route
    assert reverse("routing-test-case", args=[run.pk, 1]) in body


def test_a_case_links_a_synced_lead_to_its_timeline_and_another_to_the_sandbox(
        signed_in, make_lead):
    run = _run()
    case = _case(run, 0, "hot_full_data", passed=True)
    synced = _lead(case, 1, passed=True)
    make_lead(id=synced.salesforce_id)
    elsewhere = _lead(case, 2, passed=True)

    body = signed_in.get(reverse("routing-test-case", args=[run.pk, 0])).content.decode()

    assert f'href="{reverse("lead-timeline", args=[synced.salesforce_id])}"' in body
    assert f'href="{SANDBOX}/lightning/r/Lead/{elsewhere.salesforce_id}/view"' in body


def test_the_runs_export_as_csv(signed_in):
    run = _run()
    _case(run, 0, "emea_territory", passed=False)

    response = signed_in.get(reverse("routing-tests"), {"format": "csv"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["run_id"], r["status"], r["cases"], r["cases_passed"]) for r in rows] == [
        ("rt-1", "failed", "1", "0")]


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    run = _run()
    response = client.get(reverse("routing-test-run", args=[run.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_navigation_links_the_routing_tests_page(signed_in):
    body = signed_in.get(reverse("overview")).content.decode()
    assert ">Routing tests</a>" in body
    assert f'href="{reverse("routing-tests")}' in body
