"""The Reps page's reads: per-rep assignments, touches and shares (``RepRollup``), with medians.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from django.db.models import QuerySet, Sum

from dashboards.filters import Filters
from dashboards.rollup_cache import cached
from routing_health.lib.format import format_count
from routing_health.metrics import catalog, definitions
from routing_health.models import (
    MetricsState,
    RepRollup,
    SalesforceUser,
)
from routing_health.rollups.ops import REP_COUNTS, REP_VALUES

# A rep whose share of the region's assignments is this far from an equal share is pointed out.
SHARE_HIGH, SHARE_LOW = 1.5, 0.5
SHARE_MIN_SAMPLE = 20  # fewer assignments in the region: shares are noise, nothing is pointed out


def _rep_rates() -> tuple[str, ...]:
    """The catalog rates made only of counts a ``RepRollup`` stores (acceptance, bounce,
    rejection), in the order of their numerators in ``REP_COUNTS``."""
    rates = [
        m for m in catalog.of_unit("rate")
        if isinstance(m.formula, catalog.Rate)
        and {m.formula.numerator, *m.formula.denominator} <= set(REP_COUNTS)
    ]
    rates.sort(key=lambda m: REP_COUNTS.index(m.formula.numerator))  # type: ignore[union-attr]
    return tuple(m.name for m in rates)


REP_RATES = _rep_rates()
REP_MEDIANS = {"tta_p50": "tta_p50_minutes", "first_touch_p50": "first_touch_p50_minutes"}
"""``RepRow`` field -> the catalog metric it is, for one rep."""
# The table's metric columns: the first rate (acceptance), the median first touch, the others.
REP_COLUMNS: tuple[str, ...] = (REP_RATES[0], REP_MEDIANS["first_touch_p50"], *REP_RATES[1:])
BASE_WORDS = {"acceptance_base": "past their acceptance window", "assigned": "assigned"}
CSV_HEAD = ("rep_id", "rep", "active", "region", "assigned", "share_of_region", "equal_share")


@dataclass(frozen=True)
class RepCell:
    """One metric of a rep as the table shows it, with the leads behind it and its counts."""

    text: str
    href: str = ""
    title: str = ""


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
        return definitions.rate(self.assigned, self.region_assigned) or 0.0

    @property
    def equal_share(self) -> float:
        return definitions.rate(1, self.region_reps) or 0.0

    @property
    def share_ratio(self) -> float | None:
        return definitions.rate(self.share, self.equal_share)

    @property
    def share_level(self) -> str:
        ratio = self.share_ratio
        if ratio is None or self.region_reps < 2 or self.region_assigned < SHARE_MIN_SAMPLE:
            return "neutral"
        return "warn" if ratio >= SHARE_HIGH or ratio <= SHARE_LOW else "ok"

    @property
    def counts(self) -> dict[str, int]:
        """The rep's ``REP_COUNTS``, by name."""
        return {name: getattr(self, name) for name in REP_COUNTS}

    @property
    def rates(self) -> Mapping[str, float | None]:
        """Each of ``REP_RATES`` by its catalog formula (``None``: an empty denominator)."""
        counts = self.counts
        return {name: definitions.rate_of(name, counts) for name in REP_RATES}

    def __getattr__(self, name: str) -> float | None:
        # ``row.acceptance_rate``… : a rate of ``REP_RATES`` read like a field.
        if name in REP_RATES:
            return self.rates[name]
        raise AttributeError(name)

    def cells(self, links: Mapping[str, str]) -> list[RepCell]:
        """``REP_COLUMNS`` of this rep; a rate links to ``links[<its numerator count>]``."""
        counts = self.counts
        cells = []
        for name in REP_COLUMNS:
            formula = catalog.metric(name).formula
            if not isinstance(formula, catalog.Rate):
                field = next(f for f, metric in REP_MEDIANS.items() if metric == name)
                cells.append(RepCell(catalog.format_metric(name, getattr(self, field))))
                continue
            base = sum(counts[part] for part in formula.denominator)
            words = BASE_WORDS.get(formula.denominator[0], "")
            title = f"{format_count(counts[formula.numerator])} of {format_count(base)} {words}"
            cells.append(RepCell(catalog.format_metric(name, self.rates[name]),
                                 links[formula.numerator], title.rstrip()))
        return cells

    def csv_row(self) -> list[object]:
        """The values of ``csv_header()``."""
        def pairs(names: Sequence[str]) -> list[object]:
            return [v for n in names for v in (self.counts[_numerator(n)], self.rates[n])]

        return [self.rep_id, self.name, self.active, self.region, self.assigned, self.share,
                self.equal_share, *pairs(REP_RATES[:1]), *(getattr(self, f) for f in REP_MEDIANS),
                *pairs(REP_RATES[1:])]

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


def _numerator(rate: str) -> str:
    formula = catalog.metric(rate).formula
    assert isinstance(formula, catalog.Rate)
    return formula.numerator


def csv_header() -> list[str]:
    """The Reps CSV columns: each rate after its numerator count; the medians after the first
    (the column order the export has always had)."""
    def pairs(names: Sequence[str]) -> list[str]:
        return [v for n in names for v in (_numerator(n), n)]

    return [*CSV_HEAD, *pairs(REP_RATES[:1]), *REP_MEDIANS.values(), *pairs(REP_RATES[1:])]


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
                region_top_share=definitions.rate(region_top[region], region_totals[region])
                or 0.0,
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
    """The median (``definitions.group_percentiles``: numpy's linear interpolation) of each
    group's values, where row ``i`` adds the float64 values of ``blobs[i]`` to group
    ``gid[i]``; one sort for all."""
    sizes = np.fromiter((len(blob) // 8 for blob in blobs), dtype=np.int64, count=len(blobs))
    values = np.frombuffer(b"".join(blobs), dtype=np.float64)
    group = np.repeat(gid, sizes)
    present = ~np.isnan(values)
    (medians,) = definitions.group_percentiles(group, values, present, groups, (0.5,))
    return [None if np.isnan(m) else float(m) for m in medians.tolist()]
