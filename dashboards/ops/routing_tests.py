"""The Routing tests page: stored routing test pack runs, a run's cases, a case's leads.

A test lead links to its lead timeline when the sync has it (the pack ran against the watched
org), else to the lead in the org the pack ran against (usually a sandbox; a deleted lead's
page there says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboards.csv_export import csv_response
from dashboards.ops.views import _wants_csv
from dashboards.rendering import page_state, render_page
from routing_health.lib.sfid import is_sf_id
from routing_health.models import Lead, RoutingTestCase, RoutingTestLead, RoutingTestRun

PAGE = "routing-tests"
RUNS_SHOWN = 200


@dataclass(frozen=True)
class LeadRow:
    lead: RoutingTestLead
    timeline_url: str | None
    salesforce_url: str | None


def org_lead_url(instance_url: str, lead_id: str) -> str | None:
    """``https://<instance>/lightning/r/Lead/<Id>/view`` in the org the pack ran against."""
    parts = urlsplit(instance_url or "")
    if parts.scheme not in ("https", "http") or not parts.netloc or not is_sf_id(lead_id):
        return None
    return f"{parts.scheme}://{parts.netloc}/lightning/r/Lead/{lead_id}/view"


@require_GET
def routing_tests(request: HttpRequest) -> HttpResponse:
    """Every stored run, newest first."""
    runs = list(RoutingTestRun.objects.all()[:RUNS_SHOWN])
    counts = {
        row["run"]: row
        for row in _case_counts(runs)
    }
    if _wants_csv(request):
        return csv_response(
            "routing_test_runs.csv",
            ["run_id", "pack", "status", "started_at", "finished_at", "connection",
             "instance_url", "created_leads", "kept_leads", "cases", "cases_passed",
             "leads_inserted", "leads_deleted", "error"],
            [[r.run_id, r.pack_name, r.status, r.started_at, r.finished_at, r.connection,
              r.instance_url, r.created_leads, r.kept_leads,
              counts.get(r.pk, {}).get("total", 0), counts.get(r.pk, {}).get("passed", 0),
              r.leads_inserted, r.leads_deleted, r.error] for r in runs],
        )
    rows = [(run, counts.get(run.pk, {"total": 0, "passed": 0})) for run in runs]
    return render_page(request, "dashboards/routing_tests.html", page_state(request),
                       page=PAGE, context={"rows": rows, "csv_qs": "?format=csv"})


def _case_counts(runs: list[RoutingTestRun]) -> list[dict]:
    from django.db.models import Count, Q

    return list(
        RoutingTestCase.objects.filter(run__in=runs).values("run")
        .annotate(total=Count("id"), passed=Count("id", filter=Q(passed=True)))
    )


@require_GET
def routing_test_run(request: HttpRequest, run_pk: int) -> HttpResponse:
    """One run: its cases, each linked to its leads."""
    run = get_object_or_404(RoutingTestRun, pk=run_pk)
    cases = list(run.cases.all())
    if _wants_csv(request):
        return csv_response(
            f"routing_test_{run.run_id}.csv",
            ["case", "expected", "actual", "leads", "leads_as_expected", "timed_out",
             "seconds_to_route", "sla_seconds", "passed", "failed_node"],
            [[c.name, c.expected, c.actual, c.leads, c.passed_leads, c.timed_out,
              c.seconds_to_route, c.sla_seconds, c.passed, c.failed_node] for c in cases],
        )
    history = RoutingTestRun.objects.filter(pack_name=run.pack_name).exclude(pk=run.pk)[:10]
    return render_page(request, "dashboards/routing_test_run.html", page_state(request),
                       page=PAGE, context={"run": run, "cases": cases, "history": history,
                                           "csv_qs": "?format=csv"})


@require_GET
def routing_test_case(request: HttpRequest, run_pk: int, position: int) -> HttpResponse:
    """One case's leads: outcome, owner, time to route, and where to look at each."""
    case = get_object_or_404(RoutingTestCase.objects.select_related("run"), run_id=run_pk,
                             position=position)
    leads = list(case.leads_of.all())
    synced = set(
        Lead.objects.filter(id__in=[lead.salesforce_id for lead in leads])
        .values_list("id", flat=True)
    )
    rows = [
        LeadRow(
            lead=lead,
            timeline_url=(reverse("lead-timeline", args=[lead.salesforce_id])
                          if lead.salesforce_id in synced else None),
            salesforce_url=org_lead_url(case.run.instance_url, lead.salesforce_id),
        )
        for lead in leads
    ]
    if _wants_csv(request):
        return csv_response(
            f"routing_test_{case.run.run_id}_{case.name}.csv",
            ["lead_id", "created_at", "routed_at", "routed_owner_id", "routed_owner",
             "outcome", "failure_reason", "seconds_to_route", "passed", "url"],
            [[r.lead.salesforce_id, r.lead.created_at, r.lead.routed_at,
              r.lead.routed_owner_id, r.lead.routed_owner_name, r.lead.outcome,
              r.lead.failure_reason, r.lead.seconds_to_route, r.lead.passed,
              request.build_absolute_uri(r.timeline_url) if r.timeline_url
              else r.salesforce_url] for r in rows],
        )
    return render_page(request, "dashboards/routing_test_case.html", page_state(request),
                       page=PAGE, context={"case": case, "run": case.run, "rows": rows,
                                           "csv_qs": "?format=csv"})
