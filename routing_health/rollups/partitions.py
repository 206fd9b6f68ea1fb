"""A full recompute in partitions of leads, so memory is bounded by the partition's size and
several workers can share the work.

A partition is a range of local creation days (report timezone) holding about
``partition_leads`` leads; the first is open before, the last open after, so together they
cover every lead. Partitioning is exact because a lead's facts depend only on its own records
and the run's parameters, and because ``DailyRollup`` and ``RepRollup`` rows are per creation
day: the rows of different partitions never overlap, so each partition writes its own and
nothing is merged. The failure and queue rollups, aggregated in SQL over the stored facts, are
rewritten once after the last partition (``finish``).

Two ways to run the partitions (``rollups.service.compute_metrics``):

- in this process, one after the other, inside the run's one transaction (the default; on
  SQLite, the only writer, this is the only way);
- as django-q2 tasks (``compute_metrics --full --tasks``): the caller enqueues one task per
  partition, any worker of the cluster — on any machine sharing the database and the broker —
  takes one, replaces that partition's facts and rollup rows in its own transaction, and the
  caller waits for all of them, then finishes. While such a run is under way a page may show
  some days as of the new run and others as of the previous one (each day whole).
"""

from __future__ import annotations

import logging
import resource
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from routing_health.facts.frames import load_frames, local_days_utc
from routing_health.lib.columnar_upsert import insert_frame
from routing_health.lib.env import envfloat
from routing_health.metrics import MetricParams, lead_facts_of
from routing_health.models import DailyRollup, Lead, LeadFact, RepRollup
from routing_health.rollups.ops import insert_rep_rollups
from routing_health.rollups.rows import rollup_rows

log = logging.getLogger(__name__)

PARTITION_LEADS = 250_000
"""Default leads per partition: about 0.4 GB of peak memory on top of the process's own."""


@dataclass(frozen=True)
class Partition:
    """Leads created on the local days ``first_day``..``last_day`` (inclusive; None: open)."""

    index: int
    first_day: date | None
    last_day: date | None

    def describe(self) -> str:
        first = self.first_day.isoformat() if self.first_day else "the first lead"
        last = self.last_day.isoformat() if self.last_day else "the last lead"
        return f"partition {self.index + 1} ({first} to {last})"

    def as_kwargs(self) -> dict[str, object]:
        """JSON-ready, for a task's arguments."""
        return {
            "index": self.index,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
        }

    @classmethod
    def from_kwargs(cls, values: dict[str, object]) -> Partition:
        def day(value: object) -> date | None:
            return date.fromisoformat(str(value)) if value else None

        return cls(int(values["index"]), day(values["first_day"]), day(values["last_day"]))


