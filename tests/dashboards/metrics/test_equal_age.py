"""Comparisons at equal age (spec section 8; issue 15 item 1).

An org whose leads behave identically every day — by the hour of the day they were created —
with a flow version activated one day before T. Seen naively (both sides as of T), the day after
the activation looks better on TTA p95 and acceptance only because its slow and unaccepted leads
have not had time to show; at equal age nothing may be called better.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing_health.config import parse_config
from routing_health.facts.calendars import resolved_params
from routing_health.lib.sfid import to_18
from routing_health.metrics import METRIC_NAMES
from routing_health.models import Activity, FlowVersionChange, OwnerChange
from routing_health.reports.compare import compare_at_equal_age, equal_age_as_of
from routing_health.reports.export import ExportRequest, compute_export
from routing_health.rollups.service import compute_metrics
from tests.alerts.conftest import BASE_TOML, HOLDING, REP, DbOrg

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
SLOW_HOURS = {3, 9, 15, 21}  # routed to a rep after 10 hours; the others after 2 minutes
UNACCEPTED_HOURS = {1, 5, 13, 17}  # never touched: not accepted once 24 hours have passed
TOML = BASE_TOML + '[report]\ntimezone = "UTC"\n'


@pytest.fixture
def identical_days(settings, tmp_path) -> DbOrg:
    """One lead an hour from Nov 2 to T, behaving by the hour of day only, and a flow version
    activated at T − 24 h."""
    path = tmp_path / "routing_health.toml"
    path.write_text(TOML)
    settings.ROUTING_HEALTH_CONFIG = str(path)
    org = DbOrg()
    created = FIRST
    while created <= T:
        wait = timedelta(hours=10) if created.hour in SLOW_HOURS else timedelta(minutes=2)
        routed = created + wait
        lead_id = org.lead(created_at=created, owner=REP if routed <= T else HOLDING,
                           owner_changes=((routed, REP),) if routed <= T else ())
        if routed > T:  # not routed yet: the history row does not exist yet either
            OwnerChange.objects.filter(lead_id=lead_id).delete()
        touch = routed + timedelta(hours=1)
        if created.hour not in UNACCEPTED_HOURS and touch <= T:
            Activity.objects.create(
                id=to_18(f"00T{org.count:012d}"), kind="Task", who_id=lead_id, lead_id=lead_id,
                seen_lead_id=lead_id, owner_id=REP, created_at=touch, system_modstamp=touch,
            )
        created += timedelta(hours=1)
    FlowVersionChange.objects.create(
        flow_api_name="Lead_Router", label="Lead Router", changed_at=T - timedelta(days=1)
    )
    compute_metrics(config=parse_config(TOML), as_of=T)
    return org


def naive(day: date) -> dict:
    """The old way: a day's metrics as of T, whatever its age."""
    return compute_export(parse_config(TOML), ExportRequest(day, day, (), T))["total"]


def test_the_naive_comparison_would_call_the_young_day_better(identical_days):
    """The premise, computed by hand from the pattern: the day after the activation (Nov 20,
    12 hours old) against the day before it (Nov 18, complete)."""
    before, after = naive(date(2026, 11, 18)), naive(date(2026, 11, 20))
    # Nov 18: 24 assigned, 4 of them after 600 min -> p95 = 600 (ranks 22..23 of 0..23 all 600).
    assert before["tta_p95_minutes"] == 600.0
    # Nov 20 by 12:00: the 03:00 and 09:00 leads are still waiting; 11 assigned, all at 2 min.
    assert after["tta_p95_minutes"] == 2.0
    # Nov 18: 24 assigned, none pending, 20 accepted -> 83.3 %. Nov 20: the 01:00 and 05:00
    # leads are still pending acceptance (under 24 h), so 100 % of the decided ones.
    assert before["acceptance_rate"] == pytest.approx(20 / 24)
    assert after["acceptance_rate"] == 1.0


def test_equal_age_sees_the_day_before_as_it_stood_48_hours_earlier(identical_days):
    config = parse_config(TOML)
    nov18, nov20 = (date(2026, 11, 18),) * 2, (date(2026, 11, 20),) * 2
    assert equal_age_as_of(nov18[0], nov20[0], T, ZoneInfo("UTC")) == T - timedelta(hours=48)
    compared = compare_at_equal_age(resolved_params(config), nov18, nov20, T)
    hand = compute_export(config, ExportRequest(*nov18, (), T - timedelta(hours=48)))["total"]
    # The catalog's METRICS (the export adds the fairness counts and the duplicates family).
    assert dict(compared.earlier.metrics) == {name: hand[name] for name in METRIC_NAMES}
    # Identical behaviour, equal age: every metric equal (13 leads created 00:00..12:00 each day).
    assert compared.earlier.metrics == compared.later.metrics
    assert compared.later.leads == 13 and compared.ready
    assert not compared.later.complete and compared.earlier.complete is False


