"""The weekly review's shadow section (issue 17): the export's shadow numbers for the week."""

from __future__ import annotations

import pytest

from routing_health.metrics.aggregate import SHADOW_NAMES
from routing_health.reports.export import compute_export, parse_request
from routing_health.reports.render import render_weekly_html
from routing_health.reports.weekly import build_weekly_report
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_weeks_shadow_totals_are_the_exports(synced_shadow_org):
    config = runtime.routing_config()
    report = build_weekly_report(config, "2026-W46", NOW)
    request = parse_request(config, start="2026-11-09", end="2026-11-15", by="",
                            as_of=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
    total = compute_export(config, request)["total"]
    assert report.shadow is not None
    assert dict(report.shadow.totals) == {name: total[name] for name in SHADOW_NAMES}
    acceptance = report.shadow.outcomes[0]
    assert acceptance.outcome == "acceptance"
    assert acceptance.agreed == total["shadow_agreed_acceptance_rate"]
    assert acceptance.disagreed == total["shadow_disagreed_acceptance_rate"]
    assert report.to_dict()["shadow"]["verdict"] == report.shadow.verdict


def test_the_html_has_the_shadow_section_with_its_verdict(synced_shadow_org):
    report = build_weekly_report(runtime.routing_config(), "2026-W46", NOW)
    html = render_weekly_html(report)
    assert 'id="shadow"' in html
    assert f"Verdict: {report.shadow.verdict}" in html


def test_without_shadow_the_review_has_no_shadow_section(synced_org):
    report = build_weekly_report(runtime.routing_config(), "2026-W46", NOW)
    assert report.shadow is None
    assert 'id="shadow"' not in render_weekly_html(report)
