"""The daily digest and the weekly review show numbers counted by hand on a four-lead org.

The org (synced from the HTTPS emulator; report timezone UTC; every lead tier "hot": assign
within 5 min, touch within 15 min) has four leads created on Mon 2026-11-09 at 10:00 in the
holding queue:

| lead | what happens                                              |
|------|-----------------------------------------------------------|
| A    | rep Ann at +1 min, a call at +3 min                       |
| B    | rep Bob at +2 min, status "Closed - Not Converted" at +30 |
| C    | rep Ann at +10 min                                        |
| D    | the fallback queue Lead Triage at +1 min                  |

By hand, as of Tue 2026-11-17 12:00: 4 leads; D failed (fallback), A-C succeeded, none
pending → assignment success 3 / 4 = 75.0 %. Assigned A, B, C; B rejected → rejection rate
1 / 3 = 33.3 %. TTAs 1, 2, 10 min → p95 at rank (3 - 1) × 0.95 = 1.9: 2 + 0.9 × (10 - 2) =
9.2 min. Top failure reason "fallback: Lead Triage", 1 lead. The digest, the weekly summary and
the weekly HTML each show these.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command

from routing_health.reports.digest import build_daily_digest, digest_payload
from routing_health.reports.render import render_weekly_html
from routing_health.reports.weekly import build_weekly_report
from routing_health.salesforce import runtime
from routing_health.sandbox.org import Org

CREATED = datetime(2026, 11, 9, 10, tzinfo=UTC)  # Monday of ISO week 2026-W46
AS_OF = datetime(2026, 11, 17, 12, tzinfo=UTC)


def build_hand_org() -> tuple[Org, str]:
    org = Org()
    org.clock = lambda: CREATED - timedelta(days=1)
    integration = org.add_user("Integration User")
    ann, bob = org.add_user("Ann"), org.add_user("Bob")
    holding = org.add_queue("Lead Intake")
    triage = org.add_queue("Lead Triage")
    org.clock = lambda: CREATED

    def lead(name: str) -> str:
        return org.insert("Lead", {"LastName": name, "Company": name, "OwnerId": holding,
                                   "Status": "Open - Not Contacted", "CreatedDate": CREATED})

    def minutes(n: int) -> datetime:
        return CREATED + timedelta(minutes=n)

    a, b, c, d = (lead(name) for name in "ABCD")
    org.change_owner(a, ann, minutes(1), integration)
    org.add_task(a, ann, minutes(3))
    org.change_owner(b, bob, minutes(2), integration)
    org.change_status(b, "Closed - Not Converted", minutes(30), bob)
    org.change_owner(c, ann, minutes(10), integration)
    org.change_owner(d, triage, minutes(1), integration)
    org.clock = lambda: AS_OF
    config_text = f"""
[report]
timezone = "UTC"
[owners]
holding = ["{integration}", "{holding}"]
fallback = ["{triage}"]
[statuses]
accepted = ["Working - Contacted"]
rejected = ["Closed - Not Converted"]
closed = ["Closed - Converted", "Closed - Not Converted"]
[tiers]
default = "hot"
[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15
"""
    return org, config_text


@pytest.fixture
def hand_org(sync_org: Any) -> None:
    sync_org(*build_hand_org())


def digest_text() -> str:
    digest = build_daily_digest(runtime.routing_config(), date(2026, 11, 9), AS_OF)
    payload = digest_payload(digest)
    return "\n".join(
        block["text"]["text"] for block in payload["blocks"]
        if block.get("type") == "section"
    )


def test_the_digest_shows_three_of_four_routed_leads_as_75_percent_success(hand_org):
    text = digest_text()
    assert "*Leads:* 4 (1 failed routing, 0 pending)" in text
    assert "*Assignment success:* 75.0%" in text


def test_the_digest_shows_one_rejection_of_three_assigned_as_33_3_percent(hand_org):
    assert "*Rejection rate:* 33.3% (1 of 3 assigned)" in digest_text()


def test_the_digest_shows_the_tta_p95_of_1_2_and_10_minutes_as_9_2_minutes(hand_org):
    assert "*Time to assignment p95:* hot 9.2 min" in digest_text()


def test_the_weekly_summary_shows_four_leads_75_percent_success_and_9_2_minute_tta_p95(
    hand_org,
):
    out = io.StringIO()
    call_command("weekly_report", "--as-of", "2026-11-17T12:00:00Z", "--week", "2026-W46",
                 stdout=out)
    summary = out.getvalue().splitlines()[1]
    assert summary.startswith("2026-W46 (2026-11-09 – 2026-11-15): 4 leads; ")
    assert "assignment success 75.0%" in summary
    assert "TTA p95 9.2 min" in summary
    assert summary.endswith("top failure: fallback: Lead Triage (1)")


def test_the_weekly_html_shows_75_percent_success_9_2_minute_tta_p95_and_33_3_percent_rejection(
    hand_org,
):
    report = build_weekly_report(runtime.routing_config(), "2026-W46", AS_OF)
    html = render_weekly_html(report)

    def card(label: str) -> str:
        match = re.search(r'<div class="card__label">' + re.escape(label)
                          + r'</div>\s*<div class="card__value">([^<]*)</div>', html)
        assert match, label
        return match.group(1)

    assert card("Leads created") == "4"
    assert card("Assignment success") == "75.0%"
    assert card("Time to assignment p95") == "9.2 min"
    assert card("Rejection rate") == "33.3%"
    assert "4 leads; assignment success 75.0%" in html  # the key findings
