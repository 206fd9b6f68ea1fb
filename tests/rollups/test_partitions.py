"""A full ``compute_metrics`` in partitions of leads (issue 18): the partitions cover every
lead once, and whether the leads are computed in one partition, in many, or as django-q2 tasks,
the stored facts and every rollup are the same."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_q.conf import Conf

from routing_health.models import (
    DailyRollup,
    FailureRollup,
    Lead,
    LeadFact,
    MetricsState,
    QueueRollup,
    RepRollup,
)
from routing_health.rollups.partitions import (
    Partition,
    PartitionFailed,
    lead_partitions,
    run_partition_task,
    run_partition_tasks,
)
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def stored() -> dict[str, list[tuple]]:
    """Every stored fact and rollup row, without surrogate keys, sorted."""
    tables = {}
    for model in (LeadFact, DailyRollup, RepRollup, FailureRollup, QueueRollup):
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        rows = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in model.objects.values_list(*names)
        ]
        tables[model.__name__] = sorted(rows, key=repr)
    return tables


def test_partitions_cover_every_lead_once(synced_org):
    tz = ZoneInfo(runtime.routing_config().report.timezone)
    parts = lead_partitions(str(tz), 100)
    days = [lead.created_at.astimezone(tz).date() for lead in Lead.objects.all()]
    assert len(days) == 400
    assert len(parts) == 4  # 400 leads, 100 a partition: three inner edges
    assert parts[0].first_day is None and parts[-1].last_day is None
    for before, after in pairwise(parts):
        assert (after.first_day - before.last_day).days == 1  # consecutive, no gap, no overlap

    def holds(part: Partition, day: date) -> bool:
        return (part.first_day is None or part.first_day <= day) and (
            part.last_day is None or day <= part.last_day
        )

    counts = [sum(holds(part, day) for day in days) for part in parts]
    assert sum(counts) == 400  # each lead in exactly one partition
    assert all(count > 0 for count in counts)


def test_one_partition_many_partitions_and_tasks_store_the_same(synced_org, monkeypatch):
    config = runtime.routing_config()
    one = compute_metrics(config=config, as_of=NOW, full=True, partition_leads=10**9)
    whole = stored()
    # One fact per lead not deleted and created by NOW.
    counted = Lead.objects.filter(is_deleted=False, created_at__lte=NOW).count()
    assert counted == 399  # the demo org deletes one of its 400 leads
    assert one.leads_recomputed == counted and len(whole["LeadFact"]) == counted
    assert whole["DailyRollup"] and whole["RepRollup"] and whole["FailureRollup"]

    many = compute_metrics(config=config, as_of=NOW, full=True, partition_leads=37)
    assert many.leads_recomputed == counted
    assert stored() == whole

    monkeypatch.setattr(Conf, "SYNC", True)  # each task runs as it is enqueued
    tasks = compute_metrics(config=config, as_of=NOW, full=True, partition_leads=60, tasks=True)
    assert tasks.leads_recomputed == counted
    assert stored() == whole
    assert MetricsState.objects.get().as_of == NOW


def test_the_facts_keep_their_indexes_after_a_full_run(synced_org):
    """SQLite drops and rebuilds them around the bulk insert (``lib.upsert.bulk_load``)."""
    table = LeadFact._meta.db_table

    def indexes() -> list[str]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        return sorted(name for name, info in found.items() if info["index"]
                      and not info["primary_key"] and name in declared)

    declared = {index.name for index in LeadFact._meta.indexes}
    assert indexes() == sorted(declared)
    compute_metrics(config=runtime.routing_config(), as_of=NOW, full=True, partition_leads=100)
    assert indexes() == sorted(declared)


def test_a_worker_with_another_configuration_refuses(synced_org):
    part = Partition(0, None, None).as_kwargs()
    with pytest.raises(PartitionFailed, match=r"partition 1 \(the first lead to the last lead\)"
                       r": this worker's configuration \(fingerprint \w+\) differs from the "
                       r"run's \(0123456789abcdef\)"):
        run_partition_task(part, NOW.isoformat(), "0123456789abcdef")
    assert not LeadFact.objects.exists()


def test_no_worker_is_a_clear_error(synced_org, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", "default")
    parts = lead_partitions(runtime.routing_config().report.timezone, 200)
    with pytest.raises(PartitionFailed, match=r"only 0 of 2 partition task\(s\) finished within "
                       r"0s; is a django-q2 cluster \(manage.py qcluster\) running\?"):
        run_partition_tasks(parts, NOW, "f", lambda _m: None, wait_seconds=0.3)
