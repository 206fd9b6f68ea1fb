"""Routing-input data quality in ``export_metrics`` and the API (issue 17, item 4): the value at
creation from the stored field history, grouped by lead source, hand-computed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from routing_health.lib.sfid import to_18
from routing_health.models import FieldChange, Lead
from routing_health.models.tokens import create_token
from routing_health.reports.export import ExportError, compute_export, parse_request, to_csv

pytestmark = pytest.mark.django_db

HOLDING = to_18("00G000000000HLD")
TRIAGE = to_18("00G000000000TRI")
REP = to_18("005000000000REP")
CREATED = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
CONFIG = f"""
[report]
timezone = "UTC"
[owners]
holding = ["{HOLDING}"]
fallback = ["{TRIAGE}"]
[data_quality]
fields = ["Country"]
[data_quality.rules.Country]
allowed = ["US", "DE"]
"""


def lead(number: int, owner: str, source: str, country: str) -> Lead:
    return Lead(
        id=to_18(f"00Q00000000{number:04d}"), created_at=CREATED, system_modstamp=CREATED,
        owner_id=owner, status="Open", region="AMER", tier="warm",
        raw_fields={"Country": country, "LeadSource": source},
    )


@pytest.fixture
def org(settings, tmp_path):
    path = tmp_path / "routing.toml"
    path.write_text(CONFIG)
    settings.ROUTING_HEALTH_CONFIG = str(path)
    leads = [
        lead(1, REP, "Web", "US"),  # Country "" at creation (history): missing, routed
        lead(2, TRIAGE, "Web", ""),  # missing, failed
        lead(3, TRIAGE, "Web", "DE"),  # complete, failed
        lead(4, REP, "Partner", "Germany"),  # invalid (not allowed), routed
        lead(5, REP, "Partner", "US"),  # complete, routed
    ]
    Lead.objects.bulk_create(leads)
    FieldChange.objects.create(id=to_18("017000000000001"), lead_id=leads[0].id,
                               field="Country", created_at=CREATED.replace(hour=11),
                               old_value=None, new_value="US")
    from routing_health.salesforce import runtime
    return runtime.routing_config()


def exported(config, by: str) -> dict:
    request = parse_request(config, start="2026-11-10", end="2026-11-10", by=by,
                            as_of="2026-11-11T12:00:00Z")
    return compute_export(config, request)


def test_leads_missing_an_input_at_creation_are_counted_per_lead_source(org):
    rows = exported(org, "lead_source")["rows"]
    assert [r["lead_source"] for r in rows] == ["Partner", "Web"]
    partner, web = rows
    assert (partner["leads"], partner["input_missing"], partner["input_missing_rate"]) == (
        2, 1, 0.5)
    assert partner["input_missing_failure_rate"] == 0.0
    assert partner["input_complete_failure_rate"] == 0.0
    # Web: leads 1 and 2 missing (one routed, one failed), lead 3 complete and failed.
    assert (web["leads"], web["input_missing"]) == (3, 2)
    assert web["input_missing_rate"] == pytest.approx(2 / 3)
    assert web["input_missing_failure_rate"] == 0.5
    assert web["input_complete_failure_rate"] == 1.0


def test_the_missing_fields_are_a_grouping_that_drops_no_lead(org):
    rows = exported(org, "input_missing_fields")["rows"]
    assert [(r["input_missing_fields"], r["leads"]) for r in rows] == [("Country", 3), (None, 2)]


def test_the_command_the_api_and_the_csv_carry_the_input_metrics(org, client):
    params = {"start": "2026-11-10", "end": "2026-11-10", "by": "lead_source,day",
              "as_of": "2026-11-11T12:00:00Z"}
    out = io.StringIO()
    call_command("export_metrics", "--start", params["start"], "--end", params["end"],
                 "--by", params["by"], "--as-of", params["as_of"], stdout=out)
    token = create_token("bi-tool")[1]
    response = client.get("/api/v1/metrics", params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.content.decode() == out.getvalue()
    document = json.loads(out.getvalue())
    assert [(r["lead_source"], r["day"], r["input_missing"]) for r in document["rows"]] == [
        ("Partner", "2026-11-10", 1), ("Web", "2026-11-10", 2)]
    header, *lines = list(csv.reader(io.StringIO(to_csv(document))))
    assert header[:2] == ["lead_source", "day"]
    assert lines[1][header.index("input_missing")] == "2"


def test_lead_source_is_no_grouping_without_data_quality_fields(synced_org):
    from routing_health.salesforce import runtime
    config = runtime.routing_config()
    with pytest.raises(ExportError, match="cannot group by 'lead_source'"):
        parse_request(config, start=None, end=None, by="lead_source", as_of=None)
    total = compute_export(config, parse_request(config, start="2026-11-10", end="2026-11-19",
                                                 by=None, as_of="2026-11-20T12:00:00Z"))["total"]
    assert total["leads"] > 0
    assert total["input_missing"] == 0
    assert total["input_missing_rate"] is None  # nothing was checked: null, not 0
    assert total["input_missing_failure_rate"] is None
    assert total["input_complete_failure_rate"] is None


def test_by_region_and_week_the_row_carries_the_input_metrics(org):
    (row,) = exported(org, "region,week")["rows"]
    assert (row["region"], row["week"], row["leads"]) == ("AMER", "2026-W46", 5)
    # Missing: leads 1 (routed), 2 (failed), 4 (routed); complete: 3 (failed), 5 (routed).
    assert (row["input_missing"], row["input_missing_rate"]) == (3, 3 / 5)
    assert row["input_missing_failure_rate"] == pytest.approx(1 / 3)
    assert row["input_complete_failure_rate"] == 0.5
