"""The Reps, Failures and Queues rollups: equal to the stored facts, and an incremental run
leaves exactly what a full one writes."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import numpy as np
import pytest

from routing_health.models import FailureRollup, Lead, LeadFact, QueueRollup, RepRollup
from routing_health.rollups.ops import age_buckets, write_queue_rollups
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def rep_table() -> dict:
    return {
        (r.key, r.day, r.region, r.tier, r.source, r.rep): (
            r.assigned, r.accepted, r.acceptance_base, r.touched, r.bounced, r.rejected,
            bytes(r.tta_values), bytes(r.first_touch_values),
        )
        for r in RepRollup.objects.all()
    }


def failure_table() -> dict:
    return {
        (r.day, r.region, r.tier, r.source, r.reason): (r.failed, r.first_at, r.last_at)
        for r in FailureRollup.objects.all()
    }


def queue_table() -> dict:
    return {
        (r.day, r.region, r.tier, r.source, r.queue, r.bucket): (
            r.queued, r.oldest_entered_at, r.first_day, r.last_day,
        )
        for r in QueueRollup.objects.all()
    }


def tables() -> tuple[dict, dict, dict]:
    return rep_table(), failure_table(), queue_table()


def test_rep_rows_hold_each_lead_under_every_tier_and_source_grouping(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    facts = list(LeadFact.objects.exclude(first_rep=""))
    assert facts
    expected: dict[tuple, list] = defaultdict(lambda: [0, []])
    for fact in facts:
        for tier in (fact.tier, None):
            for source in (fact.source, None):
                entry = expected[(fact.created_day, fact.region, tier, source, fact.first_rep)]
                entry[0] += 1
                if fact.tta_minutes is not None:
                    entry[1].append(fact.tta_minutes)
    stored = {
        (r.day, r.region, r.tier, r.source, r.rep): r for r in RepRollup.objects.all()
    }
    assert set(stored) == set(expected)
    for key, (assigned, tta) in expected.items():
        assert stored[key].assigned == assigned
        values = np.frombuffer(bytes(stored[key].tta_values), dtype=np.float64)
        assert values.tolist() == sorted(tta)


def test_failure_rows_count_the_failed_facts_with_first_and_last(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    expected: dict[tuple, list] = {}
    for fact in LeadFact.objects.filter(outcome="failed"):
        key = (fact.created_day, fact.region, fact.tier, fact.source, fact.failure_reason)
        entry = expected.setdefault(key, [0, fact.created_at, fact.created_at])
        entry[0] += 1
        entry[1], entry[2] = min(entry[1], fact.created_at), max(entry[2], fact.created_at)
    assert expected
    assert failure_table() == {key: tuple(value) for key, value in expected.items()}


def test_queue_rows_count_every_queued_fact_once_per_day_and_once_over_all_days(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    queued = LeadFact.objects.filter(queued=True).count()
    assert queued
    assert sum(r.queued for r in QueueRollup.objects.filter(day__isnull=True)) == queued
    assert sum(r.queued for r in QueueRollup.objects.filter(day__isnull=False)) == queued


def test_queue_buckets_put_an_age_equal_to_an_edge_in_the_lower_bucket(db):
    limit = 24.0
    ages = [
        timedelta(0), timedelta(hours=1), timedelta(hours=1, microseconds=1),
        timedelta(hours=24), timedelta(hours=24, microseconds=1), timedelta(days=30),
        -timedelta(minutes=5),  # entered after the metrics time: the youngest bucket
    ]
    LeadFact.objects.bulk_create(
        LeadFact(
            lead_id=f"00Q00000000000{n}AAA", created_at=NOW - age, created_day=NOW.date(),
            region="AMER", tier="hot", outcome="succeeded", queued=True,
            queue_owner="00G000000000001AAA", queue_entered_at=NOW - age,
        )
        for n, age in enumerate(ages)
    )
    write_queue_rollups(NOW, limit)
    buckets = age_buckets(limit)
    per_bucket = {
        r.bucket: r.queued for r in QueueRollup.objects.filter(day__isnull=True)
    }
    assert per_bucket == {0: 3, 1: 1, 2: 1, 3: 1, len(buckets) - 1: 1}
    assert buckets[2].high_hours == limit and not buckets[2].over_limit
    assert buckets[3].over_limit
    by_day = QueueRollup.objects.filter(day=NOW.date())
    assert sum(r.queued for r in by_day) == len(ages)


def test_an_incremental_run_leaves_the_same_ops_rollups_as_a_full_one(synced_org):
    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW - timedelta(days=2))
    # Leads change between the runs: one moves region, one is deleted.
    moved = Lead.objects.filter(is_deleted=False).exclude(owner_id="").order_by("created_at")[3]
    moved.region = "APAC" if moved.region != "APAC" else "EMEA"
    moved.save()
    gone = Lead.objects.filter(is_deleted=False).order_by("-created_at")[5]
    gone.is_deleted = True
    gone.save()
    later = compute_metrics(config=config, as_of=NOW)
    assert later.mode == "incremental"
    incremental = tables()
    compute_metrics(config=config, as_of=NOW, full=True)
    full = tables()
    for name, a, b in zip(("rep", "failure", "queue"), incremental, full, strict=True):
        assert a == b, name
    assert all(full)


def test_a_lead_that_stops_failing_leaves_the_failure_rollup(synced_org):
    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW)
    fact = LeadFact.objects.filter(outcome="failed").exclude(failure_reason="").first()
    key = (fact.created_day, fact.region, fact.tier, fact.source, fact.failure_reason)
    before = failure_table()[key][0]
    lead = Lead.objects.get(pk=fact.lead_id)
    lead.is_deleted = True
    lead.save()
    compute_metrics(config=config, as_of=NOW + timedelta(seconds=1))
    assert failure_table().get(key, (0,))[0] == before - 1
