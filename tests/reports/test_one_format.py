"""The digest, the weekly review in Slack and the weekly review HTML show a hand-built case the
way the one formatter (``lib.format``) documents it, under the metric catalog's labels.

The case (report timezone Europe/Berlin, one tier "hot": touch within 15 min): 2,137 leads,
assignment success 0.9953, first-touch p95 3000 minutes, no acceptance or bounce rate (nothing
to rate), rejection rate 0 of 0 (null). By lib/format's rule, by hand:

- 0.9953 is within one point of 100 %, so two decimals: "99.53%"; the 0.995 target "99.50%";
- 3000 minutes = 50 h, past the 48 h threshold, so days: 3000 / 1440 = 2.083 → "2.1 d";
- a null rate reads "—"; 2137 reads "2,137";
- the data time 2026-03-29 01:30 UTC reads "2026-03-29 03:30 CEST" in Berlin (summer time began
  at 01:00 UTC that morning).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from routing_health.config import parse_config
from routing_health.metrics.catalog import exported_names
from routing_health.reports.changes import changes, target_checks
from routing_health.reports.digest import DailyDigest, RegionDigest, SegmentDigest, digest_payload
from routing_health.reports.leads import ReasonCount
from routing_health.reports.render import render_weekly_html
from routing_health.reports.slack_summary import summary_line, weekly_slack_payload
from routing_health.reports.weekly import DayPoint, Period, SegmentRow, WeeklyReportData

AS_OF = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
AS_OF_TEXT = "2026-03-29 03:30 CEST"
CONFIG = parse_config("""
[report]
timezone = "Europe/Berlin"
[tiers]
default = "hot"
[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15
""")

CURRENT: dict[str, Any] = {
    **dict.fromkeys(exported_names()),
    "leads": 2137, "succeeded": 2126, "failed": 10, "pending": 1,
    "assignment_success_rate": 0.9953, "assigned": 0, "bounced": 0, "accepted": 0, "touched": 40,
    "first_touch_p50_minutes": 45.0, "first_touch_p95_minutes": 3000.0, "rejected": 0,
    "queued": 0, "queued_over_limit": 0,
}
PREVIOUS: dict[str, Any] = {**CURRENT, "assignment_success_rate": 0.99}


def segment(**keys: Any) -> SegmentDigest:
    targets = target_checks(CONFIG, CURRENT, region=keys.get("region"), tier=keys.get("tier"),
                            has_tier=keys.get("tier") is not None)
    return SegmentDigest(keys.get("region"), keys.get("tier"), CURRENT, targets)


def digest() -> DailyDigest:
    return DailyDigest(
        day=date(2026, 3, 28), timezone="Europe/Berlin", as_of=AS_OF, complete=True,
        total=segment(), tiers=(segment(tier="hot"),),
        regions=(RegionDigest(segment(region="EMEA"), (segment(region="EMEA", tier="hot"),)),),
        dashboard_url="https://health.example.com/?start=2026-03-28&end=2026-03-28",
    )


def row(**keys: Any) -> SegmentRow:
    return SegmentRow(
        keys=keys, current=CURRENT, previous=PREVIOUS,
        changes=changes(CURRENT, PREVIOUS, exported_names()),
        targets=target_checks(CONFIG, CURRENT, region=keys.get("region"),
                              tier=keys.get("tier"), has_tier="tier" in keys),
    )


def week() -> WeeklyReportData:
    monday = date(2026, 3, 23)
    days = tuple(
        DayPoint(monday + timedelta(days=i), i, 0, 0, None, None) for i in range(7)
    )
    last = tuple(DayPoint(d.day - timedelta(days=7), d.weekday, 0, 0, None, None) for d in days)
    days = (DayPoint(monday, 0, 2137, 10, 0.9953, 3000.0), *days[1:])
    return WeeklyReportData(
        period=Period("2026-W13", monday, monday + timedelta(days=6), AS_OF, False),
        previous_period=Period("2026-W12", monday - timedelta(days=7),
                               monday - timedelta(days=1), AS_OF - timedelta(days=7), True),
        timezone="Europe/Berlin", generated_at=AS_OF, total=row(),
        regions=(row(region="EMEA"),), tiers=(row(tier="hot"),),
        segments=(row(region="EMEA", tier="hot"),), daily=days, previous_daily=last,
        failure_reasons=(ReasonCount("No matching rule", 10, 4),), rejection_reasons=(),
        anomalies=(), flow_changes=(), worst_leads=(),
        tier_sla={"hot": (5.0, 15.0)}, tier_clock={"hot": "wall"}, queue_age_limit_hours=4.0,
    )


def block_texts(payload: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload["blocks"])
    return "\n".join(found)


def test_the_digest_shows_99_53_percent_2_1_days_and_a_dash() -> None:
    payload = digest_payload(digest())
    text = block_texts(payload)

    assert "*Leads:* 2,137 (10 failed routing, 1 pending)" in text
    assert "*Assignment success:* 99.53%, target ≥ 99.50% — ✓ on target" in text
    assert "*First touch p95:* hot 2.1 d ✗ (SLA 15 min)" in text
    assert "*Rejection rate:* — (0 of 0 assigned)" in text
    assert "Touch p95 over SLA: hot 2.1 d (SLA 15 min) ✗" in text
    assert f"as of {AS_OF_TEXT}" in text
    assert payload["text"].endswith("2,137 leads, assignment success 99.53% ✓")


def test_the_weekly_slack_summary_shows_99_53_percent_2_1_days_and_a_dash() -> None:
    payload = weekly_slack_payload(week(), report_url="https://health.example.com/r")
    fields = [f["text"] for b in payload["blocks"] if "fields" in b for f in b["fields"]]

    # +0.53 points over 0.99: a rise of a rate that is better higher.
    assert "*Assignment success*\n99.53% (↑ +0.5 pp better)\n✓ on target" in fields
    assert "*First touch p95*\n2.1 d (±0)" in fields
    assert "*Acceptance rate*\n—" in fields
    assert "*Leads created*\n2,137 (±0)" in fields
    assert summary_line(week()).startswith(
        "2026-W13 (2026-03-23 – 2026-03-29): 2,137 leads; assignment success 99.53% "
    )


def _cells(html: str, label: str) -> list[str]:
    """The texts of the headline card labelled ``label``."""
    match = re.search(
        r'<div class="card__label">' + re.escape(label) + r'</div>\s*'
        r'<div class="card__value">([^<]*)</div>', html,
    )
    assert match, label
    return [match.group(1)]


@pytest.fixture(scope="module")
def html() -> str:
    return render_weekly_html(week())


def test_the_weekly_html_shows_99_53_percent_2_1_days_and_a_dash(html: str) -> None:
    assert _cells(html, "Assignment success") == ["99.53%"]
    assert _cells(html, "First touch p95") == ["2.1 d"]
    assert _cells(html, "Bounce rate") == ["—"]
    assert _cells(html, "Leads created") == ["2,137"]
    assert f"Data as of {AS_OF_TEXT}" in html
    # The per-day table: Monday's 2,137 leads, 10 failed, 99.53 %, TTA p95 3000 min.
    assert "<td>2,137</td><td>10</td><td>99.53%</td><td>2.1 d</td>" in html
    # 10 of 10 failed leads have the one reason: 100 %.
    assert "<td>10</td><td>100%</td><td>4</td><td>+6</td>" in html


def test_the_weekly_html_headings_and_glossary_are_the_catalog_words(html: str) -> None:
    assert '<th scope="col" title="Bounce rate">Bounce rate</th>' in html
    assert '<th scope="col" title="Assignment success">Assign success</th>' in html
    assert "<dt>First-touch SLA met <small>(Touch SLA)</small></dt>" in html
    assert "<dd>Bounced leads over assigned leads.</dd>" in html
