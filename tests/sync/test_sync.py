"""The sync against the HTTPS emulator, through the real simple-salesforce sf_client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing_health.config import parse_config
from routing_health.models import (
    Activity,
    Lead,
    LeadStatus,
    OwnerChange,
    Queue,
    SalesforceUser,
    SyncRun,
    SyncState,
)
from routing_health.salesforce import ConnectionSettings, SalesforceClient
from routing_health.sync import service as sync_module
from routing_health.sync.service import sync_salesforce
from tests.orgs import T0

pytestmark = pytest.mark.django_db


def _rows(model) -> list[tuple]:
    fields = [f.attname for f in model._meta.concrete_fields if f.name != "synced_at"]
    return sorted(model.objects.values_list(*fields))


def snapshot() -> dict[str, list[tuple]]:
    """Every stored row of the synced tables, without sync bookkeeping (synced_at)."""
    return {
        "leads": sorted(
            Lead.objects.values_list(
                "id", "owner_id", "status", "is_deleted", "region", "tier", "system_modstamp"
            )
        ),
        "owner_changes": _rows(OwnerChange),
        "activities": _rows(Activity),
        "users": sorted(SalesforceUser.objects.values_list()),
        "queues": sorted(Queue.objects.values_list()),
        "statuses": sorted(LeadStatus.objects.values_list()),
    }


def watermark(name: str):
    state = SyncState.objects.filter(object_name=name).first()
    return state.watermark if state else None


def test_it_backfills_every_object_through_bulk_then_increments_through_rest(sf_client, config):
    first = sync_salesforce(client=sf_client, config=config)
    assert first.ok, first.summary()
    modes = {o.object_name: o.mode for o in first.objects}
    assert modes["Lead"] == "bulk" and modes["LeadHistory"] == "bulk"
    assert Lead.objects.count() == 12
    assert OwnerChange.objects.count() == 24
    assert Activity.objects.count() == 12
    second = sync_salesforce(client=sf_client, config=config)
    assert {o.object_name: o.mode for o in second.objects}["Lead"] == "rest"


def test_running_the_sync_three_times_gives_identical_rows(sf_client, config):
    snapshots = []
    for _ in range(3):
        assert sync_salesforce(client=sf_client, config=config).ok
        snapshots.append(snapshot())
    assert snapshots[0] == snapshots[1] == snapshots[2]


def test_rows_committed_late_inside_the_overlap_window_are_not_lost(sf_client, config, tiny):
    assert sync_salesforce(client=sf_client, config=config).ok
    mark = watermark("Lead")
    # A transaction that started before the last sync commits now, stamped 2 minutes before
    # the watermark: only the overlap re-read can see it.
    late = mark - timedelta(minutes=2)
    tiny.org.clock = lambda: late
    late_id = tiny.org.insert(
        "Lead", {"LastName": "Late", "Company": "Late Co", "OwnerId": tiny.holding_queue}
    )
    assert sync_salesforce(client=sf_client, config=config).ok
    assert Lead.objects.filter(id=late_id).exists()


def test_a_run_killed_after_page_k_of_n_resumes_to_the_same_end_state(
    sf_client, config, small_pages, tiny, emulator
):
    pages_seen = 0

    def kill_after_two_pages(message: str) -> None:
        nonlocal pages_seen
        if message.startswith("Lead: page"):
            pages_seen += 1
            if pages_seen == 2:
                raise KeyboardInterrupt  # the process dies between two pages

    with pytest.raises(KeyboardInterrupt):
        sync_salesforce(client=sf_client, config=config, progress=kill_after_two_pages)
    assert 0 < Lead.objects.count() < 12
    assert watermark("Lead") is None  # a bulk job's watermark moves only when it is done
    assert SyncRun.objects.get(object_name="Lead").status == SyncRun.Status.FAILED

    assert sync_salesforce(client=sf_client, config=config).ok
    resumed = snapshot()

    Lead.objects.all().delete()
    OwnerChange.objects.all().delete()
    Activity.objects.all().delete()
    SyncState.objects.all().delete()
    assert sync_salesforce(client=sf_client, config=config).ok
    assert snapshot() == resumed


def test_a_rest_increment_killed_mid_way_keeps_the_watermark_of_committed_pages(
    sf_client, config, tiny, monkeypatch, small_pages
):
    assert sync_salesforce(client=sf_client, config=config).ok
    before = watermark("Lead")
    monkeypatch.setattr(sync_module, "BULK_THRESHOLD", 10_000)
    for i in range(450):
        at = before + timedelta(seconds=i + 1)
        tiny.org.clock = lambda at=at: at
        tiny.org.insert("Lead", {"LastName": f"More {i}", "Company": "X", "OwnerId": tiny.reps[0]})
    pages_seen = 0

    def kill_after_first_page(message: str) -> None:
        nonlocal pages_seen
        if message.startswith("Lead: page"):
            pages_seen += 1
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_salesforce(
            client=sf_client, config=config, objects=["Lead"], progress=kill_after_first_page
        )
    committed = Lead.objects.count()
    assert 12 < committed < 462  # the first page only (it re-reads the overlap, too)
    newest_committed = Lead.objects.order_by("-system_modstamp").first().system_modstamp
    assert watermark("Lead") == newest_committed
    assert sync_salesforce(client=sf_client, config=config, objects=["Lead"]).ok
    assert Lead.objects.count() == 462


def test_deleted_leads_are_flagged(sf_client, config, tiny):
    assert sync_salesforce(client=sf_client, config=config).ok
    victim = Lead.objects.order_by("id").first().id
    tiny.org.clock = lambda: T0 + timedelta(days=1)
    tiny.org.delete("Lead", victim)
    assert sync_salesforce(client=sf_client, config=config).ok
    assert Lead.objects.get(id=victim).is_deleted is True
    assert Lead.objects.filter(is_deleted=False).count() == 11


def test_each_owner_change_is_stored_once_from_its_id_row(sf_client, config, tiny):
    assert sync_salesforce(client=sf_client, config=config).ok
    history = tiny.org.records("LeadHistory")
    owner_rows = [r for r in history if r["Field"] == "Owner"]
    assert len(owner_rows) == 48  # Salesforce writes two rows per change
    assert OwnerChange.objects.count() == 24
    ids = {r["Id"] for r in owner_rows if r["DataType"] == "EntityId"}
    assert set(OwnerChange.objects.values_list("id", flat=True)) == ids
    change = OwnerChange.objects.filter(new_owner_id=tiny.working_queue).first()
    assert change.old_owner_id == tiny.holding_queue


def test_a_converted_lead_keeps_its_first_touch(sf_client, config, tiny):
    assert sync_salesforce(client=sf_client, config=config).ok
    lead = Lead.objects.order_by("created_at").first()
    touch = Activity.objects.get(lead_id=lead.id)
    tiny.org.clock = lambda: T0 + timedelta(days=2)
    tiny.org.convert_lead(lead.id, T0 + timedelta(days=2))
    assert sync_salesforce(client=sf_client, config=config).ok
    moved = Activity.objects.get(id=touch.id)
    assert moved.who_id.startswith("003")
    assert moved.lead_id == lead.id
    assert Lead.objects.get(id=lead.id).is_converted


def test_an_activity_first_seen_on_the_converted_contact_belongs_to_the_lead(
    sf_client, config, tiny
):
    lead = tiny.org.records("Lead")[0]["Id"]
    contact = tiny.org.convert_lead(lead, T0 + timedelta(hours=5))
    assert sync_salesforce(client=sf_client, config=config).ok
    (activity,) = Activity.objects.filter(lead_id=lead)
    assert activity.who_id == tiny.org.get("Lead", lead)["ConvertedContactId"]
    assert contact is None or activity.who_id == contact


def test_two_503s_then_success_completes(sf_client, config, emulator):
    emulator.faults.add(kind=503, path="/jobs/query", times=2)
    outcome = sync_salesforce(client=sf_client, config=config)
    assert outcome.ok, outcome.summary()
    assert Lead.objects.count() == 12


def test_a_connection_reset_is_retried(sf_client, config, emulator):
    emulator.faults.add(kind="reset", path="/query", times=1)
    assert sync_salesforce(client=sf_client, config=config).ok


def test_an_expired_session_token_fails_cleanly_without_a_partial_watermark(
    sf_client, config, emulator
):
    assert sync_salesforce(client=sf_client, config=config, objects=["User"]).ok
    before = {s.object_name: s.watermark for s in SyncState.objects.all()}
    emulator.expire_tokens()
    outcome = sync_salesforce(client=sf_client, config=config)
    assert not outcome.ok
    assert "expired" in outcome.objects[-1].error
    assert "SALESFORCE_ACCESS_TOKEN" in outcome.objects[-1].error
    assert {s.object_name: s.watermark for s in SyncState.objects.all()} == before
    assert Lead.objects.count() == 0


def test_an_expired_session_reauthenticates_once_with_credentials(tiny, emulator, config):
    emulator.add_credentials("rh@example.com", "secret", "TOKEN")
    settings = ConnectionSettings(
        username="rh@example.com",
        password="secret",
        security_token="TOKEN",
        bulk_poll_seconds=0.01,
    )
    sf_client = SalesforceClient(settings, session=emulator.login_session(), backoff_seconds=0.01)
    assert sync_salesforce(client=sf_client, config=config, objects=["User"]).ok
    emulator.expire_tokens()
    outcome = sync_salesforce(client=sf_client, config=config)
    assert outcome.ok, outcome.summary()
    assert Lead.objects.count() == 12


def test_the_request_limit_stops_the_run_with_the_watermark_unchanged(sf_client, config, emulator):
    assert sync_salesforce(client=sf_client, config=config).ok
    before = {s.object_name: s.watermark for s in SyncState.objects.all()}
    emulator.faults.add(kind=403, path="/query")
    outcome = sync_salesforce(client=sf_client, config=config)
    assert not outcome.ok
    assert "limit" in outcome.objects[-1].error.lower()
    assert {s.object_name: s.watermark for s in SyncState.objects.all()} == before


def test_it_refuses_to_start_past_the_allowed_share_of_the_daily_api_limit(
    sf_client, config, emulator
):
    emulator.set_api_usage(used=4_990, max=10_000)
    outcome = sync_salesforce(client=sf_client, config=config)
    assert not outcome.ok
    assert "SALESFORCE_MAX_API_SHARE" in outcome.objects[0].error
    assert Lead.objects.count() == 0


def test_a_misconfigured_field_fails_with_a_message_naming_it(sf_client, tiny):
    broken = parse_config(
        f"""
