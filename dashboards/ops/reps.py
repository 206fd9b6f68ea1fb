"""The Reps page's reads: per-rep assignments, touches and shares (``RepRollup``), with medians.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from django.db.models import QuerySet, Sum

from dashboards.filters import Filters
from dashboards.rollup_cache import cached
from routing_health.models import (
    MetricsState,
    RepRollup,
    SalesforceUser,
)
from routing_health.rollups.ops import REP_COUNTS, REP_VALUES
from routing_health.rollups.rows import sort_by_group

# A rep whose share of the region's assignments is this far from an equal share is pointed out.
SHARE_HIGH, SHARE_LOW = 1.5, 0.5
SHARE_MIN_SAMPLE = 20  # fewer assignments in the region: shares are noise, nothing is pointed out


@dataclass(frozen=True)
class RepRow:
    rep_id: str
    name: str
    known: bool  # a synced user row exists
    active: bool
    region: str
    assigned: int
    region_assigned: int
    region_reps: int
    region_top_share: float  # the largest share in the region (sets the bars' scale)
    accepted: int
    acceptance_base: int
    touched: int
    first_touch_p50: float | None
    tta_p50: float | None
    bounced: int
    rejected: int

    @property
    def share(self) -> float:
        return self.assigned / self.region_assigned if self.region_assigned else 0.0

    @property
    def equal_share(self) -> float:
        return 1 / self.region_reps if self.region_reps else 0.0

    @property
    def share_ratio(self) -> float | None:
        return self.share / self.equal_share if self.equal_share else None

    @property
    def share_level(self) -> str:
        ratio = self.share_ratio
        if ratio is None or self.region_reps < 2 or self.region_assigned < SHARE_MIN_SAMPLE:
            return "neutral"
        return "warn" if ratio >= SHARE_HIGH or ratio <= SHARE_LOW else "ok"

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.acceptance_base if self.acceptance_base else None

    @property
    def bounce_rate(self) -> float | None:
        return self.bounced / self.assigned if self.assigned else None

    @property
    def rejection_rate(self) -> float | None:
        return self.rejected / self.assigned if self.assigned else None

    @property
    def bar_scale(self) -> float:
        """The share a full bar stands for: room for the region's largest share and twice an
        equal share, so the differences between reps are visible (never more than 100%)."""
        return min(max(self.region_top_share, 2 * self.equal_share, 1e-9), 1.0)

    @property
    def share_percent(self) -> float:
        """The share as a 0–100 bar length (for the inline SVG bar)."""
        return round(min(self.share / self.bar_scale, 1.0) * 100, 2)

    @property
    def equal_percent(self) -> float:
        return round(min(self.equal_share / self.bar_scale, 1.0) * 100, 2)


def _rep_rollups(filters: Filters) -> QuerySet[RepRollup]:
    """The ``RepRollup`` rows of the view: its "every tier" / "every source" rows unless it
    filters on them."""
    rows = RepRollup.objects.filter(
        day__gte=filters.start,
        day__lte=filters.end,
        **{name: getattr(filters, name) or None for name in ("tier", "source")},
    )
    if filters.region:
        rows = rows.filter(region=filters.region)
    return rows.order_by()


def rep_rows(
    filters: Filters, state: MetricsState | None, *, medians: bool = True
) -> list[RepRow]:
    """Per region × first rep over the filtered cohort, most assignments first in each region:
    counts summed in SQL over ``RepRollup`` and the medians (exact, over the merged sorted
    values; unless ``medians`` is false: ``with_medians`` adds them to the rows shown), both
    cached until ``state`` changes (the next ``compute_metrics``); names are read each time."""
    grouped = cached(
        state,
        filters,
        ("rep-counts",),
        lambda: list(
            _rep_rollups(filters)
            .values("region", "rep")
            .annotate(**{f"n_{name}": Sum(name) for name in REP_COUNTS})
        ),
    )
    region_totals: dict[str, int] = defaultdict(int)
    region_reps: dict[str, int] = defaultdict(int)
    region_top: dict[str, int] = defaultdict(int)
    for row in grouped:
        region_totals[row["region"]] += row["n_assigned"]
        region_reps[row["region"]] += 1
        region_top[row["region"]] = max(region_top[row["region"]], row["n_assigned"])
    users = {
        user.id: user
        for user in SalesforceUser.objects.filter(id__in={row["rep"] for row in grouped}).only(
            "id", "name", "is_active"
        )
    }
    result = []
    for row in grouped:
        region, rep = row["region"], row["rep"]
        user = users.get(rep)
        result.append(
            RepRow(
                rep_id=rep,
                name=(user.name if user else "") or rep,
                known=user is not None,
                active=user.is_active if user else True,
                region=region,
                assigned=row["n_assigned"],
                region_assigned=region_totals[region],
                region_reps=region_reps[region],
                region_top_share=region_top[region] / region_totals[region],
                accepted=row["n_accepted"],
                acceptance_base=row["n_acceptance_base"],
                touched=row["n_touched"],
                first_touch_p50=None,
                tta_p50=None,
                bounced=row["n_bounced"],
                rejected=row["n_rejected"],
            )
        )
    result.sort(key=lambda r: (r.region == "", r.region, -r.assigned, r.name))
    return with_medians(filters, state, result) if medians else result


def with_medians(
    filters: Filters, state: MetricsState | None, rows: Sequence[RepRow]
) -> list[RepRow]:
    """``rows`` with their TTA and first-touch medians, read for those reps only and cached
    until the next ``compute_metrics`` (``rollup_cache``): the merged values grow with the
    leads in the range, the medians do not."""
    keys = tuple(sorted({(row.region, row.rep_id) for row in rows}))
    if not keys:
        return []
    medians = cached(state, filters, ("rep-medians", keys), lambda: _rep_medians(filters, keys))
    filled = []
    for row in rows:
        tta, touch = medians[(row.region, row.rep_id)]
        filled.append(replace(row, tta_p50=tta, first_touch_p50=touch))
    return filled


def _rep_medians(
    filters: Filters, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """Per (region, rep) of ``keys``: the TTA and first-touch medians over the merged values."""
    wanted = {key: i for i, key in enumerate(keys)}
    records = [
        record
        for record in _rep_rollups(filters)
        .filter(rep__in={rep for _region, rep in keys})
        .values_list("region", "rep", *REP_VALUES)
        if (record[0], record[1]) in wanted
    ]
    gid = np.fromiter((wanted[(r[0], r[1])] for r in records), dtype=np.int64, count=len(records))
    tta = _group_medians(gid, [r[2] for r in records], len(keys))
    touch = _group_medians(gid, [r[3] for r in records], len(keys))
    return {key: (tta[i], touch[i]) for key, i in wanted.items()}


def _group_medians(gid: np.ndarray, blobs: list[bytes], groups: int) -> list[float | None]:
    """The median (linear interpolation, numpy's default) of each group's values, where row
    ``i`` adds the float64 values of ``blobs[i]`` to group ``gid[i]``; one sort for all."""
    sizes = np.fromiter((len(blob) // 8 for blob in blobs), dtype=np.int64, count=len(blobs))
    values = np.frombuffer(b"".join(blobs), dtype=np.float64)
    values, counts = sort_by_group(np.repeat(gid, sizes), values, groups)
    if not values.size:
        return [None] * groups
    starts = np.cumsum(counts) - counts
    low = values[np.minimum(starts + np.maximum(counts - 1, 0) // 2, values.size - 1)]
    high = values[np.minimum(starts + counts // 2, values.size - 1)]
    # numpy's linear interpolation at t = 0.5 is b − (b − a)·0.5 (exact for equal values)
    medians = np.where(counts % 2 == 0, high - (high - low) * 0.5, low)
    return [float(m) if n else None for m, n in zip(medians.tolist(), counts.tolist(), strict=True)]
