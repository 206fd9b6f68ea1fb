"""The monthly fairness review and the export's fairness counts on the demo org (issue 17): the
expected numbers are the synthetic generator's own ground truth, not the engine's."""

from __future__ import annotations

import io
import json
from datetime import datetime

from django.core.management import call_command

from routing_health.models import FairnessReview, SalesforceUser


def _now(synthetic) -> datetime:
    return datetime.fromisoformat(str(synthetic.facts["now"]).replace("Z", "+00:00"))


def _export(synthetic, *args: str) -> dict:
    now, start = _now(synthetic), str(synthetic.facts["start"])[:10]
    out = io.StringIO()
    call_command("export_metrics", "--start", start, "--end", now.date().isoformat(),
                 "--as-of", now.strftime("%Y-%m-%dT%H:%M:%SZ"), *args, stdout=out)
    return json.loads(out.getvalue())


def test_open_leads_owned_by_the_demo_inactive_rep_are_the_generators_count(synced_org):
    inactive = synced_org.facts["inactive_rep"]
    total = _export(synced_org)["total"]
    assert total["open_with_inactive_owner"] == inactive["open_leads_owned"] > 0


def test_first_assignments_to_the_demo_inactive_rep_are_at_most_all_its_assignments(synced_org):
    inactive = synced_org.facts["inactive_rep"]
    document = _export(synced_org, "--by", "first_rep")
    rows = {row["first_rep"]: row for row in document["rows"]}
    sent = rows[inactive["id"]]["leads_to_inactive_rep"]
    # The generator counts every owner change to the rep after deactivation; the metric counts
    # leads whose first rep it was, so it is between 1 and that.
    assert 0 < sent <= inactive["assignments_after_deactivation"]
    assert sum(row["leads_to_inactive_rep"] for row in document["rows"]) == sent
    assert document["total"]["leads_to_out_of_office_rep"] == 0  # no out-of-office field


def test_the_command_writes_and_stores_the_month(synced_org, tmp_path):
    now = _now(synced_org)
    month = now.strftime("%Y-%m")
    out = io.StringIO()
    path = tmp_path / "fairness.html"
    call_command("fairness_review", "--month", month, "--as-of",
                 now.strftime("%Y-%m-%dT%H:%M:%SZ"), "--output", str(path), stdout=out)
    assert out.getvalue().splitlines()[0] == str(path)
    stored = FairnessReview.objects.get(month=month)
    assert stored.html == path.read_text()
    assert not stored.complete  # as of a day inside the month
    regions = {p["pool"] for p in stored.summary["pools"]}
    assert regions <= {*synced_org.facts["regions"], "Unknown", "(no region)"}
    assert "AMER" in regions
    names = [u["rep_id"] for u in stored.summary["unavailable"]]
    assert synced_org.facts["inactive_rep_id"] in names


def test_rep_names_are_escaped_in_the_review(synced_org, tmp_path):
    now = _now(synced_org)
    SalesforceUser.objects.filter(id=synced_org.facts["inactive_rep_id"]).update(
        name="<script>alert(1)</script>")
    path = tmp_path / "fairness.html"
    call_command("fairness_review", "--month", now.strftime("%Y-%m"), "--as-of",
                 now.strftime("%Y-%m-%dT%H:%M:%SZ"), "--output", str(path), stdout=io.StringIO())
    text = path.read_text()
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_future_month_is_refused(synced_org):
    import pytest
    from django.core.management.base import CommandError

    now = _now(synced_org)
    with pytest.raises(CommandError, match="has not started yet"):
        call_command("fairness_review", "--month", f"{now.year + 1}-01", "--as-of",
                     now.strftime("%Y-%m-%dT%H:%M:%SZ"), stdout=io.StringIO())


def test_the_weekly_schedule_writes_the_month_before_on_the_first_at_9_local(synced_org):
    from datetime import UTC

    from routing_health.jobs import tasks as jobs

    first_nine = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # Tuesday 09:00 EST
    before = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 08:00: not due yet
    assert jobs.run_weekly_report(now=before, timezone_name="America/New_York")[
        "status"] == "skipped"
    assert not FairnessReview.objects.exists()
    result = jobs.run_weekly_report(now=first_nine, timezone_name="America/New_York")
    assert result["status"] == "skipped"  # the weekly review waits for Monday
    stored = FairnessReview.objects.get()
    assert (stored.month, stored.complete) == ("2026-11", True)
    jobs.run_weekly_report(now=first_nine.replace(hour=15), timezone_name="America/New_York")
    assert FairnessReview.objects.get().generated_at == stored.generated_at  # once a month


def test_the_demo_rep_taking_the_inactive_reps_leads_overloads_amer_in_that_week(synced_org):
    # The generator sends the AMER leads its inactive rep no longer takes (from its
    # deactivation on Tue 10 Nov, ISO week 46) to the first AMER rep
    # (synthetic_timeline._still_active) and spreads every other lead uniformly over the pool:
    # the one week judged uneven is AMER's week 46, its most loaded rep that first rep.
    from routing_health.reports.fairness import build_fairness_review
    from routing_health.salesforce import runtime

    review = build_fairness_review(runtime.routing_config(), "2026-11", _now(synced_org))
    assert {(p.pool, p.period) for p in review.weeks if p.flagged} == {("AMER", "2026-W46")}
    amer = [r for r in review.reps if r.pool == "AMER"]
    assert max(amer, key=lambda r: r.leads).rep_id == synced_org.facts["owners"]["reps"]["AMER"][0]


def test_the_rule_fires_on_the_demos_amer_pool_at_the_end_of_week_46(synced_org):
    from routing_health.alerts.service import run_evaluation
    from routing_health.salesforce import runtime

    end_of_w46 = datetime.fromisoformat("2026-11-16T05:00:00+00:00")  # Monday 00:00 EST
    report = run_evaluation(config=runtime.routing_config(), as_of=end_of_w46,
                            transport=None, dry_run=True)
    found = [f for f in report.findings if f.rule == "distribution_imbalance"]
    assert [f.failure_reason for f in found] == ["AMER"]
    top_name = found[0].reasons[0][0]
    first_rep = synced_org.facts["owners"]["reps"]["AMER"][0]
    assert SalesforceUser.objects.get(id=first_rep).name == top_name
