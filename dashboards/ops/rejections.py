"""Rejected leads per rejection reason, by rep, by region and by ISO week (the weekly
rejection-reason review of the runbook, ``docs/alerts.md``), on the Reps and Failures pages.

No rollup holds the reason, so one grouped query over ``LeadFact`` (reason × first rep ×
region × creation day: a few hundred rows whatever the number of leads) feeds the three
tables, cached until the next ``compute_metrics``. Every count links to the lead list narrowed
to exactly its leads (``rejection_reason``, ``first_rep``, ``region``, the week's days).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count
from django.urls import reverse

from dashboards.filters import Filters
from dashboards.leads.queries import owner_names
from dashboards.leads.records import NO_REASON
from dashboards.ops.queries import fact_base
from dashboards.rollup_cache import cached
from routing_health.lib.format import format_count
from routing_health.models import MetricsState

Key = tuple[str, str, str, date]  # (reason, first rep, region, creation day)


@dataclass(frozen=True)
class RejectionCell:
    count: int
    text: str
    href: str  # "" : nothing to list (a zero) or no exact filter for it (no region)


@dataclass(frozen=True)
class RejectionRow:
    label: str
    meta: str
    total: RejectionCell
    cells: tuple[RejectionCell, ...]  # one per reason of the table


@dataclass(frozen=True)
class RejectionTable:
    key: str  # "rep", "region", "week"
    heading: str
    reasons: tuple[RejectionCell, ...]  # each reason's total, in the column order
    reason_names: tuple[str, ...]
    rows: tuple[RejectionRow, ...]
    total: RejectionCell


@dataclass(frozen=True)
class Rejections:
    total: int
    tables: tuple[RejectionTable, ...]


def rejection_counts(filters: Filters, state: MetricsState | None) -> list[tuple[Key, int]]:
    """Rejected leads of the filtered cohort per (reason, first rep, region, creation day)."""
    def read() -> list[tuple[Key, int]]:
        rows = (
            fact_base(filters)
            .filter(rejected=True)
            .order_by()
            .values_list("rejection_reason", "first_rep", "region", "created_day")
            .annotate(n=Count("lead_id"))
        )
        return [((reason, rep, region, day), n) for reason, rep, region, day, n in rows]

    return cached(state, filters, ("rejections",), read)


def iso_week(day: date) -> tuple[int, int]:
    year, week, _weekday = day.isocalendar()
    return year, week


def week_days(week: tuple[int, int], filters: Filters) -> tuple[date, date]:
    """The days of an ISO week inside the filtered range (a week may be cut by it)."""
    monday = date.fromisocalendar(week[0], week[1], 1)
    return max(monday, filters.start), min(monday + timedelta(days=6), filters.end)


def rejections(filters: Filters, state: MetricsState | None) -> Rejections:
    """The three tables: rows are reps, regions or weeks; columns the reasons, most first."""
    counts = rejection_counts(filters, state)
    per_reason: Counter[str] = Counter()
    for (reason, _rep, _region, _day), n in counts:
        per_reason[reason or NO_REASON] += n
    reasons = tuple(sorted(per_reason, key=lambda r: (r == NO_REASON, -per_reason[r], r)))
    names = owner_names({rep for (_r, rep, _g, _d), _n in counts if rep})
    leads = reverse("leads")

    def href(**params: object) -> str:
        return leads + filters.querystring(**params)

    def cell(n: int, link: str) -> RejectionCell:
        return RejectionCell(n, format_count(n), link if n else "")

    def table(
        key: str,
        heading: str,
        row_of: Callable[[Key], object],
        order: Callable[[object, int], object],
        describe: Callable[[object], tuple[str, str]],
        params: Callable[[object], dict[str, object] | None],
    ) -> RejectionTable:
        grid: Counter[tuple[object, str]] = Counter()
        totals: Counter[object] = Counter()
        for k, n in counts:
            row = row_of(k)
            grid[(row, k[0] or NO_REASON)] += n
            totals[row] += n
        rows = []
        for row in sorted(totals, key=lambda r: order(r, totals[r])):
            label, meta = describe(row)
            extra = params(row)
            rows.append(
                RejectionRow(
                    label=label,
                    meta=meta,
                    total=cell(totals[row], href(flag="rejected", **extra) if extra else ""),
                    cells=tuple(
                        cell(grid[(row, reason)],
                             href(rejection_reason=reason, **extra) if extra else "")
                        for reason in reasons
                    ),
                )
            )
        return RejectionTable(
            key=key,
            heading=heading,
            reasons=tuple(cell(per_reason[r], href(rejection_reason=r)) for r in reasons),
            reason_names=reasons,
            rows=tuple(rows),
            total=cell(sum(per_reason.values()), href(flag="rejected")),
        )

    def region_params(region: object) -> dict[str, object] | None:
        # The lead list cannot select an empty region: such a count is shown, not linked.
        return {"region": region} if region else None

    rep_regions: dict[str, set[str]] = {}
    for (_reason, rep, region, _day), _n in counts:
        rep_regions.setdefault(rep, set()).add(region or "no region")
    tables = (
        table(
            "rep", "By rep", lambda k: k[1],
            lambda rep, n: (-n, names.get(str(rep)) or str(rep)),
            lambda rep: (names.get(str(rep)) or str(rep) or "(no rep)",
                         ", ".join(sorted(rep_regions[str(rep)]))),
            lambda rep: {"first_rep": rep} if rep else None,
        ),
        table(
            "region", "By region", lambda k: k[2],
            lambda region, _n: (region == "", region),
            lambda region: (str(region) or "No region", ""),
            region_params,
        ),
        table(
            "week", "By week (ISO, report time zone)", lambda k: iso_week(k[3]),
            lambda week, _n: week,
            lambda week: _week_label(week, filters),  # type: ignore[arg-type]
            lambda week: dict(zip(("start", "end"), week_days(week, filters),  # type: ignore[arg-type]
                                  strict=True)),
        ),
    )
    return Rejections(total=sum(per_reason.values()), tables=tables)


def _week_label(week: tuple[int, int], filters: Filters) -> tuple[str, str]:
    first, last = week_days(week, filters)
    monday = date.fromisocalendar(week[0], week[1], 1)
    whole = first == monday and last == monday + timedelta(days=6)
    days = f"{first:%b} {first.day} – {last:%b} {last.day}"
    return f"{week[0]}-W{week[1]:02d}", days if whole else f"{days} (part of the week)"
