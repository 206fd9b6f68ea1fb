"""Stored rollups carry the business-hours metrics and still equal the export."""

from __future__ import annotations

from datetime import date, time, timedelta

import pandas as pd
import pytest

from routing_health.lib.calendar import Calendar
from routing_health.metrics import lead_facts
from routing_health.models import BusinessHoursRecord, DailyRollup, LeadFact
from routing_health.reports.export import compute_export, parse_request
from routing_health.rollups.rows import unpack
from routing_health.rollups.selectors import Segment, rollup_metrics
from routing_health.rollups.service import _next_change_at, compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW
from tests.export.business import salesforce_calendars
from tests.metrics.frames import (
    activities_frame,
    at,
    leads_frame,
    owner_changes_frame,
    sfid,
    status_changes_frame,
)
from tests.metrics.helpers import INTEGRATION_USER, NAMES, params
from tests.rollups.test_compute_metrics import assert_same

pytestmark = pytest.mark.django_db


def exported(config, by: str, start: str, end: str) -> dict:
    request = parse_request(config, start=start, end=end, by=by, as_of=NOW.isoformat())
    return compute_export(config, request)


def test_rollups_store_business_values_and_counts(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    emea = DailyRollup.objects.filter(region="EMEA")
    wall = sum(unpack(bytes(r.tta_values)).sum() for r in emea)
    business = sum(unpack(bytes(r.tta_business_values)).sum() for r in emea)
    assert 0 < business < wall
    assert sum(r.assign_sla_applicable_business for r in emea) > 0
    assert LeadFact.objects.exclude(business_calendar="").count() > 0
    assert set(LeadFact.objects.filter(region="Unknown").values_list("business_calendar",
                                                                      flat=True)) == {""}


def test_rollups_equal_the_export_with_calendars_resolved_from_salesforce(synced_org):
    config = salesforce_calendars(runtime.routing_config())
    compute_metrics(config=config, as_of=NOW)
    rows = rollup_metrics(Segment(date(2026, 11, 1), date(2026, 11, 19)), by=("region", "tier"))
    document = exported(config, "region,tier", "2026-11-01", "2026-11-19")
    assert len(rows) == len(document["rows"])
    for rollup, export in zip(rows, document["rows"], strict=True):
        assert_same(rollup, export)
    (total,) = rollup_metrics(Segment(date(2026, 11, 1), date(2026, 11, 19)))
    assert_same(total, document["total"])


def test_a_changed_salesforce_calendar_recomputes_everything(synced_org):
    config = salesforce_calendars(runtime.routing_config())
    compute_metrics(config=config, as_of=NOW)
    assert compute_metrics(config=config, as_of=NOW).mode == "incremental"
    BusinessHoursRecord.objects.filter(name="EMEA Hours").update(friday_end=time(15))
    again = compute_metrics(config=config, as_of=NOW)
    assert again.mode == "full"
    rows = rollup_metrics(Segment(date(2026, 11, 1), date(2026, 11, 19)), by=("region",))
    document = exported(config, "region", "2026-11-01", "2026-11-19")
    for rollup, export in zip(rows, document["rows"], strict=True):
        assert_same(rollup, export)


def test_an_unassigned_lead_is_due_again_when_its_business_clock_passes_the_sla(db):
    singapore = Calendar("apac", "Asia/Singapore", (((540, 1080),),) * 5 + ((), ()))
    metric_params = params(
        tier_sla={"hot": (15, 60)}, calendars={"apac": singapore}, region_calendars={"APAC": "apac"}
    )
    # Fri 2026-01-09 17:50 SGT, never routed (so no queue clock); as of Saturday noon SGT, 10
    # open minutes used. Every wall-clock change (grace, SLAs) is past already.
    leads = leads_frame([{"id": sfid("00Q", 1), "created_at": at("2026-01-09 09:50:00"),
                          "owner_id": INTEGRATION_USER, "region": "APAC"}])
    as_of = pd.Timestamp("2026-01-10 04:00:00", tz="UTC")
    facts = lead_facts(leads, owner_changes_frame([]), status_changes_frame([]),
                       activities_frame([]), NAMES, metric_params, as_of)
    assert not facts["assign_sla_applicable_business"].iloc[0]
    due = _next_change_at(facts, metric_params, as_of).iloc[0]
    # 5 more open minutes: Monday 09:05 SGT (01:05 UTC), just after which the SLA is past.
    assert due == pd.Timestamp("2026-01-12 01:05:00", tz="UTC") + timedelta(microseconds=1)
