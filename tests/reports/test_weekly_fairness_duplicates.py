"""The weekly review's Fairness and Duplicates sections (issue 17): the export's totals for the
week, the pools as the Fairness page judges them, the companies the Duplicates page lists."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from dashboards.filters import Filters
from dashboards.ops.duplicates import view_data
from dashboards.ops.fairness import fairness_data
from routing_health.metrics.aggregate import DUPLICATE_NAMES
from routing_health.metrics.catalog import availability_names
from routing_health.reports.export import compute_export, parse_request
from routing_health.reports.render import render_weekly_html
from routing_health.reports.weekly import build_weekly_report
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db
WEEK, START, END = "2026-W46", date(2026, 11, 9), date(2026, 11, 15)


def _export_total(config, start=START, end=END):
    request = parse_request(config, start=start.isoformat(), end=end.isoformat(), by="",
                            as_of=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return compute_export(config, request)["total"]


def _gini(x: list[float]) -> float:
    """The definition: Σ_i Σ_j |x_i − x_j| / (2 m² mean(x))."""
    m = len(x)
    return sum(abs(a - b) for a in x for b in x) / (2 * m * m * (sum(x) / m))


def test_the_sections_totals_are_the_exports_for_the_week(synced_org):
    config = runtime.routing_config()
    report = build_weekly_report(config, WEEK, NOW)
    total = _export_total(config)
    assert dict(report.fairness.totals) == {n: total[n] for n in availability_names()}
    assert dict(report.duplicates.totals) == {n: total[n] for n in DUPLICATE_NAMES}
    # The demo org's Northwind story lands in this week: some outreach, some conflicts.
    assert report.duplicates.totals["duplicate_outreach"] > 0
    assert report.duplicates.totals["account_conflicts"] > 0
    matched = report.duplicates.totals["account_matched"]
    assert report.duplicates.totals["account_conflict_rate"] == (
        report.duplicates.totals["account_conflicts"] / matched)
    assert report.to_dict()["duplicates"]["totals"] == {n: total[n] for n in DUPLICATE_NAMES}


def test_the_pools_are_the_fairness_pages_for_the_week(synced_org):
    config = runtime.routing_config()
    report = build_weekly_report(config, WEEK, NOW)
    page = fairness_data(Filters(start=START, end=END), config, NOW)
    expected = {p["name"]: p for p in page["pools"] if p["leads"] >= config.fairness.min_leads}
    assert report.fairness.pools, "the demo week has pools of at least min_leads leads"
    assert {p.pool for p in report.fairness.pools} == set(expected)
    for pool in report.fairness.pools:
        shown = expected[pool.pool]
        assert (pool.leads, pool.reps, pool.flagged) == (shown["leads"], shown["reps"],
                                                         shown["flagged"])
        assert pool.max_min_ratio == pytest.approx(shown["max_min_ratio"])
        assert pool.p_value == pytest.approx(shown["p_value"])
        # Equal weights (the demo sets none): x_i is each member's lead count.
        counts = [m["leads"] for m in shown["members"]]
        assert pool.leads == sum(counts)
        assert pool.gini == pytest.approx(_gini(counts))
        if min(counts) > 0:
            assert pool.max_min_ratio == pytest.approx(max(counts) / min(counts))
    # Flagged pools first.
    flags = [p.flagged for p in report.fairness.pools]
    assert flags == sorted(flags, reverse=True)


def test_the_companies_are_the_duplicates_pages_top_five(synced_org):
    config = runtime.routing_config()
    report = build_weekly_report(config, WEEK, NOW)
    page = view_data(config, Filters(start=START, end=END), NOW)
    assert report.duplicates.company_count == len(page["groups"])
    assert [(("name: " if c.by_name else "") + c.company, c.leads, c.reps)
            for c in report.duplicates.companies] == [
        (g["key"], g["leads"], g["reps"]) for g in page["groups"][:5]]
    assert report.duplicates.companies
    assert all(c.reps >= 2 for c in report.duplicates.companies)
    # Each company's leads add up to the week's duplicate outreach (a lead is in one group).
    assert report.duplicates.company_count <= 5
    assert sum(c.leads for c in report.duplicates.companies) == (
        report.duplicates.totals["duplicate_outreach"])


def test_the_html_has_both_sections_with_links(synced_org):
    report = build_weekly_report(runtime.routing_config(), WEEK, NOW)
    html = render_weekly_html(report)
    assert '<section id="fairness"' in html
    assert '<section id="duplicates"' in html
    assert "/fairness?start=2026-11-09&amp;end=2026-11-15" in html
    assert "/duplicates?start=2026-11-09&amp;end=2026-11-15" in html
    first = report.duplicates.companies[0]
    assert first.company in html
    assert report.fairness.pools[0].pool in html
    assert "No pool had at least" not in html


def test_a_week_without_leads_shows_the_empty_states_and_null_rates(synced_org):
    config = runtime.routing_config()
    report = build_weekly_report(config, "2026-W30", NOW)
    assert report.fairness.pools == ()
    assert dict(report.fairness.totals) == {n: 0 for n in availability_names()}
    assert report.duplicates.companies == ()
    # Empty denominators: the rates are null, as the export's.
    assert report.duplicates.totals["account_conflict_rate"] is None
    assert report.duplicates.totals["duplicate_outreach_rate"] is None
    assert dict(report.duplicates.totals) == {
        n: v for n, v in _export_total(config, date(2026, 7, 20), date(2026, 7, 26)).items()
        if n in DUPLICATE_NAMES}
    html = render_weekly_html(report)
    assert "No pool had at least 20 leads this week." in html
    assert "No company was worked by several reps this week." in html


def test_no_pool_with_enough_leads_leaves_the_pool_table_out(synced_org):
    config = runtime.routing_config()
    strict = dataclasses.replace(
        config, fairness=dataclasses.replace(config.fairness, min_leads=1000))
    report = build_weekly_report(strict, WEEK, NOW)
    assert report.fairness.pools == ()
    assert "No pool had at least 1,000 leads this week." in render_weekly_html(report)


def test_an_older_report_without_the_sections_renders_without_them(synced_org):
    report = build_weekly_report(runtime.routing_config(), WEEK, NOW)
    older = dataclasses.replace(report, fairness=None, duplicates=None)
    html = render_weekly_html(older)
    assert '<section id="fairness"' not in html
    assert '<section id="duplicates"' not in html
