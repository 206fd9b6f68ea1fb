"""Responses shaped like the samples of Salesforce's REST API and Bulk API 2.0 developer guides
("Execute a SOQL Query" with ``nextRecordsUrl``; "Get Results for a Query Job" with
``Sforce-Locator: null``), served verbatim by the emulator, with every datetime form the guides
show: ``.000+0000``, ``.000Z``, ``Z`` without milliseconds and an offset such as ``-0800``.
Expected values are worked out by hand from the sample text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from routing_health.config import parse_config
from routing_health.models import Lead, SalesforceUser
from routing_health.sync.service import sync_salesforce

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
JANE, GEORGE, PAT = "005R0000000UyrWIAS", "005R0000000GiwjIAC", "005R0000000GiwoIAC"
LEAD = "00QR0000005TbDqMAK"


def serve_bulk_results(emulator, sample: str) -> None:
    body = (SAMPLES / sample).read_bytes()
    rows = body.count(b"\n") - 1
    emulator.faults.add(
        200,
        method="GET",
        path="/results",
        body=body,
        headers={"Sforce-Locator": "null", "Sforce-NumberOfRecords": str(rows)},
    )


def serve_rest_page(emulator, sample: str, *, path: str, after: int = 0) -> None:
    body = (SAMPLES / sample).read_bytes()
    emulator.faults.add(
        200,
        method="GET",
        path=path,
        after=after,
        body=body,
        headers={"Content-Type": "application/json;charset=UTF-8"},
    )


def users() -> dict[str, tuple]:
    rows = SalesforceUser.objects.filter(id__in=[JANE, GEORGE, PAT])
    return {u.id: (u.name, u.is_active, u.time_zone_sid_key, u.system_modstamp) for u in rows}


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def test_users_from_the_sample_bulk_results_and_the_sample_query_pages_are_stored_in_utc(
    sf_client, config, emulator
):
    serve_bulk_results(emulator, "bulk_query_results_users.csv")
    backfill = sync_salesforce(client=sf_client, config=config, objects=["User"])
    assert backfill.ok, backfill.summary()
    assert (backfill.objects[0].mode, backfill.objects[0].upserted) == ("bulk", 3)
    assert users() == {
        JANE: ("Jane Dunn", True, "America/Los_Angeles", at("2026-01-05 10:11:12")),
        GEORGE: ("George Wright", False, "Europe/London", at("2026-01-05 10:11:13")),
        PAT: ("Pat Wilson", True, "America/New_York", at("2026-01-05 10:11:14")),
    }

    # The first GET /query is the COUNT() that plans the increment; the next is the page.
    serve_rest_page(emulator, "rest_query_users_page1.json", path="/query", after=1)
    serve_rest_page(emulator, "rest_query_users_page2.json", path="/query/01gRO0000016PIAYA2-2")
    increment = sync_salesforce(client=sf_client, config=config, objects=["User"])
    assert increment.ok, increment.summary()
    assert (increment.objects[0].mode, increment.objects[0].pages) == ("rest", 2)
    assert users() == {
        JANE: ("Jane Dunn", False, "America/Los_Angeles", at("2026-01-06 10:11:12")),
        GEORGE: ("George Wright", True, "Europe/London", at("2026-01-06 10:11:13")),
        PAT: ("Pat Wilson", True, "America/New_York", at("2026-01-06 10:11:14")),
    }


def test_a_sample_lead_keeps_its_canonical_values_from_bulk_and_from_rest(
    sf_client, tiny, emulator
):
    tiny.org.add_field("Lead", "AnnualRevenue", "currency")
    tiny.org.add_field("Lead", "Is_Partner__c", "boolean")
    config = parse_config(
        f"""
[lead_fields]
tier = "AnnualRevenue"
extra = ["Is_Partner__c"]
[owners]
holding = ["{tiny.holding_queue}"]
[tiers]
default = "standard"
[tiers.by_value]
"2500000" = "enterprise"
[tiers.sla.enterprise]
assign_minutes = 5
touch_minutes = 15
[tiers.sla.standard]
assign_minutes = 240
touch_minutes = 1440
""",
        source="samples.toml",
    )
    expected_raw = {"Country": None, "AnnualRevenue": "2500000", "Is_Partner__c": "true"}

    serve_bulk_results(emulator, "bulk_query_results_leads.csv")
    backfill = sync_salesforce(client=sf_client, config=config, objects=["Lead"])
    assert backfill.ok, backfill.summary()
    lead = Lead.objects.get(id=LEAD)
    assert (lead.tier, lead.raw_fields) == ("enterprise", expected_raw)
    assert (lead.created_at, lead.system_modstamp) == (
        at("2026-01-05 10:11:12"),
        at("2026-01-05 10:11:12"),
    )

    serve_rest_page(emulator, "rest_query_leads.json", path="/query", after=1)
    increment = sync_salesforce(client=sf_client, config=config, objects=["Lead"])
    assert increment.ok, increment.summary()
    assert increment.objects[0].mode == "rest"
    lead = Lead.objects.get(id=LEAD)
    assert (lead.tier, lead.raw_fields) == ("enterprise", expected_raw)
    assert (lead.created_at, lead.system_modstamp) == (
        at("2026-01-05 10:11:12"),
        at("2026-01-06 10:11:12"),
    )
    assert (lead.is_converted, lead.is_deleted, lead.owner_id) == (False, False, JANE)
