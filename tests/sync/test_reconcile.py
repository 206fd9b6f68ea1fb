"""Reconciliation of deletions: what Salesforce no longer returns at all leaves every metric."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from routing_health.jobs import schedules
from routing_health.jobs import tasks as jobs
from routing_health.models import Activity, DailyRollup, Lead, LeadFact
from routing_health.reports.export import ExportRequest, compute_export
from routing_health.rollups.service import compute_metrics
from routing_health.sync.reconcile import reconcile_deletions
from routing_health.sync.service import sync_salesforce
from tests.orgs import T0

pytestmark = pytest.mark.django_db

# build_tiny_org creates 12 leads from T0, ten minutes apart, each with one Task.
LEADS = 12
LATER = T0 + timedelta(days=20)  # the deletion below lies outside the 15-day delete log


def _sync(sf_client, config) -> None:
    outcome = sync_salesforce(client=sf_client, config=config)
    assert outcome.ok, outcome.summary()


def _export_leads(config, as_of: datetime) -> int:
    request = ExportRequest(start=date(2026, 11, 2), end=date(2026, 11, 2), by=(), as_of=as_of)
    return compute_export(config, request)["total"]["leads"]


def _rollup_leads() -> int:
    return sum(DailyRollup.objects.values_list("leads", flat=True))


def _first_lead(tiny) -> str:
    return min(r["Id"] for r in tiny.org.records("Lead"))


def test_a_lead_present_in_run_1_and_absent_from_every_query_in_run_2_is_excluded_after_the_reconcile(  # noqa: E501
    sf_client, config, tiny
):
    _sync(sf_client, config)
    compute_metrics(config=config, as_of=T0 + timedelta(days=1))
    assert _rollup_leads() == LEADS
    victim = _first_lead(tiny)
    tiny.org.delete("Lead", victim, at=T0 + timedelta(days=1))
    tiny.org.purge("Lead", victim)  # the recycle bin emptied the same day
    tiny.org.clock = lambda: LATER  # ... and the next sync runs 20 days later

    _sync(sf_client, config)  # run 2: no query returns the lead any more
    assert not Lead.objects.get(id=victim).is_deleted  # the incremental sync cannot see it
    outcome = reconcile_deletions(client=sf_client, now=LATER)

    assert outcome.ok, outcome.summary()
    assert outcome.objects[0].in_delete_log == 0  # too old for the delete log: the Id sets
    assert Lead.objects.get(id=victim).is_deleted  # kept, marked
    compute_metrics(config=config, as_of=LATER)  # the incremental run moves it out
    assert not LeadFact.objects.filter(lead_id=victim).exists()
    assert _rollup_leads() == LEADS - 1
    assert _export_leads(config, LATER) == LEADS - 1


def test_a_lead_purged_within_the_last_15_days_is_found_in_the_delete_log(sf_client, config, tiny):
    _sync(sf_client, config)
    victim = _first_lead(tiny)
    deleted_at = T0 + timedelta(days=3)
    tiny.org.clock = lambda: deleted_at
    tiny.org.purge("Lead", victim)  # hard delete: never in the recycle bin, never in queryAll
    tiny.org.clock = lambda: deleted_at + timedelta(hours=2)

    outcome = reconcile_deletions(client=sf_client, now=deleted_at + timedelta(hours=2))

    lead = outcome.objects[0]
    assert (lead.object_name, lead.in_delete_log, lead.marked_deleted) == ("Lead", 1, 1)
    assert Lead.objects.get(id=victim).is_deleted
    assert Lead.objects.filter(is_deleted=False).count() == LEADS - 1


def test_a_purged_task_is_marked_deleted_and_no_longer_touches_its_lead(sf_client, config, tiny):
    _sync(sf_client, config)
    task = next(iter(sorted(r["Id"] for r in tiny.org.records("Task"))))
    lead_id = Activity.objects.get(id=task).lead_id
    tiny.org.purge("Task", task, at=T0 + timedelta(days=1))
    tiny.org.clock = lambda: LATER
    compute_metrics(config=config, as_of=T0 + timedelta(days=1))
    assert LeadFact.objects.get(lead_id=lead_id).first_touch_minutes == 5.0

    reconcile_deletions(client=sf_client, now=LATER)
    compute_metrics(config=config, as_of=T0 + timedelta(days=2))

    assert Activity.objects.get(id=task).is_deleted
    assert Activity.objects.filter(is_deleted=False).count() == LEADS - 1
    assert LeadFact.objects.get(lead_id=lead_id).first_touch_minutes is None


def test_when_salesforce_returns_no_lead_ids_at_all_nothing_is_marked_and_the_error_names_the_object(  # noqa: E501
    sf_client, config, tiny
):
    _sync(sf_client, config)
    for lead in list(tiny.org.records("Lead")):
        tiny.org.purge("Lead", lead["Id"], at=T0)
    tiny.org.clock = lambda: LATER

    outcome = reconcile_deletions(client=sf_client, objects=["Lead"], now=LATER)

    assert not outcome.ok
    assert "Salesforce returned no Lead Ids at all while 12 are stored" in outcome.summary()
    assert Lead.objects.filter(is_deleted=False).count() == LEADS


def test_sync_salesforce_full_marks_a_purged_lead_deleted(configured, tiny):
    call_command("sync_salesforce", stdout=StringIO())
    victim = _first_lead(tiny)
    tiny.org.purge("Lead", victim, at=T0)
    now = datetime.now(UTC)
    tiny.org.clock = lambda: now  # the command's window ends at the real time

    out = StringIO()
    call_command("sync_salesforce", "--full", stdout=out)

    assert Lead.objects.get(id=victim).is_deleted
    assert "Lead 1 marked deleted" in out.getvalue()


def test_the_scheduled_reconcile_marks_a_purged_lead_deleted(configured, tiny):
    call_command("sync_salesforce", stdout=StringIO())
    victim = _first_lead(tiny)
    tiny.org.purge("Lead", victim, at=T0)
    now = datetime.now(UTC)
    tiny.org.clock = lambda: now

    result = jobs.run_reconcile(chain=False)

    assert result["status"] == "ok", result
    assert "Lead 1 marked deleted" in result["detail"]
    assert Lead.objects.get(id=victim).is_deleted


def test_the_reconcile_schedule_is_daily_unless_configured(monkeypatch):
    def minutes() -> int | None:
        specs = {spec.name: spec for spec in schedules.declared_schedules()}
        return specs["routing-health:reconcile-deletions"].minutes

    assert minutes() == 24 * 60
    monkeypatch.setenv("RECONCILE_INTERVAL_HOURS", "6")
    assert minutes() == 6 * 60
