"""Incremental rollups: move only what the recomputed leads change.

An incremental ``compute_metrics`` recomputes a few leads. Rewriting their whole days would
re-read every stored fact of those days (a million rows when the changes are spread out), so
instead each touched rollup row (day × region × tier × source) gets the new facts'
contributions added and the old facts' contributions taken away: counts by subtraction, the
sorted minute values by removing the old values and merging in the new ones (float64 values
read back from the database compare exactly). The oldest queued lead of a touched row is
re-read from the (indexed, small) set of queued facts. Cost: the changed leads and the touched
rows, whatever the size of the org.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from django.db.models import Min

from routing_health.models import DailyRollup, LeadFact
from routing_health.rollups.rows import COUNT_FIELDS, KEYS, VALUE_FIELDS, contributions, unpack

Key = tuple


def apply_delta(old: pd.DataFrame, new: pd.DataFrame) -> int:
    """Swap the contributions of ``old`` stored facts for those of ``new`` ones (``ROLLUP_INPUT``
    columns each); returns the number of rollup rows touched."""
    old_counts = _grouped_counts(old)
    new_counts = _grouped_counts(new)
    touched: set[Key] = set(old_counts) | set(new_counts)
    if not touched:
        return 0
    old_values = _grouped_values(old)
    new_values = _grouped_values(new)
    days = sorted({key[0] for key in touched})
    existing = {
        (row.day, row.region, row.tier, row.source): row
        for row in DailyRollup.objects.filter(day__in=days)
    }
    oldest = _oldest_queued(days)
    replaced, kept = [], []
    for key in sorted(touched):
        row = existing.get(key)
        counts = {f: (getattr(row, f) if row else 0) for f in COUNT_FIELDS}
        for field, value in new_counts.get(key, {}).items():
            counts[field] += value
        for field, value in old_counts.get(key, {}).items():
            counts[field] -= value
        if row is not None:
            replaced.append(row.pk)
        if counts["leads"] <= 0:
            continue
        blobs = {
            field: moved_values(
                row, field, old_values.get(field, {}).get(key), new_values.get(field, {}).get(key)
            )
            for field in VALUE_FIELDS
        }
        kept.append(
            DailyRollup(
                day=key[0],
                region=key[1],
                tier=key[2],
                source=key[3],
                oldest_queue_entered_at=oldest.get(key),
                **blobs,
                **counts,
            )
        )
    DailyRollup.objects.filter(pk__in=replaced).delete()
    DailyRollup.objects.bulk_create(kept, batch_size=2_000)
    return len(touched)


def _grouped_counts(frame: pd.DataFrame) -> dict[Key, dict[str, int]]:
    if frame.empty:
        return {}
    sums = contributions(frame).groupby(KEYS, sort=False)[list(COUNT_FIELDS)].sum().astype(int)
    return {key: counts for key, counts in zip(sums.index, sums.to_dict("records"), strict=True)}


def _grouped_values(frame: pd.DataFrame) -> dict[str, dict[Key, np.ndarray]]:
    if frame.empty:
        return {}
    frame = frame.rename(columns={"created_day": "day"})
    out: dict[str, dict[Key, np.ndarray]] = {}
    for field, column in VALUE_FIELDS.items():
        present = frame.dropna(subset=[column])
        out[field] = {
            key: np.sort(group.to_numpy(dtype=np.float64))
            for key, group in present.groupby(KEYS, sort=False)[column]
        }
    return out


def moved_values(
    row: object | None, field: str, gone: np.ndarray | None, added: np.ndarray | None
) -> bytes:
    """The stored sorted values of ``row.field`` (none without a row) without one occurrence
    of each value ``gone`` and with those ``added``, as stored bytes."""
    current = unpack(bytes(getattr(row, field))) if row is not None else np.empty(0)
    return merge_sorted(remove_sorted(current, gone), added).tobytes()


def remove_sorted(values: np.ndarray, gone: np.ndarray | None) -> np.ndarray:
    """``values`` (sorted) without one occurrence of each value in ``gone``."""
    if gone is None or not len(gone) or not len(values):
        return values
    unique, counts = np.unique(gone, return_counts=True)
    left = np.searchsorted(values, unique, side="left")
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    positions = np.repeat(left, counts) + offsets
    positions = positions[positions < len(values)]
    keep = np.ones(len(values), dtype=bool)
    keep[positions] = False
    return values[keep]


def merge_sorted(values: np.ndarray, added: np.ndarray | None) -> np.ndarray:
    if added is None or not len(added):
        return values
    return np.sort(np.concatenate([values, added]), kind="mergesort")


def _oldest_queued(days: Iterable) -> dict[Key, object]:
    rows = (
        LeadFact.objects.filter(queued=True, created_day__in=list(days))
        .values("created_day", "region", "tier", "source")
        .annotate(oldest=Min("queue_entered_at"))
    )
    return {(r["created_day"], r["region"], r["tier"], r["source"]): r["oldest"] for r in rows}
