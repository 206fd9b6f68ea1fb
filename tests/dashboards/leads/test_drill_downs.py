"""Drill-downs that isolate (issue 15, item 4; spec section 8): a percentile tile opens the leads
above it, worst first, with the metric's own column; an SLA tile opens the leads that missed it;
the lead list and its CSV carry outcome, failure reason, time to assignment, first touch and the
SLAs met.

Expected leads and values are worked out here from the stored facts (``LeadFact``), with the
percentile computed by hand (linear interpolation between closest ranks, spec section 5), not
through the rollups the pages read.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboards.leads.records import parse_record_filters
from dashboards.metrics.specs import BUSINESS_VARIANTS, METRICS, drill_down
from routing_health.lib.format import format_minutes
from routing_health.models import LeadFact
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

START, END = date(2026, 11, 6), date(2026, 11, 19)
RANGE = {"start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def computed(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    return synced_org


def cohort():
    return LeadFact.objects.filter(created_day__gte=START, created_day__lte=END)


def percentile_by_hand(values: list[float], q: float) -> float:
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


def tile_href(client, key: str) -> str:
    response = client.get("/", RANGE)
    tiles = {t.key: t for s in response.context["sections"] for t in s.tiles}
    return tiles[key].href


def listed(client, href: str) -> tuple[list[str], str, object]:
    response = client.get(href)
    assert response.status_code == 200
    ids = [row.id for row in response.context["rows"]]
    assert response.context["paginator"].count == len(ids)  # one page: all of them
    return ids, response.content.decode(), response


@pytest.mark.parametrize(
    ("key", "column", "q", "heading"),
    [
        ("tta_p95_minutes", "tta_minutes", 0.95, "Time to assignment"),
        ("first_touch_p95_minutes", "first_touch_minutes", 0.95, "First touch"),
        ("tta_p50_minutes", "tta_minutes", 0.5, "Time to assignment"),
    ],
)
def test_a_percentile_tile_lists_exactly_the_leads_above_it_worst_first(
    computed, signed_in, key, column, q, heading
):
    if column == "tta_minutes":
        base = cohort().exclude(first_rep="").filter(tta_minutes__isnull=False)
    else:
        base = cohort().filter(first_touch_minutes__isnull=False)
    values = list(base.values_list(column, flat=True))
    threshold = percentile_by_hand(values, q)
    above = sorted(
        ((getattr(f, column), f.created_at, f.lead_id) for f in base if getattr(f, column)
         > threshold),
        reverse=True,
    )
    assert 0 < len(above) < len(values)
    href = tile_href(signed_in, key)
    params = parse_qs(urlsplit(href).query)
    shown_column, _, minutes = params["above"][0].partition(":")
    assert shown_column == column
    assert float(minutes) == pytest.approx(threshold, rel=1e-12)
    if q == 0.5:
        return  # the p50 list can run over one page; its threshold is what is checked
    ids, body, _ = listed(signed_in, href)
    assert ids == [lead_id for _, _, lead_id in above]  # exactly those, worst first
    assert f"{heading} over {format_minutes(threshold)}" in body  # the chip says why
    assert re.search(rf'aria-sort="descending"><a [^>]*data-sort="{column}">{heading} ↓', body)
    cells = re.findall(rf'data-col="{column}">([^<]*)</td>', body)
    assert cells == [format_minutes(v) for v, _, _ in above]


@pytest.mark.parametrize(
    ("key", "applicable", "met"),
    [
        ("assign_sla_met_rate", "assign_sla_applicable", "assign_sla_met"),
        ("touch_sla_met_rate", "touch_sla_applicable", "touch_sla_met"),
    ],
)
def test_an_sla_tile_lists_exactly_the_leads_that_missed_it(computed, signed_in, key,
                                                            applicable, met):
    misses = {f.lead_id for f in cohort() if getattr(f, applicable) and not getattr(f, met)}
    assert misses
    href = tile_href(signed_in, key)
    response = signed_in.get(href)
    count = response.context["paginator"].count
    assert count == len(misses)
    export = signed_in.get(href + "&format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {r["lead_id"] for r in rows} == misses
    column = "assign_sla_met" if key.startswith("assign") else "touch_sla_met"
    assert {r[column] for r in rows} == {"false"}


def test_the_lead_csv_carries_outcome_failure_reason_timings_and_slas(computed, signed_in):
    response = signed_in.get("/leads", {**RANGE, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    for column in ("outcome", "failure_reason", "tta_minutes", "first_touch_minutes",
                   "assign_sla_met", "touch_sla_met"):
        assert column in rows[0]
    facts = LeadFact.objects.in_bulk([r["lead_id"] for r in rows])
    assert len(facts) == len(rows) > 0
    seen_failed = seen_missed = 0
    for row in rows:
        fact = facts[row["lead_id"]]
        assert row["outcome"] == fact.outcome
        assert row["failure_reason"] == fact.failure_reason
        for column in ("tta_minutes", "first_touch_minutes"):
            value = getattr(fact, column)
            if value is None:
                assert row[column] == ""
            else:  # the CSV's floats: four decimals (dashboards.csv_export)
                assert float(row[column]) == pytest.approx(value, abs=5e-5)
        for sla in ("assign_sla", "touch_sla"):
            if not getattr(fact, f"{sla}_applicable"):
                assert row[f"{sla}_met"] == ""
            else:
                assert row[f"{sla}_met"] == ("true" if getattr(fact, f"{sla}_met") else "false")
        seen_failed += row["outcome"] == "failed" and bool(row["failure_reason"])
        seen_missed += row["assign_sla_met"] == "false"
    assert seen_failed and seen_missed  # the check covers failures and misses


def test_one_hand_checked_lead_row(make_lead, signed_in):
    """A lead assigned 90 minutes after creation, touch pending: its CSV row by hand."""
    lead = make_lead()
    LeadFact.objects.create(
        lead_id=lead.id, created_at=lead.created_at, created_day=lead.created_at.date(),
        outcome="succeeded", tta_minutes=90.0, assign_sla_applicable=True,
        assign_sla_met=False, touch_sla_applicable=False,
    )
    day = lead.created_at.date().isoformat()
    response = signed_in.get("/leads", {"start": day, "end": day, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    row = rows[0]
    assert (row["outcome"], row["failure_reason"], row["tta_minutes"],
            row["first_touch_minutes"], row["assign_sla_met"], row["touch_sla_met"]) == (
        "succeeded", "", "90", "", "false", "")
    page = signed_in.get("/leads", {"start": day, "end": day}).content.decode()
    assert 'data-col="tta_minutes">1.5 h</td>' in page


def test_a_list_sorts_by_time_to_assignment_both_ways(computed, signed_in):
    base = cohort().exclude(first_rep="").filter(tta_minutes__isnull=False)
    longest = max(base.values_list("tta_minutes", flat=True))
    shortest = min(base.values_list("tta_minutes", flat=True))
    down = signed_in.get("/leads", {**RANGE, "flag": "assigned", "sort": "-tta_minutes"})
    assert down.context["rows"][0].tta_minutes == longest
    up = signed_in.get("/leads", {**RANGE, "flag": "assigned", "sort": "tta_minutes"})
    assert up.context["rows"][0].tta_minutes == shortest
    bad = signed_in.get("/leads", {**RANGE, "above": "name:3", "sort": "evil"})
    assert bad.status_code == 200
    assert "above=&#x27;name:3&#x27; is not" in bad.content.decode()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("tta_p95_business_minutes",
         (("flag", "assigned"), ("above", "tta_business_minutes:1234.5"))),
        ("first_touch_p50_business_minutes",
         (("flag", "touched"), ("above", "first_touch_business_minutes:1234.5"))),
        ("assign_sla_met_rate_business", (("missed", "assign_sla_met_business"),)),
        ("touch_sla_met_rate", (("missed", "touch_sla_met"),)),
        ("bounce_rate", (("flag", "bounced"),)),
    ],
)
def test_each_clock_drills_into_its_own_column(key, expected):
    wall = next((w for w, b in BUSINESS_VARIANTS.items() if b == key), key)
    assert drill_down(METRICS[wall], key, 1234.5) == expected


def test_a_missed_sla_on_the_business_clock_reads_its_own_flags(db):
    record = parse_record_filters({"missed": "touch_sla_met_business"})
    assert record.errors == ()
    q = str(record.fact_q(as_of=None, limit_hours=24))
    assert "touch_sla_applicable_business" in q and "touch_sla_met_business" in q
    assert parse_record_filters({"missed": "nope"}).errors
