"""Issue 18 item 5: the backfill parses Bulk API 2.0 pages as columns. The same org synced
through REST (records) and through Bulk (columns) stores the same rows and skips the same
malformed record, through the HTTPS emulator."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from routing_health.models import (
    Activity,
    FieldChange,
    Lead,
    OwnerChange,
    StatusChange,
    SyncRun,
    SyncState,
)
from routing_health.sync import service as sync_module
from routing_health.sync.service import sync_salesforce
from tests.orgs import T0

pytestmark = pytest.mark.django_db

SYNCED = (Lead, OwnerChange, StatusChange, FieldChange, Activity)
OBJECTS = ["User", "Group", "LeadStatus", "Lead", "LeadHistory", "Task", "Event"]
COMPANY = 'Acme, "West"\nsecond line é'


def stored() -> dict[str, list[tuple]]:
    """Every stored row of the synced tables but its ``synced_at``."""
    out = {}
    for model in SYNCED:
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "synced_at"]
        out[model.__name__] = sorted(model.objects.values_list(*fields))
    return out


def forget_everything() -> None:
    for model in (*SYNCED, SyncRun, SyncState):
        model.objects.all().delete()


@pytest.fixture
def varied(tiny):
    """The tiny org with what the two parsers could read differently: quotes, a comma, a
    newline and a non-ASCII letter in a value, a 15-character owner Id, a status change, a
    converted lead with a touch on its Contact, a touch on a Contact of no lead, an Event,
    and one lead whose CreatedDate is not a date."""
    org = tiny.org
    leads = [r["Id"] for r in org.records("Lead")]
    later = T0 + timedelta(days=1)
    org.clock = lambda: later
    org.update("Lead", leads[0], Company=COMPANY)
    org.update("Lead", leads[1], OwnerId=tiny.reps[1][:15])
    org.change_status(leads[2], "Working - Contacted", later, tiny.reps[2])
    contact = org.convert_lead(leads[4], later) or org.get("Lead", leads[4])["ConvertedContactId"]
    org.add_task(contact, tiny.reps[1], later + timedelta(hours=1), "After conversion")
    stranger = org.insert("Contact", {"LastName": "Nobody"})
    org.add_task(stranger, tiny.reps[0], later, "Not ours")
    org.add_event(leads[5], tiny.reps[2], later, "Demo")
    org.records("Lead")[7]["CreatedDate"] = "yesterday-ish"
    return tiny, leads


def rest_only(monkeypatch) -> None:
    """Every incremental object read through REST, backfill included."""
    plan = sync_module._plan

    def as_rest(*args, **kwargs):
        chosen = plan(*args, **kwargs)
        return replace(chosen, mode="rest") if chosen.mode == "bulk" else chosen

    monkeypatch.setattr(sync_module, "_plan", as_rest)


def test_rest_and_bulk_backfills_store_the_same_rows(
    sf_client, config, varied, monkeypatch, caplog
):
    tiny, leads = varied
    with monkeypatch.context() as patch:
        rest_only(patch)
        with caplog.at_level(logging.WARNING):
            through_rest = sync_salesforce(client=sf_client, config=config, objects=OBJECTS)
    assert through_rest.ok, through_rest.summary()
    assert {o.mode for o in through_rest.objects if o.object_name == "Lead"} == {"rest"}
    rest_rows, rest_log = stored(), sorted(r.getMessage() for r in caplog.records
                                           if "skipped" in r.getMessage())
    rest_marks = dict(SyncState.objects.values_list("object_name", "watermark"))
    rest_skipped = {o.object_name: o.skipped for o in through_rest.objects}

    forget_everything()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        through_bulk = sync_salesforce(client=sf_client, config=config, objects=OBJECTS)
    assert through_bulk.ok, through_bulk.summary()
    modes = {o.object_name: o.mode for o in through_bulk.objects}
    assert modes["Lead"] == modes["LeadHistory"] == modes["Task"] == "bulk"
    bulk_log = sorted(r.getMessage() for r in caplog.records if "skipped" in r.getMessage())

    assert stored() == rest_rows
    assert dict(SyncState.objects.values_list("object_name", "watermark")) == rest_marks
    assert {o.object_name: o.skipped for o in through_bulk.objects} == rest_skipped
    assert bulk_log == rest_log == [
        f"sync object=Lead record={leads[7]} skipped: "
        "CreatedDate 'yesterday-ish' is not a Salesforce datetime"
    ]
    # By hand: 12 leads less the malformed one; the text as written; the owner's 18-character
    # form; the converted lead's touch on its Contact kept, the stranger's touch not.
    assert Lead.objects.count() == 11
    assert Lead.objects.get(id=leads[0]).company == COMPANY
    assert Lead.objects.get(id=leads[1]).owner_id == tiny.reps[1]
    assert StatusChange.objects.get(lead_id=leads[2]).new_status == "Working - Contacted"
    assert Lead.objects.get(id=leads[4]).is_converted
    subjects = sorted(Activity.objects.values_list("subject", flat=True))
    assert "Not ours" not in subjects and "After conversion" in subjects and "Demo" in subjects
