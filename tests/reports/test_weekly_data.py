"""``build_weekly_report``: the weekly review's numbers are the export's numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError

from routing_health.metrics import METRIC_NAMES
from routing_health.models import AlertIncident, FlowVersionChange, IncidentEvent, Lead
from routing_health.reports.changes import change
from routing_health.reports.export import compute_export, parse_request
from routing_health.reports.weekly import build_weekly_report
from routing_health.reports.weeks import WeekError
from tests.conftest import NOW

W46 = ("2026-11-09", "2026-11-15")
W45 = ("2026-11-02", "2026-11-08")


def export(config, start, end, by, as_of):
    request = parse_request(
        config, start=start, end=end, by=by, as_of=as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    return compute_export(config, request)


def metrics(row):
    return {name: row[name] for name in METRIC_NAMES}


def current_rows(rows, keys):
    return {tuple(r.keys[k] for k in keys): dict(r.current) for r in rows if r.current}


def previous_rows(rows, keys):
    return {tuple(r.keys[k] for k in keys): dict(r.previous) for r in rows if r.previous}


def test_the_numbers_equal_the_export_by_region_and_tier_and_in_total(config):
    report = build_weekly_report(config, "2026-W46", NOW)
    document = export(config, *W46, "region,tier", NOW)
    expected = {(r["region"], r["tier"]): metrics(r) for r in document["rows"]}
    assert current_rows(report.segments, ("region", "tier")) == expected
    assert dict(report.total.current) == metrics(document["total"])
    assert document["total"]["leads"] > 0


def test_the_numbers_equal_the_export_by_region_and_by_tier(config):
    report = build_weekly_report(config, "2026-W46", NOW)
    for key, rows in (("region", report.regions), ("tier", report.tiers)):
        document = export(config, *W46, key, NOW)
        assert current_rows(rows, (key,)) == {(r[key],): metrics(r) for r in document["rows"]}


def test_the_previous_week_is_the_export_of_that_week_as_of_seven_days_earlier(config):
    report = build_weekly_report(config, "2026-W46", NOW)
    earlier = NOW - timedelta(days=7)
    document = export(config, *W45, "region,tier", earlier)
    assert report.previous_period.week == "2026-W45"
    assert report.previous_period.as_of == earlier
    expected = {(r["region"], r["tier"]): metrics(r) for r in document["rows"]}
    assert previous_rows(report.segments, ("region", "tier")) == expected
    assert dict(report.total.previous) == metrics(document["total"])


def test_the_default_week_is_the_last_complete_iso_week(config):
    report = build_weekly_report(config, None, NOW)
    assert report.period.week == "2026-W46"
    assert (report.period.start.isoformat(), report.period.end.isoformat()) == W46
    assert report.period.complete


def test_a_partial_week_is_flagged_and_compared_at_the_same_point_of_the_week(config):
    report = build_weekly_report(config, "2026-W47", NOW)
    assert not report.period.complete
    assert not report.previous_period.complete
    assert report.previous_period.as_of == NOW - timedelta(days=7)


def test_a_week_that_starts_after_the_report_time_is_rejected(config):
    with pytest.raises(WeekError, match="2026-W48 starts on 2026-11-23"):
        build_weekly_report(config, "2026-W48", NOW)


def test_the_daily_points_are_the_export_by_day(config):
    report = build_weekly_report(config, "2026-W46", NOW)
    rows = {r["day"]: r for r in export(config, *W46, "day", NOW)["rows"]}
    assert [p.day.isoformat() for p in report.daily] == [f"2026-11-{d:02d}" for d in range(9, 16)]
    for point in report.daily:
        row = rows.get(point.day.isoformat(), {"leads": 0, "assignment_success_rate": None})
        assert point.leads == row["leads"]
        assert point.assignment_success_rate == row["assignment_success_rate"]
    assert sum(p.leads for p in report.daily) == report.total.current["leads"]


def test_the_failure_reasons_are_the_export_by_failure_reason_with_counts(config):
    report = build_weekly_report(config, "2026-W47", NOW)
    rows = export(config, "2026-11-16", "2026-11-22", "failure_reason", NOW)["rows"]
    expected = {r["failure_reason"]: r["failed"] for r in rows if r["failure_reason"]}
    assert {r.reason: r.count for r in report.failure_reasons if r.count} == expected
    assert sum(r.count for r in report.failure_reasons) == report.total.current["failed"]
    counts = [r.count for r in report.failure_reasons]
    assert counts == sorted(counts, reverse=True)


def test_the_demo_incident_is_the_top_failure_reason(config, synced_org):
    report = build_weekly_report(config, "2026-W47", NOW)
    assert report.top_failure_reason.reason == synced_org.facts["incident"]["failed_node"]


def test_the_rejection_reasons_add_up_to_the_rejected_leads(config):
    report = build_weekly_report(config, "2026-W46", NOW)
    assert sum(r.count for r in report.rejection_reasons) == report.total.current["rejected"]
    assert sum(r.previous for r in report.rejection_reasons) == report.total.previous["rejected"]
    assert report.rejection_reasons[0].count >= report.rejection_reasons[-1].count


def test_the_worst_served_leads_put_failed_routing_first_with_links(config):
    report = build_weekly_report(config, "2026-W47", NOW)
    worst = report.worst_leads
    assert len(worst) == 5
    assert [lead.problem for lead in worst] == ["routing failed"] * 5
    first = worst[0]
    assert first.salesforce_url == (
        f"https://acme.my.salesforce.com/lightning/r/Lead/{first.lead_id}/view"
    )
    assert first.dashboard_url == f"https://health.example.com/leads/{first.lead_id}"
    assert first.what_went_wrong.startswith("Routing failed: ")


def test_the_worst_served_leads_rank_unassigned_leads_by_their_wait_against_the_sla(
    config, synced_org
):
    # Without the incident's failed leads (ranked first), the APAC backlog's leads, waiting
    # past their assignment SLA, are the week's worst served.
    Lead.objects.filter(id__in=synced_org.facts["incident"]["failed_lead_ids"]).delete()
    assert synced_org.facts["backlog"]["lead_ids"]
    report = build_weekly_report(config, "2026-W47", NOW)
    problems = [lead.problem for lead in report.worst_leads]
    order = {"routing failed": 0, "slow assignment": 1, "slow touch": 2}
    assert [order[p] for p in problems] == sorted(order[p] for p in problems)
    slow = [lead for lead in report.worst_leads if lead.problem == "slow assignment"]
    assert slow, "the demo backlog has leads waiting past their assignment SLA"
    assert "(assignment SLA" in slow[0].what_went_wrong


def test_week_over_week_changes_are_points_for_rates_and_relative_for_minutes():
    assert change("assignment_success_rate", 0.97, 0.99).value == pytest.approx(-2.0)
    assert change("assignment_success_rate", 0.97, 0.99).direction == "worse"
    assert change("tta_p95_minutes", 15.0, 10.0).value == pytest.approx(0.5)
    assert change("tta_p95_minutes", 15.0, 10.0).direction == "worse"
    assert change("rejection_rate", 0.05, 0.08).direction == "better"
    assert change("leads", 120, 100).value == 20
    assert change("leads", 120, 100).direction == "neutral"
    assert change("tta_p95_minutes", 5.0, None).value is None
    assert change("bounce_rate", 0.1000, 0.1001).direction == "same"


def test_alert_episodes_firing_during_the_week_are_listed(config):
    week_start = datetime(2026, 11, 9, 5, tzinfo=UTC)  # Monday 00:00 New York

    def incident(fingerprint, first_seen, resolved_at=None, episode=1):
        row = AlertIncident.objects.create(
            fingerprint=fingerprint, rule="routing_failures", region="EMEA", tier="hot",
            failure_reason="Decision: Assign by Territory", first_seen=first_seen,
            last_seen=first_seen, episode=episode,
            state="resolved" if resolved_at else "firing", resolved_at=resolved_at,
            threshold=1.0, comparison=">=", details={"title": "Routing failures: X"},
        )
        IncidentEvent.objects.create(incident=row, episode=episode, at=first_seen, kind="fired",
                                     value=3.0)
        if resolved_at:
            IncidentEvent.objects.create(incident=row, episode=episode, at=resolved_at,
                                         kind="resolved")
        return row

    incident("in-week", week_start + timedelta(days=2), week_start + timedelta(days=2, hours=3))
    incident("ongoing", week_start - timedelta(days=1))
    incident("over-before", week_start - timedelta(days=3), week_start - timedelta(days=2))
    incident("after", week_start + timedelta(days=8))
    report = build_weekly_report(config, "2026-W46", NOW)
    assert [(a.started_before, a.ended_at is None) for a in report.anomalies] == [
        (True, True),
        (False, False),
    ]
    assert report.anomalies[1].title == "Routing failures: X"
    assert report.anomalies[1].value == 3.0


def test_the_report_says_alerts_are_unavailable_when_their_tables_cannot_be_read(
    config, monkeypatch
):
    def broken(*args, **kwargs):
        raise DatabaseError("no such table: routing_health_alertincident")

    monkeypatch.setattr(AlertIncident.objects, "filter", broken)
    report = build_weekly_report(config, "2026-W46", NOW)
    assert report.anomalies is None


def test_flow_version_changes_during_the_week_are_listed(config):
    FlowVersionChange.objects.all().delete()
    inside = datetime(2026, 11, 12, 15, tzinfo=UTC)
    for at in (inside, datetime(2026, 11, 8, 12, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC)):
        FlowVersionChange.objects.create(
            flow_api_name="Lead_Router", label="Lead Router", old_active_version_id="301A",
            new_active_version_id="301B", changed_at=at,
        )
    report = build_weekly_report(config, "2026-W46", NOW)
    assert [c.changed_at for c in report.flow_changes] == [inside]


def test_the_report_data_is_plain_json(config):
    document = build_weekly_report(config, "2026-W46", NOW).to_dict()
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text)["period"]["week"] == "2026-W46"
    assert document["total"]["changes"]["assignment_success_rate"]["kind"] == "pp"


def test_a_business_hours_tier_is_judged_on_its_business_time_p95_like_the_alerts(config):
    report = build_weekly_report(config, "2026-W46", NOW)
    assert report.tier_clock["warm"] == "business" and report.tier_clock["hot"] == "wall"
    for row in report.segments:
        if not row.current:
            continue
        check = next(c for c in row.targets if c.metric == "tta_p95_minutes")
        sla = config.tiers.sla[row.keys["tier"]]
        calendar = config.calendar_for(row.keys["region"] or "")
        if sla.clock == "business" and calendar is not None:
            assert check.clock == "business"
            assert check.value == row.current["tta_p95_business_minutes"]
        else:
            assert check.clock == "wall"
            assert check.value == row.current["tta_p95_minutes"]
        assert check.threshold == sla.assign_minutes


def test_an_episode_that_fires_exactly_at_the_end_of_the_week_belongs_to_the_next_week(config):
    week_start = datetime(2026, 11, 9, 5, tzinfo=UTC)  # Monday 00:00 New York
    week_end = datetime(2026, 11, 16, 5, tzinfo=UTC)  # the next Monday 00:00 (EST both)
    in_week, resolved = week_start + timedelta(days=1), week_start + timedelta(days=1, hours=2)
    row = AlertIncident.objects.create(
        fingerprint="refired", rule="routing_failures", region="EMEA", tier="hot",
        failure_reason="Decision: Assign by Territory", first_seen=week_end, last_seen=week_end,
        episode=2, state="firing", threshold=1.0, comparison=">=",
        details={"title": "Routing failures: X"},
    )
    for episode, at, kind in ((1, in_week, "fired"), (1, resolved, "resolved"),
                              (2, week_end, "fired")):
        IncidentEvent.objects.create(incident=row, episode=episode, at=at, kind=kind, value=3.0)
    report = build_weekly_report(config, "2026-W46", NOW)
    assert [(a.started_at, a.ended_at) for a in report.anomalies] == [(in_week, resolved)]