def lead_partitions(timezone: str, partition_leads: int = PARTITION_LEADS) -> list[Partition]:
    """Ranges of local creation days of about ``partition_leads`` leads each (a day is never
    split: a partition may hold more when one day does)."""
    if partition_leads < 1:
        raise ValueError(f"partition_leads must be at least 1, got {partition_leads}")
    total = Lead.objects.count()
    count = max(1, -(-total // partition_leads))
    tz = ZoneInfo(timezone)
    ordered = Lead.objects.order_by("created_at").values_list("created_at", flat=True)
    starts = sorted({
        ordered[k * total // count].astimezone(tz).date() for k in range(1, count)
    })
    edges: list[date | None] = [None, *starts]
    return [
        Partition(i, first, (edges[i + 1] - timedelta(days=1)) if i + 1 < len(edges) else None)
        for i, first in enumerate(edges)
    ]


def utc_bounds(partition: Partition, timezone: str) -> tuple[datetime | None, datetime | None]:
    """The half-open UTC window ``[from, to)`` of the partition's local days."""
    tz = ZoneInfo(timezone)
    created_from = created_to = None
    if partition.first_day is not None:
        created_from = local_days_utc(partition.first_day, partition.first_day, tz)[0]
    if partition.last_day is not None:
        created_to = local_days_utc(partition.last_day, partition.last_day, tz)[1]
    return created_from, created_to


def compute_partition(
    partition: Partition,
    params: MetricParams,
    as_of: datetime,
    *,
    extra: Sequence[str],
    source: str | None,
    replace: bool,
) -> tuple[int, int]:
    """Compute and store the facts of the partition's leads and its days' daily and rep
    rollup rows; with ``replace`` first delete what is stored for those days (a task's run;
    the in-process run cleared every table first). Returns (facts, rollup rows) written."""
    from routing_health.rollups.service import FACT_INPUT, fact_frame

    started = time.monotonic()
    created_from, created_to = utc_bounds(partition, params.report_timezone)
    frames = load_frames(created_from=created_from, created_to=created_to, extra=extra)
    facts = lead_facts_of(frames, params, as_of)
    del frames
    frame = fact_frame(facts, params, as_of, source=source)
    del facts
    if replace:
        _clear_days(partition)
    insert_frame(LeadFact, frame)
    daily = rollup_rows(frame[list(FACT_INPUT)]) if len(frame) else []
    DailyRollup.objects.bulk_create(daily, batch_size=2_000)
    written = len(daily) + insert_rep_rollups(frame[list(FACT_INPUT)] if len(frame) else frame)
    log.info(
        "compute_metrics %s: %d lead facts, %d rollup rows in %.2fs",
        partition.describe(), len(frame), written, time.monotonic() - started,
    )
    return len(frame), written


def _clear_days(partition: Partition) -> None:
    """Delete the stored facts and daily/rep rollup rows of the partition's days."""
    for model, day_field in ((LeadFact, "created_day"), (DailyRollup, "day"), (RepRollup, "day")):
        rows = model.objects.all()
        if partition.first_day is not None:
            rows = rows.filter(**{f"{day_field}__gte": partition.first_day})
        if partition.last_day is not None:
            rows = rows.filter(**{f"{day_field}__lte": partition.last_day})
        rows.delete()


def run_partition_task(
    partition: dict[str, object], as_of: str, fingerprint: str
) -> dict[str, object]:
    """The django-q2 task of one partition (``compute_metrics --full --tasks``): recompute it
    in one transaction, with the configuration of the run that enqueued it (a worker whose
    configuration file differs refuses, naming both fingerprints)."""
    from routing_health.rollups.service import config_fingerprint, partition_inputs
    from routing_health.salesforce import runtime

    part = Partition.from_kwargs(partition)
    config = runtime.routing_config()
    params, extra, source = partition_inputs(config)
    own = config_fingerprint(config, params)
    if own != fingerprint:
        raise PartitionFailed(
            f"{part.describe()}: this worker's configuration (fingerprint {own}) differs from "
            f"the run's ({fingerprint}); deploy the same routing_health.toml to every worker"
        )
    started = time.monotonic()
    with transaction.atomic():
        facts, rows = compute_partition(
            part, params, datetime.fromisoformat(as_of), extra=extra, source=source, replace=True
        )
    return {
        "partition": part.index,
        "facts": facts,
        "rollup_rows": rows,
        "seconds": round(time.monotonic() - started, 3),
        # The worker's peak so far (a long-lived worker: the largest partition it has run).
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


__all__ = [
    "PARTITION_LEADS",
    "Partition",
    "PartitionFailed",
    "compute_partition",
    "lead_partitions",
    "run_partition_task",
    "run_partition_tasks",
    "utc_bounds",
]


class PartitionFailed(RuntimeError):
    """A partition task failed or did not finish in time; the message names it."""


def run_partition_tasks(
    parts: Sequence[Partition],
    as_of: datetime,
    fingerprint: str,
    say: Callable[[str], None],
    *,
    wait_seconds: float | None = None,
) -> tuple[int, int]:
    """Enqueue one django-q2 task per partition and wait until every one has finished;
    returns (facts, rollup rows) written. Raises ``PartitionFailed`` naming the partitions
    that failed (with their error) or that no worker finished within ``wait_seconds``
    (default ``COMPUTE_TASKS_WAIT_SECONDS``, 3600)."""
    from django_q.models import Task
    from django_q.tasks import async_task

    run_id = uuid.uuid4().hex
    group = f"compute-{run_id}"
    for part in parts:
        async_task(
            f"{__name__}.run_partition_task",
            part.as_kwargs(),
            as_of.isoformat(),
            fingerprint,
            group=group,
            task_name=f"compute-{run_id[:8]}-p{part.index + 1}",
        )
    limit = wait_seconds if wait_seconds is not None else envfloat(
        "COMPUTE_TASKS_WAIT_SECONDS", 3600.0)
    deadline = time.monotonic() + limit
    reported = 0
    while True:
        finished = list(Task.objects.filter(group=group).values("name", "success", "result"))
        if len(finished) > reported:
            reported = len(finished)
            say(f"compute_metrics: {reported} of {len(parts)} partition task(s) finished")
        if len(finished) >= len(parts) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    failed = [f"{t['name']}: {t['result']}" for t in finished if not t["success"]]
    if failed:
        raise PartitionFailed("compute_metrics partition task(s) failed: " + "; ".join(failed))
    if len(finished) < len(parts):
        raise PartitionFailed(
            f"compute_metrics: only {len(finished)} of {len(parts)} partition task(s) finished "
            f"within {limit:.0f}s; is a django-q2 cluster (manage.py qcluster) running?"
        )
    results = [t["result"] for t in finished]
    return sum(r["facts"] for r in results), sum(r["rollup_rows"] for r in results)
