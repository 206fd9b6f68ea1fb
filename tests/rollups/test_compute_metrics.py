"""``compute_metrics``: stored rollups that equal the exact export, kept fresh incrementally."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from bench.bench_pages import _config_toml
from routing_health.lib.sfid import to_18
from routing_health.metrics import DUPLICATE_NAMES, METRIC_NAMES
from routing_health.metrics.catalog import availability_names
from routing_health.models import DailyRollup, Lead, LeadFact, MetricsState
from routing_health.reports.export import compute_export, parse_request
from routing_health.rollups.selectors import Segment, in_rollups, rollup_metrics
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def exported(by: str, start: str, end: str) -> dict:
    config = runtime.routing_config()
    request = parse_request(config, start=start, end=end, by=by, as_of=NOW.isoformat())
    return compute_export(config, request)


def assert_same(rollup: dict, export: dict) -> None:
    """Every metric the rollups merge equals the export's; the export's fairness counts (issue
    17) are computed from lead facts and users, not stored in the rollups."""
    fairness = set(availability_names()) | set(DUPLICATE_NAMES)  # and the duplicates family
    assert set(export) - set(rollup) <= fairness
    for name, value in export.items():
        if name in fairness:
            continue
        if name in METRIC_NAMES and not in_rollups(name):
            assert rollup[name] is None, name  # input quality: computed from leads only
        elif isinstance(value, float):
            assert rollup[name] == pytest.approx(value, rel=1e-12, abs=1e-9), name
        else:
            assert rollup[name] == value, name


def test_rollups_equal_the_export_by_region_and_tier(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    segment = Segment(start=date(2026, 11, 1), end=date(2026, 11, 19))
    rows = rollup_metrics(segment, by=("region", "tier"))
    document = exported("region,tier", "2026-11-01", "2026-11-19")
    assert len(rows) == len(document["rows"])
    for rollup, export in zip(rows, document["rows"], strict=True):
        assert_same(rollup, export)


def test_rollups_equal_the_export_by_day(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    rows = rollup_metrics(Segment(start=date(2026, 11, 10), end=date(2026, 11, 20)), by=("day",))
    document = exported("day", "2026-11-10", "2026-11-20")
    assert [r["day"] for r in rows] == [r["day"] for r in document["rows"]]
    for rollup, export in zip(rows, document["rows"], strict=True):
        assert_same(rollup, export)


def test_an_incremental_run_recomputes_only_changed_and_due_leads(synced_org):
    config = runtime.routing_config()
    first = compute_metrics(config=config, as_of=NOW)
    assert first.mode == "full"
    again = compute_metrics(config=config, as_of=NOW)
    assert again.mode == "incremental"
    assert again.leads_recomputed == 0
    lead = Lead.objects.order_by("created_at").first()
    lead.save()  # a re-synced lead (its synced_at moves)
    later = compute_metrics(config=config, as_of=NOW + timedelta(seconds=1))
    assert later.mode == "incremental"
    assert 1 <= later.leads_recomputed < LeadFact.objects.count()


def test_an_incremental_run_equals_a_full_one(synced_org):
    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW - timedelta(days=2))
    compute_metrics(config=config, as_of=NOW)
    incremental = rollup_metrics(Segment(date(2026, 10, 1), date(2026, 11, 20)), by=("day",))
    compute_metrics(config=config, as_of=NOW, full=True)
    full = rollup_metrics(Segment(date(2026, 10, 1), date(2026, 11, 20)), by=("day",))
    assert incremental == full


def test_a_deleted_lead_leaves_the_rollups(synced_org):
    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW)
    before = sum(r.leads for r in DailyRollup.objects.all())
    lead = Lead.objects.filter(is_deleted=False).first()
    lead.is_deleted = True
    lead.save()
    compute_metrics(config=config, as_of=NOW + timedelta(seconds=1))
    assert sum(r.leads for r in DailyRollup.objects.all()) == before - 1
    assert not LeadFact.objects.filter(lead_id=lead.id).exists()


def test_empty_rollups_give_null_rates_not_zero(db):
    (row,) = rollup_metrics(Segment(date(2026, 1, 1), date(2026, 1, 7)))
    assert row["leads"] == 0
    assert row["assignment_success_rate"] is None
    assert row["tta_p95_minutes"] is None


def test_the_command_prints_a_summary(synced_org):
    out = io.StringIO()
    call_command("compute_metrics", "--as-of", NOW.isoformat(), stdout=out)
    assert "compute_metrics full:" in out.getvalue()
    assert MetricsState.objects.get(pk=1).as_of == NOW


def test_a_lead_moving_segment_moves_its_contribution_exactly(synced_org):
    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW)
    moved = Lead.objects.filter(is_deleted=False, region="AMER").order_by("created_at").first()
    moved.region = "APAC"
    moved.save()
    later = compute_metrics(config=config, as_of=NOW + timedelta(seconds=1))
    assert later.mode == "incremental" and later.leads_recomputed >= 1
    segment = Segment(date(2026, 10, 1), date(2026, 11, 20))
    incremental = rollup_metrics(segment, by=("day", "region", "tier"))
    compute_metrics(config=config, as_of=NOW + timedelta(seconds=1), full=True)
    assert incremental == rollup_metrics(segment, by=("day", "region", "tier"))


FINGERPRINT = """
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "routing_health.settings")
django.setup()
from routing_health.salesforce import runtime
from routing_health.facts.params import params_from_config
from routing_health.rollups.service import config_fingerprint
config = runtime.routing_config()
print(config_fingerprint(config, params_from_config(config)))
"""


@pytest.mark.django_db(False)
def test_the_config_fingerprint_is_the_same_in_every_process(tmp_path):
    """A new process must not see a changed configuration (and recompute everything) because
    its string hash seed orders the holding/fallback/status sets differently."""
    ids = [to_18(f"00G00000000000{n}") for n in range(4)]
    routing_config_path = tmp_path / "routing_health.toml"
    routing_config_path.write_text(_config_toml((ids[0], ids[1]), (ids[2], ids[3])))
    prints = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "DJANGO_DEBUG": "1",
               "ROUTING_HEALTH_CONFIG": str(routing_config_path)}
        done = subprocess.run([sys.executable, "-c", FINGERPRINT], env=env, capture_output=True,
                              text=True, check=False, cwd=Path(__file__).parents[2])
        assert done.returncode == 0, done.stderr
        prints.add(done.stdout.strip())
    assert len(prints) == 1 and len(prints.pop()) == 16


def test_a_lead_whose_grace_ends_at_the_compute_is_recomputed_just_after(synced_org):
    """Routing grace ending exactly at the compute's instant: the lead is pending then (the
    spec's "older than" is strict) and failed a minute later. The next incremental run must
    take it (``next_change_at`` once skipped a deadline equal to the run's own instant)."""
    from datetime import timedelta

    from routing_health.facts.calendars import resolved_params

    config = runtime.routing_config()
    params = resolved_params(config)
    created = NOW - timedelta(minutes=params.routing_grace_minutes)
    template = Lead.objects.order_by("id").first()
    Lead.objects.create(id=to_18("00Q000000GRACE1"), name="Grace", created_at=created,
                        system_modstamp=created, owner_id=sorted(params.holding)[0],
                        status=template.status, region=template.region, tier=template.tier)
    compute_metrics(config=config, as_of=NOW, full=True)
    assert LeadFact.objects.get(lead_id=to_18("00Q000000GRACE1")).outcome == "pending"
    later = compute_metrics(config=config, as_of=NOW + timedelta(minutes=1))
    assert later.mode == "incremental"
    assert LeadFact.objects.get(lead_id=to_18("00Q000000GRACE1")).outcome == "failed"