def test_the_trends_table_does_not_call_the_younger_cohort_better(identical_days, signed_in):
    response = signed_in.get("/trends", {"start": "2026-11-14", "end": "2026-11-20"})
    comparison = next(c for c in response.context["comparisons"] if c.label == "Lead Router")
    assert comparison.after_label.startswith("Nov 20") and comparison.after_incomplete
    assert comparison.before_label.startswith("Nov 18")
    assert comparison.before_as_of == T - timedelta(hours=48)
    rows = {label: (before, after, delta) for label, before, after, delta in comparison.rows}
    for label in ("Time to assignment p95", "Acceptance rate"):
        before, after, delta = rows[label]
        assert before == after, label
        assert delta is not None and delta.verdict == "", (label, delta)
    # Kaplan–Meier: the 03:00 and 09:00 leads (2 of 13) are still waiting on both sides, so
    # S stays at 11/13 > 0.05 after the 2-minute waits: the p95 is not reached yet, only known
    # to exceed the longest time observed, the 03:00 lead's 9 hours of waiting so far.
    before, after, delta = rows["Time to assignment p95, Kaplan–Meier"]
    assert before == after == "more than 9 h" and delta is None
    body = " ".join(response.content.decode().split())
    assert "(better)" not in body
    assert "seen at the same age" in body


def test_the_weekly_review_compares_the_weeks_at_equal_age(identical_days):
    """W47 (Nov 16–22) as of T, 4.5 days old, against W46 as it stood 7 days earlier: with
    identical days every metric and every wait estimate is the same, so nothing is better."""
    from routing_health.reports.render import weekly_context
    from routing_health.reports.weekly import build_weekly_report

    report = build_weekly_report(parse_config(TOML), "2026-W47", T)
    assert report.previous_period.as_of == T - timedelta(days=7)
    assert report.total.current == report.total.previous
    assert {c.direction for c in report.total.changes.values()} <= {"same", "n/a"}
    waits = {w.metric: w for w in report.waits}
    p95 = waits["tta_p95_minutes"]
    # Exact p95 over the assigned: 4 slow leads of 24 a day -> 600 min on both weeks.
    assert p95.now_exact == p95.before_exact == 600.0
    assert p95.now_km == p95.before_km
    context = weekly_context(report)
    assert [w["label"] for w in context["waits"]][:2] == [
        "Time to assignment p50", "Time to assignment p95"]
    assert report.to_dict()["waits"][1]["now_km"] == {
        "value": p95.now_km.value, "at_least": p95.now_km.at_least}


def test_the_day_and_week_not_over_yet_are_drawn_as_incomplete(identical_days, signed_in):
    """T is Nov 20 12:00 UTC (report time zone UTC): Nov 20 and ISO week W47 are not over."""
    days = signed_in.get("/trends", {"start": "2026-11-14", "end": "2026-11-20"})
    body = " ".join(days.content.decode().split())
    assert "Fri Nov 20 (incomplete)" in body and "Thu Nov 19 (incomplete)" not in body
    chart = json.loads(
        re.search(r'<script id="trend-tta-p95-minutes" type="application/json">(.*?)</script>',
                  days.content.decode(), re.S).group(1)
    )
    symbols = chart["data"][0]["marker"]["symbol"]
    assert symbols == ["circle"] * 6 + ["circle-open"]
    band = [s for s in chart["layout"]["shapes"] if s["type"] == "rect"]
    assert [b["x0"] for b in band] == ["2026-11-19 12:00:00"]  # half a day before Nov 20
    assert "incomplete" in [a["text"] for a in chart["layout"]["annotations"]]
    weeks = signed_in.get("/trends", {"start": "2026-11-02", "end": "2026-11-20",
                                      "grain": "week"})
    text = " ".join(weeks.content.decode().split())
    assert "2026-W47 (Nov 16–Nov 22, partial, incomplete)" in text
    assert "2026-W46 (Nov 9–Nov 15)" in text
    overview = " ".join(
        signed_in.get("/", {"start": "2026-11-14", "end": "2026-11-20"}).content.decode().split()
    )
    assert "so far (the day is not over)" in overview and 'class="spark__tail"' in overview
