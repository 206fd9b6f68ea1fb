"""Spec section 4: a value read from Salesforce has one canonical text form, whichever API
(Bulk API 2.0 CSV or REST JSON) brought it, so region, tier and ``extra`` groups do not depend
on the path. Expected forms are Salesforce's text forms, written out by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from routing_health.config import RoutingConfig, parse_config
from routing_health.models import Lead
from routing_health.reports.export import compute_export, parse_request
from routing_health.sync.service import sync_salesforce
from tests.orgs import T0, TinyOrg

pytestmark = pytest.mark.django_db

FIELD = "Probe__c"
OBJECTS = ["User", "Group", "LeadStatus", "Lead", "LeadHistory"]

# (describe type, value stored in Salesforce, its canonical text)
CASES = [
    ("boolean", True, "true"),
    ("double", 250, "250"),
    ("currency", 2500000, "2500000"),
    ("percent", 12.5, "12.5"),
    ("date", date(2026, 1, 5), "2026-01-05"),
    ("datetime", datetime(2026, 1, 5, 10, 11, 12, tzinfo=UTC), "2026-01-05T10:11:12.000Z"),
    ("picklist", "Hot", "Hot"),
    ("string", 'Acme, "West"', 'Acme, "West"'),
]


def probe_config(tiny: TinyOrg, canonical: str) -> RoutingConfig:
    return parse_config(
        f"""
[lead_fields]
region = "{FIELD}"
tier = "{FIELD}"
extra = ["{FIELD}"]

[owners]
holding = ["{tiny.integration_user}", "{tiny.holding_queue}"]
fallback = ["{tiny.fallback_queue}"]

[tiers]
default = "standard"
[tiers.by_value]
{json.dumps(canonical)} = "gold"
[tiers.sla.gold]
assign_minutes = 5
touch_minutes = 15
[tiers.sla.standard]
assign_minutes = 240
touch_minutes = 1440
""",
        source="probe.toml",
    )


def stored_leads() -> list[tuple[Any, ...]]:
    return sorted(Lead.objects.values_list("id", "region", "tier", "raw_fields"))


def export_by_probe(config: RoutingConfig) -> dict[str, Any]:
    request = parse_request(
        config, start="2026-11-02", end="2026-11-02", by=FIELD, as_of="2026-11-04T00:00:00Z"
    )
    return compute_export(config, request)


def set_probe(tiny: TinyOrg, value: Any, at: datetime) -> None:
    tiny.org.clock = lambda: at
    for lead in tiny.org.records("Lead"):
        tiny.org.update("Lead", lead["Id"], **{FIELD: value})


@pytest.mark.parametrize(("field_type", "value", "canonical"), CASES, ids=[c[0] for c in CASES])
def test_a_field_value_is_stored_and_exported_the_same_after_bulk_and_after_rest(
    sf_client, tiny, field_type, value, canonical
):
    tiny.org.add_field("Lead", FIELD, field_type)
    set_probe(tiny, value, T0 + timedelta(days=1))
    config = probe_config(tiny, canonical)

    backfill = sync_salesforce(client=sf_client, config=config, objects=OBJECTS)
    assert backfill.ok, backfill.summary()
    assert {o.object_name: o.mode for o in backfill.objects}["Lead"] == "bulk"
    after_bulk, export_bulk = stored_leads(), export_by_probe(config)

    # The same value written again: only SystemModstamp moves, so the increment re-reads
    # every lead through REST.
    set_probe(tiny, value, T0 + timedelta(days=1, hours=1))
    increment = sync_salesforce(client=sf_client, config=config, objects=OBJECTS)
    assert increment.ok, increment.summary()
    leads = next(o for o in increment.objects if o.object_name == "Lead")
    assert (leads.mode, leads.upserted) == ("rest", 12)
    after_rest, export_rest = stored_leads(), export_by_probe(config)

    assert after_rest == after_bulk
    assert {(region, tier) for _, region, tier, _ in after_rest} == {(canonical, "gold")}
    assert {raw[FIELD] for *_, raw in after_rest} == {canonical}
    assert export_rest == export_bulk
    assert [row[FIELD] for row in export_rest["rows"]] == [canonical]
    assert export_rest["rows"][0]["leads"] == 12
