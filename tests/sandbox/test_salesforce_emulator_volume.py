"""Backfill volumes through Bulk API 2.0: 200k leads, 600k history rows, 200k activities."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce

from routing_health.sandbox import Org, SalesforceEmulator, new_id

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEADS = 200_000


@pytest.fixture(scope="module")
def big_org() -> Org:
    org = Org()
    org.add_field("Lead", "Region__c", "picklist")
    reps = [org.add_user(f"Rep {i}") for i in range(50)]
    lead_ids = [new_id("00Q", i + 1) for i in range(LEADS)]
    org.insert_many("Lead", ({
        "Id": lead_ids[i], "LastName": f"Lead {i}", "Name": f"Lead {i}", "Company": "Acme",
        "OwnerId": reps[i % 50], "Status": "Working - Contacted", "Region__c": "EMEA",
        "CreatedDate": T0 + timedelta(seconds=10 * i)} for i in range(LEADS)))
    org.insert_many("LeadHistory", ({
        "Id": new_id("017", i + 1), "LeadId": lead_ids[i // 3], "Field": "Owner",
        "DataType": "EntityId", "OldValue": reps[0], "NewValue": reps[1],
        "CreatedDate": T0 + timedelta(seconds=3 * i), "CreatedById": reps[0]}
        for i in range(3 * LEADS)))
    org.insert_many("Task", ({
        "Id": new_id("00T", i + 1), "WhoId": lead_ids[i], "OwnerId": reps[i % 50],
        "Subject": "Call", "CreatedDate": T0 + timedelta(seconds=10 * i + 60)}
        for i in range(LEADS)))
    return org


@pytest.fixture
def sf(big_org: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[Salesforce]:
    with SalesforceEmulator(big_org) as emu:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_path)
        yield Salesforce(instance_url=emu.url, session_id=emu.access_token, version="62.0")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RUN_SLOW") != "1", reason="set RUN_SLOW=1")
def test_a_full_backfill_through_bulk2_takes_well_under_a_minute(sf: Salesforce) -> None:
    queries = {
        "Lead": "SELECT Id, Name, Company, CreatedDate, SystemModstamp, OwnerId, Status, "
                "IsConverted, ConvertedDate, ConvertedContactId, IsDeleted, Region__c FROM Lead",
        "LeadHistory": "SELECT Id, LeadId, Field, DataType, OldValue, NewValue, CreatedDate, "
                       "CreatedById FROM LeadHistory",
        "Task": "SELECT Id, WhoId, OwnerId, CreatedDate, SystemModstamp, IsDeleted FROM Task",
    }
    started = time.perf_counter()
    rows = {}
    for sobject, soql in queries.items():
        pages = getattr(sf.bulk2, sobject).query_all(soql, wait=0)
        rows[sobject] = sum(page.count("\n") - 1 for page in pages)
    elapsed = time.perf_counter() - started
    assert rows == {"Lead": LEADS, "LeadHistory": 3 * LEADS, "Task": LEADS}
    assert elapsed < 30