[lead_fields]
region = "Regoin__c"
[owners]
holding = ["{tiny.holding_queue}"]
""",
        source="broken.toml",
    )
    outcome = sync_salesforce(client=sf_client, config=broken, objects=["Lead"])
    assert not outcome.ok
    assert "Regoin__c" in outcome.objects[0].error


def test_a_malformed_record_is_skipped_and_counted(sf_client, config, tiny):
    bad = tiny.org.records("Lead")[3]
    bad["CreatedDate"] = "yesterday-ish"
    outcome = sync_salesforce(client=sf_client, config=config, objects=["Lead"])
    assert outcome.ok
    assert outcome.objects[0].skipped == 1
    assert Lead.objects.count() == 11
    assert SyncRun.objects.get(object_name="Lead").rows_skipped == 1


def test_the_command_prints_progress_and_a_summary_line(configured, capsys):
    call_command("sync_salesforce")
    out = capsys.readouterr().out
    assert "Lead: page 1" in out
    assert out.strip().splitlines()[-1].startswith("sync finished: User")


def test_the_command_fails_naming_a_bad_object(configured):
    with pytest.raises(CommandError, match="Leads"):
        call_command("sync_salesforce", "--objects", "Leads")


def test_the_command_refuses_to_overlap_a_running_sync(configured):
    from routing_health.jobs.lease import SYNC_LOCK
    from routing_health.jobs.locks import NamedLock

    assert NamedLock(SYNC_LOCK, ttl=timedelta(minutes=5), owner="scheduled-worker").acquire()
    with pytest.raises(CommandError, match="another sync is running"):
        call_command("sync_salesforce")
    assert Lead.objects.count() == 0


def test_an_object_hidden_from_the_user_is_skipped_and_leads_still_sync(
    sf_client, config, emulator
):
    emulator.faults.add(
        kind=400,
        path="/query",
        times=1,
        body=[
            {
                "message": "sObject type 'FlowDefinitionView' is not supported.",
                "errorCode": "INVALID_TYPE",
            }
        ],
        after=0,
    )
    outcome = sync_salesforce(
        client=sf_client, config=config, objects=["FlowDefinitionView", "Lead"]
    )
    assert outcome.ok, outcome.summary()
    flows, leads = outcome.objects
    assert flows.mode == "skipped" and "not available" in flows.note
    assert leads.upserted == 12


def test_a_failing_optional_object_does_not_stop_the_leads(sf_client, config, emulator):
    emulator.faults.add(kind=503, path="/query", times=None)
    emulator.faults.add(kind=503, path="/jobs/query", times=None)
    outcome = sync_salesforce(
        client=sf_client, config=config, objects=["FlowDefinitionView", "Lead"]
    )
    assert [o.object_name for o in outcome.objects] == ["FlowDefinitionView", "Lead"]
    assert outcome.objects[0].error and outcome.objects[1].error
