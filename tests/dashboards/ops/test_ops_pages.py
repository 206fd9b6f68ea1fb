"""The operational pages on the synced demo org: Queues, Failures, Reps, Lead timeline, Alerts
(with snooze), Reports and the Health page's notification panel.

The demo org (``tests/conftest.py`` ``synced_org``) carries an EMEA hot-lead routing incident, an
APAC queue backlog and an inactive rep still receiving leads; ``ops_org`` computes its metrics and
evaluates the alert rules as of ``NOW``.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboards.ops import views as ops_views
from dashboards.ops.alerts import MSG_SNOOZE_PAST, SnoozeError, parse_snooze
from dashboards.ops.queries import age_buckets
from dashboards.ops.report_views import report_csp
from routing_health.alerts.delivery import destination_key
from routing_health.alerts.service import run_evaluation
from routing_health.models import (
    Activity,
    AlertIncident,
    IncidentEvent,
    LeadFact,
    Notification,
    NotificationAttempt,
    OwnerChange,
    Queue,
    SalesforceUser,
    WeeklyReport,
)
from routing_health.reports.render import render_weekly_html
from routing_health.reports.store import save_weekly_report
from routing_health.reports.weekly import build_weekly_report
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from routing_health.slack.transport import SlackTransport
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

INSTANCE = "https://acme.my.salesforce.com"
# The demo org's 21 days of leads, as local days of its report timezone (America/New_York).
RANGE = {"start": "2026-10-30", "end": "2026-11-20"}
INCIDENT_NODE = "Decision: Assign by Territory"


@pytest.fixture
def ops_org(synced_org: Any, settings: Any) -> Any:
    settings.SALESFORCE = {**settings.SALESFORCE, "instance_url": INSTANCE}
    settings.SLACK_BOT_TOKEN = None
    settings.SLACK_CHANNEL = None
    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW)
    run_evaluation(config=config, as_of=NOW, transport=None)
    return synced_org


def body(response: Any) -> str:
    return response.content.decode()


def csv_rows(response: Any) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def failed_lead_ids(org: Any) -> list[str]:
    return sorted(org.facts["incident"]["failed_lead_ids"])


def failed_in_window(org: Any, hours: float = 24) -> list[str]:
    """The incident's failed leads created in the ``hours`` before NOW (a rule's window)."""
    leads = org.tables["Lead"].set_index("Id")
    created = leads.loc[failed_lead_ids(org), "CreatedDate"]
    return sorted(created[created > NOW - timedelta(hours=hours)].index)


# ---- Queues ------------------------------------------------------------------------------------


def test_the_queue_page_lists_the_apac_backlog_oldest_first(signed_in, ops_org):
    backlog = ops_org.facts["backlog"]
    response = signed_in.get("/queues", {"queue": backlog["queue_id"]})
    rows = response.context["rows"]
    entered = [row.entered_at for row in rows]
    assert entered == sorted(entered)
    over = [row.lead_id for row in rows if row.over_limit]
    assert set(backlog["lead_ids"]) <= set(over)
    assert rows[0].over_limit and rows[0].queue_name == backlog["queue_name"]
    page = body(response)
    assert "APAC Inbound" in page and "Over limit" in page and "■" in page


def test_the_queue_page_counts_queued_and_over_limit_leads_per_queue(signed_in, ops_org):
    snapshot = signed_in.get("/queues").context["snapshot"]
    assert snapshot.total == LeadFact.objects.filter(queued=True).count()
    over = {q.queue_id: q.over_limit for q in snapshot.queues}
    expected = {k: v for k, v in ops_org.facts["queued_over_limit_by_queue"].items() if v}
    assert {k: v for k, v in over.items() if v} == expected
    assert snapshot.over_limit == sum(expected.values())
    oldest = [q.oldest_entered_at for q in snapshot.queues]
    assert oldest == sorted(oldest), "the queue waiting longest comes first"


def test_each_queued_lead_links_to_its_timeline_and_to_salesforce(signed_in, ops_org):
    page = body(signed_in.get("/queues"))
    lead_id = ops_org.facts["backlog"]["lead_ids"][0]
    assert f'href="/leads/{lead_id}"' in page
    assert f'href="{INSTANCE}/lightning/r/Lead/{lead_id}/view"' in page


def test_the_queue_counts_link_to_exactly_the_queued_leads(signed_in, ops_org):
    backlog = ops_org.facts["backlog"]
    context = signed_in.get("/queues").context
    _, records, over, _ = next(
        link for link in context["queue_links"] if link[0].queue_id == backlog["queue_id"]
    )
    listed = signed_in.get(over).context["paginator"].object_list
    assert sorted(lead.id for lead in listed) == sorted(backlog["lead_ids"])
    queued = signed_in.get(records).context["paginator"].count
    assert queued == LeadFact.objects.filter(queue_owner=backlog["queue_id"], queued=True).count()


def test_the_queue_age_chart_shades_the_buckets_past_the_limit(signed_in, ops_org):
    context = signed_in.get("/queues").context
    chart = context["age_chart"]
    assert chart["layout"]["annotations"][0]["text"] == "■ over the 24 h limit"
    assert sum(sum(trace["y"]) for trace in chart["data"]) == context["snapshot"].total
    page = body(signed_in.get("/queues"))
    assert '<script id="chart-queue-age" type="application/json">' in page


def test_the_queue_csv_lists_every_queued_lead_oldest_first(signed_in, ops_org):
    response = signed_in.get("/queues", {"format": "csv"})
    assert response["Content-Type"] == "text/csv"
    rows = csv_rows(response)
    assert len(rows) == LeadFact.objects.filter(queued=True).count()
    assert [r["queue_entered_at"] for r in rows] == sorted(r["queue_entered_at"] for r in rows)
    backlog = set(ops_org.facts["backlog"]["lead_ids"])
    assert {r["lead_id"] for r in rows if r["over_limit"] == "true"} >= backlog
    per_queue = csv_rows(signed_in.get("/queues", {"format": "csv", "table": "queues"}))
    assert sum(int(r["queued"]) for r in per_queue) == len(rows)


def test_the_queue_page_narrows_to_an_explicit_creation_range(signed_in, ops_org):
    everything = signed_in.get("/queues").context["snapshot"].total
    recent = signed_in.get("/queues", {"start": "2026-11-19", "end": "2026-11-20"})
    expected = LeadFact.objects.filter(
        queued=True, created_day__gte="2026-11-19", created_day__lte="2026-11-20"
    ).count()
    assert recent.context["snapshot"].total == expected < everything


# ---- Failures ----------------------------------------------------------------------------------


def test_the_failures_page_names_the_incidents_failed_node(signed_in, ops_org):
    incident = ops_org.facts["incident"]
    response = signed_in.get("/failures", RANGE)
    reasons = {r.reason: r for r in response.context["summary"].reasons}
    assert reasons[INCIDENT_NODE].count == incident["failed_leads"]
    assert reasons[INCIDENT_NODE].regions == (("EMEA", incident["failed_leads"]),)
    assert reasons[INCIDENT_NODE].kind == "node"
    page = body(response)
    assert INCIDENT_NODE in page
    assert '<script id="chart-failure-reasons" type="application/json">' in page
    assert '<script id="chart-failures-per-day" type="application/json">' in page


def test_each_failure_reason_links_to_the_list_of_its_leads(signed_in, ops_org):
    context = signed_in.get("/failures", RANGE).context
    links = context["reason_links"]
    _, records, _ = next(link for link in links if link[0].reason == INCIDENT_NODE)
    assert query(records)["failure_reason"] == [INCIDENT_NODE]
    listed = signed_in.get(records).context["paginator"].object_list
    assert sorted(lead.id for lead in listed) == sorted(failed_lead_ids(ops_org))


def test_the_failed_leads_table_shows_reason_region_tier_and_routed_owner_name(signed_in, ops_org):
    rows = signed_in.get("/failures", RANGE).context["rows"]
    assert {row.reason for row in rows} >= {INCIDENT_NODE}
    incident_rows = [row for row in rows if row.reason == INCIDENT_NODE]
    assert {(row.region, row.tier) for row in incident_rows} == {("EMEA", "hot")}
    assert {row.routed_owner for row in incident_rows} == {"Lead Triage"}
    created = [row.created_at for row in rows]
    assert created == sorted(created, reverse=True)


def test_a_failure_reason_from_a_slack_link_narrows_the_page(signed_in, ops_org):
    response = signed_in.get("/failures", {**RANGE, "failure_reason": INCIDENT_NODE})
    assert {row.reason for row in response.context["rows"]} == {INCIDENT_NODE}
    assert response.context["summary"].shown_failed == ops_org.facts["incident"]["failed_leads"]
    assert "Show every failure reason" in body(response)


def test_the_failures_page_offers_failures_created_after_the_range(signed_in, ops_org):
    response = signed_in.get("/failures", {"start": "2026-11-01", "end": "2026-11-18"})
    later = LeadFact.objects.filter(outcome="failed", created_day__gt="2026-11-18").count()
    assert response.context["summary"].failed_after_range == later > 0
    assert query(response.context["include_today_qs"])["end"] == ["2026-11-20"]
    assert "Include them" in body(response)


def test_the_failures_csv_exports_the_failed_leads_and_the_reasons(signed_in, ops_org):
    rows = csv_rows(signed_in.get("/failures", {**RANGE, "format": "csv"}))
    failed = LeadFact.objects.filter(
        outcome="failed", created_day__gte=RANGE["start"], created_day__lte=RANGE["end"]
    )
    assert sorted(r["lead_id"] for r in rows) == sorted(failed.values_list("lead_id", flat=True))
    assert {r["routed_owner"] for r in rows if r["failure_reason"] == INCIDENT_NODE} == {
        "Lead Triage"
    }
    reasons = csv_rows(signed_in.get("/failures", {**RANGE, "format": "csv", "table": "reasons"}))
    assert sum(int(r["failed"]) for r in reasons) == len(rows)


# ---- Reps --------------------------------------------------------------------------------------


def _rep_row(response: Any, rep_id: str, region: str) -> Any:
    return next(r for r in response.context["rows"] if r.rep_id == rep_id and r.region == region)


def test_the_reps_page_flags_the_inactive_rep_still_receiving_leads(signed_in, ops_org):
    inactive = ops_org.facts["inactive_rep"]
    response = signed_in.get("/reps", RANGE)
    rows = [r for r in response.context["rows"] if r.rep_id == inactive["id"]]
    assert rows and all(not r.active for r in rows)
    assigned = LeadFact.objects.filter(first_rep=inactive["id"]).count()
    assert sum(r.assigned for r in rows) == assigned
    page = body(response)
    assert "Inactive, still receiving leads" in page
    assert f"<strong>{inactive['name']}</strong> is an inactive Salesforce user" in page
    active = [r for r in response.context["rows"] if r.rep_id != inactive["id"]]
    assert all(r.active for r in active)


def test_the_reps_numbers_equal_those_computed_from_the_facts(signed_in, ops_org):
    response = signed_in.get("/reps", RANGE)
    row = max(response.context["rows"], key=lambda r: r.assigned)
    facts = list(LeadFact.objects.filter(first_rep=row.rep_id, region=row.region))
    assert row.assigned == len(facts)
    base = [f for f in facts if not f.acceptance_pending]
    assert row.acceptance_rate == sum(f.accepted for f in facts) / len(base)
    assert row.bounce_rate == sum(f.bounced for f in facts) / len(facts)
    assert row.rejection_rate == sum(f.rejected for f in facts) / len(facts)
    touches = [f.first_touch_minutes for f in facts if f.first_touch_minutes is not None]
    assert row.first_touch_p50 == pytest.approx(float(np.percentile(touches, 50)))


def test_a_repeat_reps_view_reuses_the_rollup_numbers_until_the_next_compute(
    signed_in, ops_org
):
    def numbers(response: Any) -> list[tuple]:
        return [(r.region, r.rep_id, r.assigned, r.accepted, r.tta_p50, r.first_touch_p50)
                for r in response.context["rows"]]

    def reads_rollups(queries: CaptureQueriesContext) -> bool:
        return any("routing_health_reprollup" in q["sql"] for q in queries.captured_queries)

    first = numbers(signed_in.get("/reps", RANGE))
    assert any(n[4] is not None for n in first)
    with CaptureQueriesContext(connection) as again:
        assert numbers(signed_in.get("/reps", RANGE)) == first
    assert not reads_rollups(again)
    compute_metrics(config=runtime.routing_config(), as_of=NOW + timedelta(hours=1), full=True)
    with CaptureQueriesContext(connection) as recomputed:
        signed_in.get("/reps", RANGE)
    assert reads_rollups(recomputed)


@pytest.mark.parametrize("narrow", ["tier", "source", "both"])
def test_every_reps_numbers_equal_the_facts_under_a_tier_or_source_filter(
    signed_in, ops_org, narrow
):
    sample = LeadFact.objects.exclude(first_rep="").exclude(source="").order_by("lead_id")[0]
    wanted = {
        "tier": {"tier": sample.tier},
        "source": {"source": sample.source},
        "both": {"tier": sample.tier, "source": sample.source},
    }[narrow]
    rows = signed_in.get("/reps", {**RANGE, **wanted}).context["rows"]
    facts = LeadFact.objects.exclude(first_rep="").filter(
        created_day__gte=RANGE["start"], created_day__lte=RANGE["end"], **wanted
    )
    by_rep: dict[tuple[str, str], list[LeadFact]] = {}
    for fact in facts:
        by_rep.setdefault((fact.region, fact.first_rep), []).append(fact)
    assert rows
    assert {(r.region, r.rep_id) for r in rows} == set(by_rep)
    for row in rows:
        mine = by_rep[(row.region, row.rep_id)]
        assert row.assigned == len(mine)
        assert row.accepted == sum(f.accepted for f in mine)
        assert row.bounced == sum(f.bounced for f in mine)
        tta = [f.tta_minutes for f in mine if f.tta_minutes is not None]
        expected = float(np.percentile(tta, 50)) if tta else None
        assert row.tta_p50 == (pytest.approx(expected) if tta else None)


def test_each_region_lists_its_top_reps_and_counts_the_others(signed_in, ops_org, monkeypatch):
    monkeypatch.setattr(ops_views, "REPS_SHOWN", 2)
    response = signed_in.get("/reps", RANGE)
    every = signed_in.get("/reps", {**RANGE, "reps": "all"})
    for group, full in zip(response.context["groups"], every.context["groups"], strict=True):
        listed = [row for row, _links in group["rows"]]
        assert [r.rep_id for r in listed] == [r.rep_id for r, _ in full["rows"]][:2]
        assert group["hidden"] == len(full["rows"]) - len(listed) > 0
        assert all(r.first_touch_p50 is not None for r in listed if r.touched)
    page = body(response)
    assert "more reps with fewer assignments" in page and "reps=all" in page
    assert "more reps with fewer assignments" not in body(every)


def test_each_regions_rep_shares_add_up_to_one(signed_in, ops_org):
    rows = signed_in.get("/reps", RANGE).context["rows"]
    for region in {r.region for r in rows}:
        members = [r for r in rows if r.region == region]
        assert sum(r.share for r in members) == pytest.approx(1.0)
        assert all(r.equal_share == pytest.approx(1 / len(members)) for r in members)


def test_a_reps_counts_link_to_its_leads(signed_in, ops_org):
    response = signed_in.get("/reps", RANGE)
    row, links = next(pair for group in response.context["groups"] for pair in group["rows"])
    listed = signed_in.get(links["assigned"]).context["paginator"].count
    assert listed == row.assigned
    bounced = signed_in.get(links["bounced"]).context["paginator"].count
    assert bounced == row.bounced


def test_the_reps_csv_has_a_row_per_region_and_rep(signed_in, ops_org):
    rows = csv_rows(signed_in.get("/reps", {**RANGE, "format": "csv"}))
    inactive = ops_org.facts["inactive_rep"]["id"]
    assert {r["active"] for r in rows if r["rep_id"] == inactive} == {"false"}
    assigned = LeadFact.objects.exclude(first_rep="").count()
    assert sum(int(r["assigned"]) for r in rows) == assigned


# ---- Lead timeline -----------------------------------------------------------------------------


def _owner_sequence(lead_id: str) -> list[str]:
    changes = sorted(
        OwnerChange.objects.filter(lead_id=lead_id), key=lambda c: (c.created_at, c.id)
    )
    return [changes[0].old_owner_id, *(c.new_owner_id for c in changes)]


def _names() -> dict[str, str]:
    names = dict(SalesforceUser.objects.values_list("id", "name"))
    names.update(Queue.objects.values_list("id", "name"))
    return names


def test_the_timeline_of_a_bounced_lead_shows_each_owner(signed_in, ops_org):
    fact = LeadFact.objects.filter(bounced=True).order_by("lead_id").first()
    owners = _owner_sequence(fact.lead_id)
    response = signed_in.get(f"/leads/{fact.lead_id}")
    stints = response.context["journey"].stints
    assert [s.owner_id for s in stints] == owners
    assert len(stints) >= 3
    assert stints[0].owner_class == "holding"
    page = body(response)
    start = page.index('<ol class="journey">')
    journey = page[start : page.index("</ol>", start)]
    names = _names()
    positions = [journey.index(f'journey__name">{names[owner]}<') for owner in owners]
    assert positions == sorted(positions)
    assert "Bounce: owner changed within 7 d of the assignment" in page  # 168 h, one rule
    assert "First rep" in page and "Routing succeeded" in page


def test_the_timeline_of_a_failed_lead_names_the_node_and_the_fallback_owner(signed_in, ops_org):
    lead_id = ops_org.facts["incident"]["failed_lead_ids"][0]
    response = signed_in.get(f"/leads/{lead_id}")
    journey = response.context["journey"]
    assert journey.facts["outcome"] == "failed"
    assert journey.facts["failure_reason"] == INCIDENT_NODE
    assert any(s.owner_class == "fallback" for s in journey.stints)
    page = body(response)
    assert "Routing failed at “Decision: Assign by Territory”" in page
    assert "Routing&#x27;s first stop: a fallback owner" in page


def test_the_timeline_shows_the_sla_clocks_against_the_tier_targets(signed_in, ops_org):
    fact = LeadFact.objects.filter(tier="hot", tta_minutes__isnull=False).order_by("lead_id")[0]
    journey = signed_in.get(f"/leads/{fact.lead_id}").context["journey"]
    assign, touch = journey.clocks
    assert assign.target_minutes == 5.0 and touch.target_minutes == 15.0
    assert assign.minutes == pytest.approx(fact.tta_minutes)
    assert assign.state == ("met" if fact.tta_minutes <= 5.0 else "missed")
    if fact.first_touch_minutes is None:
        assert touch.state in ("running", "missed")
    else:
        assert touch.state == ("met" if fact.first_touch_minutes <= 15.0 else "missed")


def test_the_timeline_marks_automation_activities(signed_in, ops_org):
    config = runtime.routing_config()
    activity = Activity.objects.filter(owner_id__in=config.owners.holding, is_deleted=False).first()
    page = body(signed_in.get(f"/leads/{activity.lead_id}"))
    assert "automation: not a touch" in page


def test_the_timeline_agrees_with_the_stored_facts(signed_in, ops_org):
    for fact in LeadFact.objects.order_by("lead_id")[:25]:
        facts = signed_in.get(f"/leads/{fact.lead_id}").context["journey"].facts
        assert facts["outcome"] == fact.outcome
        assert (facts["failure_reason"] or "") == fact.failure_reason
        assert bool(facts["bounced"]) == fact.bounced
        assert bool(facts["queued"]) == fact.queued


def test_the_timeline_escapes_hostile_salesforce_values(signed_in, ops_org):
    for lead_id in ops_org.facts["nasty_lead_ids"]:
        page = body(signed_in.get(f"/leads/{lead_id}"))
        assert "<script>alert" not in page
        assert "<img src=x" not in page.lower()


# ---- Alerts ------------------------------------------------------------------------------------


def _incident() -> AlertIncident:
    return AlertIncident.objects.get(rule="routing_failures", failure_reason=INCIDENT_NODE)


def test_the_alerts_page_lists_firing_incidents_with_value_threshold_and_delivery(
    signed_in, ops_org
):
    response = signed_in.get("/alerts")
    firing = {row.id: row for row in response.context["firing"]}
    firing_ids = AlertIncident.objects.filter(state="firing").values_list("pk", flat=True)
    assert set(firing) == set(firing_ids)
    row = firing[_incident().pk]
    assert (row.value, row.comparison, row.threshold) == ("8", "≥", "1")
    assert row.segment == "EMEA · hot"
    assert row.notification.label == "Not sent: Slack not configured"
    page = body(response)
    assert "Routing failures: Decision: Assign by Territory" in page
    assert "Slack is not configured" in page
    assert f'action="/alerts/{row.id}/snooze"' in page


def test_the_alerts_page_shows_pending_breaches_with_when_they_fire(signed_in, ops_org):
    # The demo's EMEA hot assignment-success breach was first found at NOW: it waits out
    # the rule's 10-minute `for` (spec section 6) before it pages.
    pending = AlertIncident.objects.get(rule="assignment_success", region="EMEA", tier="hot")
    assert (pending.state, pending.first_seen) == ("pending", NOW)
    response = signed_in.get("/alerts")
    assert [row.id for row in response.context["pending"]] == [pending.pk]
    assert pending.pk not in {row.id for row in response.context["firing"]}
    row = response.context["pending"][0]
    assert row.fires_at == NOW + timedelta(minutes=10)
    page = body(response)
    section = page[page.index('id="pending-title"'):]
    assert "1 breach waiting out the rule" in section
    assert "Assignment success below target" in section and "Fires at" in section


def test_a_consequence_is_shown_under_its_cause_on_the_alerts_page(signed_in, ops_org):
    # Ten minutes on, the EMEA hot assignment-success breach fires; the routing failure at
    # the territory decision inhibits it (spec section 6's default inhibit rule).
    later = NOW + timedelta(minutes=10)
    run_evaluation(config=runtime.routing_config(), as_of=later, now=later, transport=None)
    consequence = AlertIncident.objects.get(rule="assignment_success", region="EMEA", tier="hot")
    assert (consequence.state, consequence.inhibited_by) == ("firing", _incident().fingerprint)
    response = signed_in.get("/alerts")
    firing = {row.id: row for row in response.context["firing"]}
    assert firing[consequence.pk].cause_id == _incident().pk
    assert firing[_incident().pk].consequences == (
        "Assignment success below target (EMEA · hot): 0%",)
    page = body(response)
    assert f'<a href="#incident-{_incident().pk}">' in page
    assert "not paged on its own" in page and "Also affected" in page


def test_an_incidents_lead_count_links_to_exactly_its_leads(signed_in, ops_org):
    row = next(r for r in signed_in.get("/alerts").context["firing"] if r.id == _incident().pk)
    # routing_failures counts the failed leads of its 24-hour window (spec section 6); the
    # incident started days before NOW, so these are the last day's part of its failed leads.
    assert row.leads == len(failed_in_window(ops_org))
    listed = signed_in.get(row.records_url).context["paginator"].object_list
    assert sorted(lead.id for lead in listed) == failed_in_window(ops_org)
    assert query(row.page_url)["failure_reason"] == [INCIDENT_NODE]


def runtime_zone() -> ZoneInfo:
    return ZoneInfo(runtime.routing_config().report.timezone)


def _csrf_client(user: Any) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = body(client.get("/alerts"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client, token


def test_snoozing_an_incident_for_4_hours_through_the_form(user, ops_org):
    client, token = _csrf_client(user)
    incident = _incident()
    before = timezone.now()
    response = client.post(
        f"/alerts/{incident.pk}/snooze",
        {"csrfmiddlewaretoken": token, "action": "snooze", "duration": "4h"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/alerts#incident-{incident.pk}"
    incident.refresh_from_db()
    four = timedelta(hours=4)
    assert before + four <= incident.snoozed_until <= timezone.now() + four
    event = IncidentEvent.objects.filter(incident=incident).order_by("-id").first()
    assert event.kind == "snoozed" and "by ana" in event.note
    page = body(client.get("/alerts"))
    assert "Snoozed “Routing failures: Decision: Assign by Territory” (EMEA · hot)" in page
    assert "Snoozed until" in page and "Unsnooze" in page


def test_snoozing_until_a_local_time_reads_it_in_the_report_timezone(user, ops_org):
    client, token = _csrf_client(user)
    incident = _incident()
    local = (timezone.now() + timedelta(days=2)).astimezone(runtime_zone()).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    client.post(
        f"/alerts/{incident.pk}/snooze",
        {"csrfmiddlewaretoken": token, "action": "snooze", "duration": "until",
         "until": local.strftime("%Y-%m-%dT%H:%M")},
    )
    incident.refresh_from_db()
    assert incident.snoozed_until == local


def test_unsnoozing_clears_the_snooze(user, ops_org):
    client, token = _csrf_client(user)
    incident = _incident()
    client.post(f"/alerts/{incident.pk}/snooze",
                {"csrfmiddlewaretoken": token, "duration": "1h", "action": "snooze"})
    client.post(f"/alerts/{incident.pk}/snooze",
                {"csrfmiddlewaretoken": token, "action": "unsnooze"})
    incident.refresh_from_db()
    assert incident.snoozed_until is None
    kinds = list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds[-2:] == ["snoozed", "unsnoozed"]


def test_a_snooze_without_the_csrf_token_is_rejected(user, ops_org):
    client, _ = _csrf_client(user)
    incident = _incident()
    response = client.post(f"/alerts/{incident.pk}/snooze", {"duration": "4h"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.snoozed_until is None


def test_a_snooze_in_the_past_is_refused_with_a_message(user, ops_org):
    client, token = _csrf_client(user)
    incident = _incident()
    response = client.post(
        f"/alerts/{incident.pk}/snooze",
        {"csrfmiddlewaretoken": token, "duration": "until", "until": "2020-01-01T09:00"},
        follow=True,
    )
    assert MSG_SNOOZE_PAST in body(response)
    incident.refresh_from_db()
    assert incident.snoozed_until is None


def test_the_snooze_url_accepts_only_post_and_known_incidents(signed_in, ops_org):
    assert signed_in.get(f"/alerts/{_incident().pk}/snooze").status_code == 405
    assert signed_in.post("/alerts/999999/snooze", {"duration": "1h"}).status_code == 404


def test_alert_history_lists_resolved_incidents_with_their_event_log(signed_in, ops_org):
    now = timezone.now()
    incident = AlertIncident.objects.create(
        fingerprint="tta_p95|AMER|warm", rule="tta_p95", region="AMER", tier="warm",
        state="resolved", first_seen=now - timedelta(days=3), last_seen=now - timedelta(days=2),
        resolved_at=now - timedelta(days=2), current_value=42.0, threshold=60.0, comparison=">",
        sample=12,
    )
    IncidentEvent.objects.create(incident=incident, at=now - timedelta(days=3), kind="fired",
                                 value=75.0)
    IncidentEvent.objects.create(incident=incident, at=now - timedelta(days=2), kind="resolved",
                                 value=42.0)
    response = signed_in.get("/alerts")
    history = response.context["history"]
    assert [row.id for row in history] == [incident.pk]
    assert [e.kind for e in history[0].events] == ["fired", "resolved"]
    page = body(response)
    assert "Slow assignment (p95 time to a rep)" in page and "2 events" in page
    rows = csv_rows(signed_in.get("/alerts", {"format": "csv", "table": "history"}))
    assert [r["rule"] for r in rows] == ["tta_p95"]


def test_the_alerts_csv_lists_the_firing_incidents(signed_in, ops_org):
    rows = csv_rows(signed_in.get("/alerts", {"format": "csv"}))
    assert len(rows) == AlertIncident.objects.filter(state="firing").count()
    row = next(r for r in rows if r["failure_reason"] == INCIDENT_NODE)
    assert row["notification"] == "Not sent: Slack not configured"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"action": "unsnooze"}, None),
        ({"duration": "1h"}, timedelta(hours=1)),
        ({"duration": "24h"}, timedelta(hours=24)),
    ],
)
def test_parse_snooze_reads_durations_and_unsnooze(data, expected):
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    result = parse_snooze(data, zone=UTC, now=now)  # type: ignore[arg-type]
    assert result == (None if expected is None else now + expected)


@pytest.mark.parametrize(
    "data",
    [{"duration": "7h"}, {"duration": "until"}, {"duration": "until", "until": "soon"},
     {"duration": "until", "until": "2027-06-01T00:00"}, {}],
)
def test_parse_snooze_refuses_what_it_cannot_honour(data):
    with pytest.raises(SnoozeError):
        parse_snooze(data, zone=UTC, now=datetime(2026, 11, 20, 12, tzinfo=UTC))  # type: ignore[arg-type]


# ---- Reports -----------------------------------------------------------------------------------


def test_the_reports_page_lists_stored_reviews_and_weeks_without_one(signed_in, ops_org):
    report = build_weekly_report(runtime.routing_config(), "2026-W46", NOW)
    save_weekly_report(report, render_weekly_html(report))
    response = signed_in.get("/reports")
    rows = {row.week: row for row in response.context["rows"]}
    assert rows["2026-W46"].report is not None
    assert rows["2026-W46"].leads == report.total.current["leads"]
    assert rows["2026-W47"].report is None
    page = body(response)
    assert 'href="/reports/2026-W46"' in page and 'href="/reports/2026-W46/download"' in page
    assert "manage.py weekly_report --week 2026-W47" in page
    rows_csv = csv_rows(signed_in.get("/reports", {"format": "csv"}))
    assert rows_csv[0]["week"] == "2026-W47" and rows_csv[1]["url"].endswith("/reports/2026-W46")


def test_a_stored_review_is_served_with_a_sandboxed_policy_for_its_own_scripts(signed_in, db):
    html = ('<!doctype html><title>W</title><script>var a = 1;</script>'
            '<script type="application/json" id="c">{"x": 1}</script>')
    WeeklyReport.objects.create(
        week="2026-W46", start="2026-11-09", end="2026-11-15", as_of=NOW, generated_at=NOW,
        html_gzip=gzip.compress(html.encode()), summary={},
    )
    response = signed_in.get("/reports/2026-W46")
    assert body(response) == html
    policy = response["Content-Security-Policy"]
    assert "sandbox allow-scripts" in policy and "default-src 'none'" in policy
    script_src = policy.split("script-src")[1].split(";")[0]
    assert "'sha256-" in script_src and "'unsafe-inline'" not in script_src
    assert response["X-Frame-Options"] == "DENY"
    download = signed_in.get("/reports/2026-W46/download")
    assert download["Content-Disposition"] == 'attachment; filename="weekly-2026-W46.html"'
    assert signed_in.get("/reports/2026-W01").status_code == 404


def test_report_csp_hashes_each_inline_script_and_no_json_block():
    policy = report_csp('<script>a()</script><script type="application/json">{}</script>')
    script_src = policy.split("script-src ")[1].split(";")[0]
    assert script_src.count("'sha256-") == 1


# ---- Health ------------------------------------------------------------------------------------


def _notification(incident: AlertIncident, **fields: Any) -> Notification:
    now = timezone.now()
    values: dict[str, Any] = {"incident": incident, "kind": "firing", "payload": {},
                              "next_attempt_at": now, "created_at": now}
    values.update(fields)
    return Notification.objects.create(**values)


def test_the_health_page_shows_permanent_slack_errors_and_retrying_notifications(
    signed_in, ops_org, settings
):
    incident = _incident()
    _notification(incident, status="failed", attempts=1, last_error="channel_not_found")
    _notification(incident, status="pending", attempts=2, last_error="ratelimited",
                  next_attempt_at=timezone.now() + timedelta(minutes=5))
    page = body(signed_in.get("/health"))
    assert "channel_not_found" in page and "ratelimited" in page
    assert "Retrying" in page and "Failed" in page
    assert "not sent: Slack is not configured" in page
    rows = csv_rows(signed_in.get("/health/notifications.csv"))
    assert {"failed", "retrying", "kept"} <= {r["kind"] for r in rows}


def test_the_health_page_says_when_slack_refuses_the_destination(signed_in, db, settings):
    settings.SLACK_BOT_TOKEN = "xoxb-test"
    settings.SLACK_CHANNEL = "#routing"
    transport = SlackTransport.from_settings()
    now = timezone.now()
    incident = AlertIncident.objects.create(
        fingerprint="x", rule="routing_failures", first_seen=now, last_seen=now
    )
    note = _notification(incident, status="failed", attempts=1, last_error="invalid_auth")
    NotificationAttempt.objects.create(
        notification=note, at=now, destination=destination_key(transport), ok=False,
        error="invalid_auth", permanent=True,
    )
    page = body(signed_in.get("/health"))
    assert "Slack refuses the destination: invalid_auth" in page


# ---- The lead list's record filters ------------------------------------------------------------


def test_record_filters_survive_pagination_and_csv(signed_in, ops_org):
    response = signed_in.get("/leads", {**RANGE, "flag": "assigned"})
    assert response.context["paginator"].count == LeadFact.objects.exclude(first_rep="").count()
    assert "flag=assigned" in response.context["next_qs"]
    assert "flag=assigned" in response.context["csv_qs"]
    assert "Assigned to a rep" in body(response)


def test_bad_record_filters_are_explained_not_a_500(signed_in, ops_org):
    response = signed_in.get("/leads", {"flag": "nope", "first_rep": "not-an-id"})
    assert response.status_code == 200
    page = body(response)
    assert "flag=&#x27;nope&#x27; is not one of" in page
    assert "is not a Salesforce Id" in page


# ---- Before metrics, and bounds ----------------------------------------------------------------


def test_age_buckets_never_straddle_the_limit():
    for limit in (24.0, 6.0, 100.0):
        buckets = age_buckets(limit)
        assert any(b.high_hours == limit for b in buckets)
        assert all(b.over_limit == (b.low_hours >= limit) for b in buckets)


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/queues", 20),
        ("/failures?start=2026-10-30&end=2026-11-20", 21),
        ("/reps?start=2026-10-30&end=2026-11-20", 15),
        ("/alerts", 13),
        ("/reports", 10),
        ("/health", 12),
    ],
)
def test_each_page_runs_a_bounded_number_of_queries(
    signed_in, ops_org, django_assert_max_num_queries, url, limit
):
    with django_assert_max_num_queries(limit):
        assert signed_in.get(url).status_code == 200


def test_the_timeline_runs_a_bounded_number_of_queries(
    signed_in, ops_org, django_assert_max_num_queries
):
    fact = LeadFact.objects.filter(bounced=True).first()
    with django_assert_max_num_queries(17):
        signed_in.get(f"/leads/{fact.lead_id}")


def test_the_query_count_does_not_grow_with_the_rows(signed_in, ops_org):
    def count(url: str) -> int:
        cache.clear()  # the uncached view: the Reps medians are cached until the next compute
        with CaptureQueriesContext(connection) as queries:
            signed_in.get(url)
        return len(queries)

    urls = ["/queues", f"/failures?start={RANGE['start']}&end={RANGE['end']}",
            f"/reps?start={RANGE['start']}&end={RANGE['end']}"]
    before = [count(url) for url in urls]
    template = LeadFact.objects.filter(queued=True, outcome="failed").exclude(first_rep="").first()
    template = template or LeadFact.objects.filter(outcome="failed").first()
    extra = []
    for n in range(300):
        template.pk = f"00Qzz{n:013d}"
        template.first_rep = template.first_rep or SalesforceUser.objects.first().id
        template.queued = True
        template.queue_owner = template.queue_owner or Queue.objects.first().id
        template.queue_entered_at = NOW - timedelta(hours=n)
        values = {f.attname: getattr(template, f.attname) for f in LeadFact._meta.fields}
        extra.append(LeadFact(**values))
    LeadFact.objects.bulk_create(extra)
    assert [count(url) for url in urls] == before


def test_pages_ask_for_compute_metrics_before_the_first_run(signed_in, make_lead):
    make_lead()
    for url in ("/queues", "/failures", "/reps"):
        assert "manage.py compute_metrics" in body(signed_in.get(url))


def test_a_signed_out_snooze_post_goes_to_the_login_page(ops_org):
    response = Client().post(f"/alerts/{_incident().pk}/snooze", {"duration": "1h"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

