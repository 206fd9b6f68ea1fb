"""Rollups of the operational pages (Reps, Failures, Queues), written by ``compute_metrics``
beside ``DailyRollup`` so those pages read a few rows per day, never the facts of every lead.

- ``RepRollup``: per creation day × region × first rep × tier × source, with "every tier" and
  "every source" rows (grouping sets), counts and the sorted TTA / first-touch values (exact
  medians over any range). A full run builds it from the fact frame; an incremental run moves
  the recomputed leads' contributions, like ``rollup_delta`` does for ``DailyRollup``.
- ``FailureRollup``: failed leads per creation day × segment × failure reason, with the first
  and last creation instants, aggregated in SQL over the stored facts: all of them on a full
  run, the days whose failed leads changed on an incremental one.
- ``QueueRollup``: queued leads per queue × age bucket × segment, per creation day and over
  every day. Every run rewrites it from the stored queued facts: their ages move with
  ``as_of``.

The frames passed in are stored facts: ``ROLLUP_INPUT`` plus ``OPS_INPUT`` columns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, Max, Min, QuerySet

from routing_health.lib.format import format_hours
from routing_health.lib.sql import sql_datetime
from routing_health.lib.upsert import insert_rows, upsert
from routing_health.models import FailureRollup, LeadFact, QueueRollup, RepRollup
from routing_health.rollups.delta import moved_values
from routing_health.rollups.rows import sorted_groups

OPS_INPUT = ("created_at", "failure_reason", "first_rep")
ALL = "\x00"  # in frames only: "every tier" / "every source" (stored as NULL)
KEY_CHUNK = 2_000

REP_KEYS = ["day", "region", "tier", "source", "rep"]
REP_COUNTS = ("assigned", "accepted", "acceptance_base", "touched", "bounced", "rejected")
REP_VALUES = {"tta_values": "tta_minutes", "first_touch_values": "first_touch_minutes"}
REP_FIELDS = ("key", *REP_KEYS, *REP_COUNTS, *REP_VALUES)

FAILURE_FIELDS = ("day", "region", "tier", "source", "reason", "failed", "first_at", "last_at")

QUEUE_FIELDS = (
    "day",
    "region",
    "tier",
    "source",
    "queue",
    "bucket",
    "queued",
    "oldest_entered_at",
    "first_day",
    "last_day",
)


# ---- Queue age buckets (shared with the Queues page) ---------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    label: str
    low_hours: float  # exclusive (0: inclusive, and younger leads too)
    high_hours: float | None  # inclusive; None: no upper bound
    over_limit: bool


def age_buckets(limit_hours: float) -> tuple[AgeBucket, ...]:
    """Queue-age buckets whose edges include the limit, so no bucket straddles it."""
    edges = sorted({e for e in (1.0, 4.0, limit_hours, 72.0, 168.0) if e > 0})
    buckets: list[AgeBucket] = []
    low = 0.0
    for edge in edges:
        high = format_hours(edge)
        label = f"< {high}" if low == 0 else f"{format_hours(low)} – {high}"
        buckets.append(AgeBucket(label, low, edge, low >= limit_hours))
        low = edge
    buckets.append(AgeBucket(f"> {format_hours(low)}", low, None, low >= limit_hours))
    return tuple(buckets)


# ---- Reps ------------------------------------------------------------------------------------


def rep_key(day: date, region: str, tier: str, source: str, rep: str) -> str:
    """The stored ``RepRollup.key`` of a grouping (``ALL`` for every tier / source)."""
    text = "\x1f".join((day.isoformat(), region, tier, source, rep))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _rep_contributions(frame: pd.DataFrame) -> pd.DataFrame:
    """What each fact with a first rep adds to its four ``RepRollup`` rows."""
    f = frame[frame["first_rep"].astype(str) != ""]
    base = pd.DataFrame(
        {
            "day": f["created_day"],
            "region": f["region"].astype(str),
            "tier": f["tier"].astype(str),
            "source": f["source"].astype(str),
            "rep": f["first_rep"].astype(str),
            "assigned": 1,
            "accepted": f["accepted"].astype(bool),
            "acceptance_base": ~f["acceptance_pending"].astype(bool),
            "touched": f["first_touch_minutes"].notna(),
            "bounced": f["bounced"].astype(bool),
            "rejected": f["rejected"].astype(bool),
            "tta_minutes": f["tta_minutes"].astype(float),
            "first_touch_minutes": f["first_touch_minutes"].astype(float),
        }
    )
    parts = [
        base,
        base.assign(source=ALL),
        base.assign(tier=ALL),
        base.assign(tier=ALL, source=ALL),
    ]
    return pd.concat(parts, ignore_index=True)


@dataclass
class _Groups:
    keys: list[tuple]
    counts: np.ndarray  # groups × REP_COUNTS
    values: dict[str, list[np.ndarray]]  # REP_VALUES field -> sorted values per group


def _summarise(frame: pd.DataFrame) -> _Groups:
    contrib = _rep_contributions(frame)
    if contrib.empty:
        return _Groups([], np.zeros((0, len(REP_COUNTS)), dtype=np.int64), {})
    grouped = contrib.groupby(REP_KEYS, sort=True)
    sums = grouped[list(REP_COUNTS)].sum()
    gid = grouped.ngroup().to_numpy()
    n = len(sums)
    values = {
        field: sorted_groups(gid, contrib[column].to_numpy(dtype=np.float64), n)
        for field, column in REP_VALUES.items()
    }
    return _Groups(list(sums.index), sums.to_numpy(dtype=np.int64), values)


def _stored(value: str) -> str | None:
    return None if value == ALL else value


def write_rep_rollups(frame: pd.DataFrame) -> int:
    """Replace every ``RepRollup`` row with those of ``frame`` (every stored fact)."""
    RepRollup.objects.all().delete()
    return insert_rep_rollups(frame)


def insert_rep_rollups(frame: pd.DataFrame) -> int:
    """Insert the ``RepRollup`` rows of ``frame``'s days (none of them may be stored: a full
    run's partition)."""
    if frame.empty:
        return 0
    groups = _summarise(frame)
    tta, touch = groups.values.get("tta_values", []), groups.values.get("first_touch_values", [])
    rows = [
        (
            rep_key(*key),
            key[0],
            key[1],
            _stored(key[2]),
            _stored(key[3]),
            key[4],
            *counts.tolist(),
            tta[i].tobytes(),
            touch[i].tobytes(),
        )
        for i, (key, counts) in enumerate(zip(groups.keys, groups.counts, strict=True))
    ]
    return insert_rows(RepRollup, REP_FIELDS, rows)


