"""Routing-input data quality end to end (issue 17, items 4 and 5): the demo org with the web
form that stops sending Country, served by the emulator, synced over HTTPS; the field history
gives the value at creation; the export and the ``input_missing`` rule see the story."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from routing_health.alerts.input_quality import input_findings_as_of
from routing_health.models import FieldChange, Lead, OwnerChange
from routing_health.reports.export import compute_export, parse_request
from routing_health.salesforce import runtime
from routing_health.sandbox.serve import build_org
from tests.conftest import DEMO_ORG, NOW

pytestmark = pytest.mark.django_db

GAP_DAY = date(2026, 11, 19)  # the day before NOW in America/New_York


@pytest.fixture
def synthetic(sync_org):
    org, synthetic = build_org(**DEMO_ORG, input_gap=True)
    sync_org(org, synthetic.config_toml)
    return synthetic


@pytest.fixture
def story(synthetic):
    return synthetic.facts["input_gap"]


def test_the_sync_keeps_the_country_history_and_the_configured_fields(story):
    assert len(story["lead_ids"]) == 16 and len(story["fixed_lead_ids"]) == 8
    changes = FieldChange.objects.all()
    assert sorted(c.lead_id for c in changes) == sorted(story["fixed_lead_ids"])
    assert {c.field for c in changes} == {"Country"}
    assert all(c.old_value is None for c in changes)  # Bulk's "" read as no value
    current = dict(Lead.objects.filter(id__in=[c.lead_id for c in changes])
                   .values_list("id", "raw_fields__Country"))
    assert {c.lead_id: c.new_value for c in changes} == current
    fixed = Lead.objects.get(id=story["fixed_lead_ids"][0])
    assert fixed.raw_fields["Country"]  # fixed by hand: only the history shows the gap
    blank = Lead.objects.get(id=story["blank_lead_ids"][0])
    assert blank.raw_fields["Country"] is None
    assert blank.raw_fields["LeadSource"] == "Web"
    assert OwnerChange.objects.exists()  # owner history still synced with the wider filter


def test_the_export_counts_every_web_lead_of_the_gap_as_missing_country(story, synthetic):
    config = runtime.routing_config()
    request = parse_request(config, start="2026-11-12", end="2026-11-20",
                            by="lead_source,day", as_of=NOW.isoformat())
    rows = [r for r in compute_export(config, request)["rows"] if r["lead_source"] == "Web"]
    before = [r for r in rows if date.fromisoformat(r["day"]) < GAP_DAY]
    after = [r for r in rows if date.fromisoformat(r["day"]) >= GAP_DAY]
    # Before the gap: the Web leads the generator made without a country (its ground truth).
    leads = synthetic.tables["Lead"]
    local = pd.to_datetime(leads["CreatedDate"], utc=True).dt.tz_convert("America/New_York")
    web_before = leads[(leads["LeadSource"] == "Web") & ~leads["IsDeleted"]
                       & (local.dt.date >= date(2026, 11, 12)) & (local.dt.date < GAP_DAY)]
    assert sum(r["leads"] for r in before) == len(web_before)
    assert sum(r["input_missing"] for r in before) == int(web_before["Country"].isna().sum())
    assert sum(r["input_missing"] for r in after) == len(story["lead_ids"]) == 16
    assert sum(r["leads"] for r in after) == 16  # every Web lead since the gap
    assert all(r["input_missing_rate"] == 1.0 for r in after)


def test_the_input_missing_rule_names_the_web_source_and_country(story):
    findings, _values = input_findings_as_of(runtime.routing_config(), NOW)
    reasons = {f.failure_reason: f for f in findings}
    assert "Country from Web" in reasons
    country = reasons["Country from Web"]
    # Every Web lead of the last 24 h lacks it; the baseline's share is the generator's few
    # leads without a country (about one in seven).
    assert country.value == 1.0
    assert 0.0 < country.threshold < 0.2
    assert set(country.lead_ids) <= set(story["lead_ids"])
    assert "Web leads stopped sending Country" in country.summary
    assert not any(f.failure_reason.endswith("from Partner Referral") for f in findings)
