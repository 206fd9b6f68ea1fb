"""The weekly review's "what drove the change" on the demo org, whose injected incident (a flow
version that breaks routing for one region's hot leads) must be the largest part of the drop."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import pytest
from django.utils.html import escape

from routing_health.reports.drivers import (
    CANNOT_COMPARE,
    MetricDrivers,
    driver_lines,
    rounded_tenths,
    total_tenths,
)
from routing_health.reports.render import render_weekly_html
from routing_health.reports.slack_summary import weekly_slack_payload
from routing_health.reports.weekly import build_weekly_report
from tests.conftest import NOW
from tests.reports.conftest import PUBLIC_URL


@pytest.fixture
def report(config):
    return build_weekly_report(config, "2026-W47", NOW)


def drivers_of(report, name):
    return next(d for d in report.drivers if d.metric == name)


def test_the_incident_is_the_largest_part_of_the_assignment_success_drop(report, synced_org):
    incident = synced_org.facts["incident"]
    success = drivers_of(report, "assignment_success_rate")
    by_segment, by_reason = success.breakdowns
    assert by_segment.name == "segment" and by_reason.name == "failure reason"
    assert dict(by_segment.top[0].keys) == {"region": incident["region"],
                                            "tier": incident["tier"]}
    assert dict(by_reason.top[0].keys) == {
        "region": incident["region"], "tier": incident["tier"],
        "failure_reason": incident["failed_node"],
    }
    assert by_reason.top[0].label == (
        f"{incident['region']} {incident['tier']} at {incident['failed_node']}"
    )
    assert by_reason.top[0].contribution < 0
    assert success.change < 0


def test_the_totals_are_the_reviews_own_numbers_and_every_split_adds_up(report):
    for item in report.drivers:
        now = report.total.current[item.metric]
        before = report.total.previous[item.metric]
        if now is None or before is None:
            assert item.change is None
            continue
        assert item.after == pytest.approx(now, abs=1e-12)
        assert item.before == pytest.approx(before, abs=1e-12)
        for breakdown in item.breakdowns:
            parts = sum(d.contribution for d in breakdown.top) + breakdown.other
            assert parts == pytest.approx(item.change, abs=1e-12)
            shown = driver_lines(item, breakdown)
            assert sum(line.tenths for line in shown) == total_tenths(item)


def test_displayed_lines_add_up_to_the_displayed_total() -> None:
    # 0.0144 + 0.0144 + 0.0144 = 0.0432: each rounds to 1.4 pp but the total to 4.3 pp, so the
    # largest remainder (all equal: the first) goes up: 1.5 + 1.4 + 1.4.
    assert rounded_tenths([0.0144, 0.0144, 0.0144], 43) == [15, 14, 14]
    # −4.94 pp and −0.36 pp of a −5.3 pp change: −49 and −4 (floors −50, −4; one up).
    assert rounded_tenths([-0.0494, -0.0036], -53) == [-49, -4]


def test_the_review_shows_the_section_with_the_incident_first(report, synced_org):
    incident = synced_org.facts["incident"]
    html = render_weekly_html(report)
    assert 'id="drivers-title">What drove the change</h2>' in html
    section = html.split('id="drivers"')[1].split("</section>")[0]
    first_reason_line = section.split("By failure reason")[1]
    first_line = first_reason_line.split("</tr>")[1]
    assert f"{incident['region']} {incident['tier']} at {incident['failed_node']}" in first_line
    query = urlencode({"start": "2026-11-16", "end": "2026-11-22", "region": incident["region"],
                       "tier": incident["tier"], "failure_reason": incident["failed_node"],
                       "outcome": "failed"})
    assert f'href="{PUBLIC_URL}/leads?{escape(query)}"' in first_line


def test_the_slack_summary_names_the_largest_part(report, synced_org):
    incident = synced_org.facts["incident"]
    payload = weekly_slack_payload(report, report_url="https://health.example.com/r")
    texts = [b["text"]["text"] for b in payload["blocks"] if b.get("type") == "section"
             and "text" in b]
    drove = next(t for t in texts if t.startswith("What drove assignment success"))
    assert f"largest part {incident['region']} {incident['tier']} at" in drove


def test_the_report_data_keeps_the_drivers_as_plain_json(report):
    data = report.to_dict()
    assert data["drivers"][0]["metric"] == "assignment_success_rate"
    assert data["drivers"][0]["breakdowns"][0]["name"] == "segment"


def test_a_rate_with_nothing_to_rate_in_one_week_says_it_cannot_be_compared(report):
    empty = MetricDrivers("acceptance_rate", None, None, ())
    html = render_weekly_html(dataclasses.replace(report, drivers=(empty,)))
    section = html.split('id="drivers"')[1].split("</section>")[0]
    assert "Acceptance rate: — → —" in section
    assert CANNOT_COMPARE in section
    assert "By segment" not in section
