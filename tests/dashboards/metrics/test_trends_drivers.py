"""The Trends page's "What drove the change": the range shown against the range of the same
length before it at equal age, split by segment, failure reason and rep, each group drilling
down to its leads."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from dashboards.filters import Filters
from dashboards.metrics.drivers import equal_age_as_of, previous_range
from routing_health.metrics.catalog import format_metric
from routing_health.models import LeadFact
from routing_health.rollups.selectors import Segment, rollup_metrics
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


def item(response, name):
    return next(i for i in response.context["drivers"]["items"] if i["metric"] == name)


def test_the_earlier_range_is_as_long_and_judged_as_many_hours_earlier_across_dst() -> None:
    filters = Filters(START, END, timezone="Europe/Berlin")
    assert previous_range(filters) == (date(2026, 10, 23), date(2026, 11, 5))
    # Oct 23 00:00 CEST = Oct 22 22:00 UTC; Nov 6 00:00 CET = Nov 5 23:00 UTC (summer time
    # ended on Oct 25): 14 days and one hour apart.
    as_of = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert as_of - equal_age_as_of(filters, as_of) == timedelta(days=14, hours=1)


def test_the_section_is_computed_only_when_asked_for(computed, signed_in):
    response = signed_in.get("/trends", RANGE)
    assert response.context["drivers"] is None
    body = response.content.decode()
    assert "Show what drove the change" in body
    assert "drivers=1" in response.context["drivers_links"]["show"]


def test_the_incident_is_the_largest_part_of_the_drop_and_links_to_its_leads(
    computed, signed_in
):
    incident = computed.facts["incident"]
    response = signed_in.get("/trends", {**RANGE, "drivers": "1"})
    success = item(response, "assignment_success_rate")
    # The value shown for the range is the page's own headline number (the rollups).
    total = rollup_metrics(Segment(START, END))[0]
    assert success["after"] == format_metric("assignment_success_rate",
                                             total["assignment_success_rate"])
    by_segment, by_reason = success["breakdowns"]
    assert by_segment["lines"][0]["label"] == f"{incident['region']} {incident['tier']}"
    first = by_reason["lines"][0]
    assert first["label"] == (
        f"{incident['region']} {incident['tier']} at {incident['failed_node']}"
    )
    assert first["direction"] == "worse"
    listed = signed_in.get(first["links"]["now"])
    assert listed.status_code == 200
    found = {row.id for row in listed.context["rows"]}
    expected = set(LeadFact.objects.filter(
        created_day__gte=START, created_day__lte=END, outcome="failed",
        region=incident["region"], tier=incident["tier"], failure_reason=incident["failed_node"],
    ).values_list("lead_id", flat=True))
    assert found == expected and expected <= set(incident["failed_lead_ids"])


def test_the_lines_of_every_split_add_up_to_the_change_as_shown(computed, signed_in):
    response = signed_in.get("/trends", {**RANGE, "drivers": "1"})
    for shown in response.context["drivers"]["items"]:
        if not shown["comparable"]:
            continue
        total = tenths(shown["change"])
        for breakdown in shown["breakdowns"]:
            assert sum(tenths(line["text"]) for line in breakdown["lines"]) == total


def test_the_switches_keep_the_section(computed, signed_in):
    response = signed_in.get("/trends", {**RANGE, "drivers": "1"})
    assert all("drivers=1" in link for _, link, _ in response.context["split_links"])


def tenths(text: str) -> int:
    """``"−4.9 pp"`` → −49 (the shown text, read back)."""
    number = text.removesuffix(" pp").replace("−", "-").replace("±", "").replace("+", "")
    whole, _, decimal = number.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole.replace(",", ""))) * 10 + int(decimal))


def test_the_section_exports_csv_whose_rows_add_up_exactly(computed, signed_in):
    response = signed_in.get("/trends", {**RANGE, "format": "csv", "table": "drivers"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    totals = {r["metric"]: float(r["contribution"]) for r in rows if r["split"] == "total"}
    assert "assignment_success_rate" in totals
    splits: dict[tuple[str, str], float] = {}
    for r in rows:
        if r["split"] != "total":
            key = (r["metric"], r["split"])
            splits[key] = splits.get(key, 0.0) + float(r["contribution"])
    assert {metric for metric, _ in splits} == set(totals)
    for (metric, _split), value in splits.items():
        assert value == pytest.approx(totals[metric], abs=1e-12)
    reason = next(r for r in rows if r["split"] == "failure reason")
    assert reason["failure_reason"] == computed.facts["incident"]["failed_node"]


def test_the_filter_form_keeps_the_section(computed, signed_in):
    body = signed_in.get("/trends", {**RANGE, "drivers": "1"}).content.decode()
    assert '<input type="hidden" name="drivers" value="1">' in body