def move_rep_rollups(old: pd.DataFrame, new: pd.DataFrame) -> int:
    """Swap the ``RepRollup`` contributions of ``old`` stored facts for those of ``new`` ones;
    returns the number of rows touched."""
    before, after = _summarise(old), _summarise(new)
    changes: dict[str, dict] = {}
    for sign, groups in ((-1, before), (1, after)):
        for i, key in enumerate(groups.keys):
            change = changes.setdefault(
                rep_key(*key),
                {
                    "key": key,
                    "counts": np.zeros(len(REP_COUNTS), np.int64),
                    "gone": {},
                    "added": {},
                },
            )
            change["counts"] += sign * groups.counts[i]
            side = "gone" if sign < 0 else "added"
            for field, per_group in groups.values.items():
                change[side][field] = per_group[i]
    if not changes:
        return 0
    existing = {
        row.key: row
        for chunk in _chunks(list(changes), KEY_CHUNK)
        for row in RepRollup.objects.filter(key__in=chunk)
    }
    kept, emptied = [], []
    for digest, change in changes.items():
        row = existing.get(digest)
        counts = change["counts"] + (
            np.array([getattr(row, f) for f in REP_COUNTS]) if row is not None else 0
        )
        if counts[0] <= 0:
            emptied.append(digest)
            continue
        day, region, tier, source, rep = change["key"]
        blobs = {
            field: moved_values(row, field, change["gone"].get(field), change["added"].get(field))
            for field in REP_VALUES
        }
        kept.append(
            RepRollup(
                key=digest,
                day=day,
                region=region,
                tier=_stored(tier),
                source=_stored(source),
                rep=rep,
                **dict(zip(REP_COUNTS, counts.tolist(), strict=True)),
                **blobs,
            )
        )
    for chunk in _chunks(emptied, KEY_CHUNK):
        RepRollup.objects.filter(key__in=chunk).delete()
    upsert(RepRollup, kept)
    return len(changes)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ---- Failures --------------------------------------------------------------------------------


