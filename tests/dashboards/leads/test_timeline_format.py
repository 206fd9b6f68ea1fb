"""The lead timeline reads durations and times by the one formatter (``routing_health.lib.format``).

Hand-computed from its rules: 185 minutes is at least 60 minutes and under 48 hours, so hours
with one decimal, 185 / 60 = 3.083 → "3.1 h" (the old page said "3 h 5 min"); 60 minutes reads
"1 h"; a 168-hour window is two days or more, so days: "7 d".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboards.leads import views as lead_views
from dashboards.leads.timeline import Journey, SlaClock, Stint
from routing_health.lib.sfid import to_18

CREATED = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
HOLDING, REP = to_18("005000000000001"), to_18("005000000000002")


@pytest.fixture
def journey_of_185_minutes(monkeypatch):
    """The page's journey replaced by a hand-built one: the first rep after 185 minutes."""
    assigned = CREATED + timedelta(minutes=185)

    def journey(lead, config):
        return Journey(
            as_of=datetime(2026, 3, 29, 12, 0, tzinfo=UTC),
            as_of_basis="metrics",
            facts={"outcome": "succeeded", "routed_owner": REP, "first_rep": REP,
                   "tta_minutes": 185.0, "rep_assigned_at": assigned, "accepted": True},
            stints=(
                Stint(1, HOLDING, "Intake", "holding", CREATED, assigned, False),
                Stint(2, REP, "Ana Rep", "rep", assigned, None, False),
            ),
            clocks=(SlaClock("Time to assignment", 60.0, 185.0, 700.0, "missed"),),
            events=(),
            tier_sla=(60.0, 240.0),
            accept_hours=168.0,
            bounce_hours=168.0,
            queue_limit_hours=4.0,
            names={REP: "Ana Rep", HOLDING: "Intake"},
        )

    monkeypatch.setattr(lead_views, "lead_journey", journey)


def test_the_timeline_shows_a_185_minute_assignment_as_3_1_h(
    signed_in, make_lead, journey_of_185_minutes
):
    lead = make_lead(created_at=CREATED, owner_id=REP)
    page = signed_in.get(f"/leads/{lead.id}").content.decode()
    assert "first rep Ana Rep after 3.1 h." in page
    assert "<strong>3.1 h</strong> against a target of 1 h" in page
    assert "· after 3.1 h</span>" in page
    assert "Within 7 d of the assignment." in page
    assert "3 h 5 min" not in page
    # The stint's length, start to end, by the same rule.
    assert "· 3.1 h" in page


def test_the_timeline_shows_the_metrics_time_in_the_report_timezone(
    signed_in, make_lead, journey_of_185_minutes, routing_config
):
    routing_config.write_text('[report]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    lead = make_lead(created_at=CREATED, owner_id=REP)
    page = signed_in.get(f"/leads/{lead.id}").content.decode()
    # 12:00 UTC on 29 March 2026 is 14:00 in Berlin, summer time from 01:00 UTC that day.
    assert "2026-03-29 14:00 CEST" in page
    # Creation at 23:00 UTC on the 28th: midnight in Berlin, still winter time.
    assert "2026-03-29 00:00 CET" in page
