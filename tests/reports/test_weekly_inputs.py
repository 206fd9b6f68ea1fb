"""The weekly review's Routing inputs section (issue 17, item 4), hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing_health.reports.render import render_weekly_html
from routing_health.reports.weekly import InputQualityRow, build_weekly_report
from tests.export.test_export_data_quality import org  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
AS_OF = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)


def test_the_review_lists_each_source_missing_a_field_largest_share_first(org):  # noqa: F811
    report = build_weekly_report(org, "2026-W46", AS_OF)
    # Web: leads 1 (missing at creation, routed), 2 (missing, failed), 3 (complete, failed).
    # Partner: lead 4 (invalid "Germany", routed), lead 5 (complete, routed). W45 had no lead.
    assert report.input_quality == (
        InputQualityRow("Web", "Country", 3, 2, 2 / 3, None, 0.5, 1.0),
        InputQualityRow("Partner", "Country", 2, 1, 0.5, None, 0.0, 0.0),
    )
    html = render_weekly_html(report)
    assert '<section id="inputs"' in html
    assert "Leads missing a routing input, by lead source and field" in html
    assert "66.7%" in html


def test_without_data_quality_fields_the_section_is_left_out(synced_org):
    from routing_health.salesforce import runtime

    report = build_weekly_report(runtime.routing_config(), None,
                                 datetime(2026, 11, 20, 12, tzinfo=UTC))
    assert report.input_quality == ()
    assert '<section id="inputs"' not in render_weekly_html(report)