def write_failure_rollups() -> int:
    """Replace every ``FailureRollup`` row with the aggregate of the stored failed facts."""
    FailureRollup.objects.all().delete()
    return _insert_failures(LeadFact.objects.filter(outcome="failed"))


def refresh_failure_days(old: pd.DataFrame, new: pd.DataFrame) -> int:
    """Re-aggregate, from the stored facts, the days where ``old`` or ``new`` facts failed."""
    days = sorted(
        {
            day
            for frame in (old, new)
            if len(frame)
            for day in frame.loc[frame["outcome"].astype(str) == "failed", "created_day"]
        }
    )
    if not days:
        return 0
    FailureRollup.objects.filter(day__in=days).delete()
    return _insert_failures(LeadFact.objects.filter(outcome="failed", created_day__in=days))


def _insert_failures(failed: QuerySet[LeadFact]) -> int:
    """``FailureRollup`` rows of ``failed`` facts (SQL ``GROUP BY``; a few rows per day)."""
    aggregated = (
        failed.order_by()
        .values_list("created_day", "region", "tier", "source", "failure_reason")
        .annotate(n=Count("lead_id"), first=Min("created_at"), last=Max("created_at"))
    )
    return insert_rows(FailureRollup, FAILURE_FIELDS, list(aggregated))


# ---- Queues ----------------------------------------------------------------------------------


def write_queue_rollups(as_of: datetime, limit_hours: float) -> int:
    """Rewrite ``QueueRollup`` from the stored queued facts, aged as of ``as_of``: two
    ``INSERT … SELECT … GROUP BY`` in the database (per creation day, and over every day), so
    the queued leads never travel to Python."""
    QueueRollup.objects.all().delete()
    quote = connection.ops.quote_name
    facts, table = quote(LeadFact._meta.db_table), quote(QueueRollup._meta.db_table)
    bucket, bucket_params = _bucket_case(as_of, limit_hours)
    segment = "region, tier, source, queue_owner"
    columns = ", ".join(quote(QueueRollup._meta.get_field(f).column) for f in QUEUE_FIELDS)
    aged = (
        f"(SELECT created_day, {segment}, queue_entered_at, {bucket} AS bucket FROM {facts} "
        "WHERE queued = %s AND queue_entered_at IS NOT NULL) aged"
    )
    selects = (
        f"SELECT created_day, {segment}, bucket, COUNT(*), MIN(queue_entered_at), "
        f"created_day, created_day FROM {aged} GROUP BY created_day, {segment}, bucket",
        f"SELECT NULL, {segment}, bucket, COUNT(*), MIN(queue_entered_at), "
        f"MIN(created_day), MAX(created_day) FROM {aged} GROUP BY {segment}, bucket",
    )
    written = 0
    with connection.cursor() as cursor:
        for select in selects:
            cursor.execute(f"INSERT INTO {table} ({columns}) {select}", [*bucket_params, True])
            written += cursor.rowcount
    return written


def _bucket_case(as_of: datetime, limit_hours: float) -> tuple[str, list[object]]:
    """SQL for the ``age_buckets`` index of ``queue_entered_at`` at ``as_of``, and its
    parameters: an age equal to an edge falls in the lower bucket, exact to the microsecond
    (timestamps compared, like the lead list's ``over_limit`` filter)."""
    buckets = age_buckets(limit_hours)
    edges = [b.high_hours for b in buckets if b.high_hours is not None]
    whens = " ".join(f"WHEN queue_entered_at >= %s THEN {i}" for i in range(len(edges)))
    params = [sql_datetime(as_of - timedelta(hours=edge), name="as_of") for edge in edges]
    return f"(CASE {whens} ELSE {len(edges)} END)", params


__all__ = [
    "ALL",
    "OPS_INPUT",
    "AgeBucket",
    "age_buckets",
    "insert_rep_rollups",
    "move_rep_rollups",
    "refresh_failure_days",
    "rep_key",
    "write_failure_rollups",
    "write_queue_rollups",
    "write_rep_rollups",
]
