"""What the metric pages (Overview, Trends, Segments) read: stored rollups, merged per grouping.

Pages read no raw leads, with one exception: a comparison at equal age (the Overview's previous
period, Trends' days before a flow change) needs the earlier period as it stood at an earlier
time, which only the raw rows can tell — one load per page, cached until the next compute
(``side_at_equal_age``, ``equal_age_comparisons``; docs/metrics.md). One query loads the
``DailyRollup`` rows of the filtered range; every grouping
a page needs — the total, per day, per ISO week, per region × tier — is merged in Python from
those rows by ``routing_health.rollups.selectors``'s merge, so each number equals ``rollup_metrics``
(and so ``export_metrics``) for the same cohort, as of the last ``compute_metrics``.

Targets reuse the alert rules (``routing_health.alerts.rules``: ``effective_rule`` with the
configured thresholds and per-segment overrides). Where no rule exists the metric catalog's
targets apply; ``targets.py`` assesses. Status levels:

- **OK** (●): the value meets the target;
- **Warning** (▲): it misses it by at most as much again — a rate with at most twice the allowed
  misses (success 99.5 % → down to 99.0 %), a time or a "lower is better" rate up to twice the
  limit;
- **Breach** (■): it misses it by more.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import psycopg
from django.db import connection
from django.db.models import QuerySet

from dashboards.filters import SOURCE_FIELD, Filters
from dashboards.metrics.specs import BUSINESS_VARIANTS, Clock, Metrics
from routing_health.alerts.rules import tier_sla
from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.metrics import METRIC_NAMES
from routing_health.models import DailyRollup
from routing_health.reports import compare as equal_age
from routing_health.rollups import selectors as rollup_read

# --- Clocks ------------------------------------------------------------------------------------


# --- Rollups -----------------------------------------------------------------------------------


# Rollup columns of sorted values -> the percentiles read from them. A page loads (and merges)
# only the columns of the metrics it shows: the business-hours twins are not read on the wall
# clock, nor the reverse. A column not listed here is always loaded.
VALUE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "tta_values": ("tta_p50_minutes", "tta_p95_minutes"),
    "first_touch_values": ("first_touch_p50_minutes", "first_touch_p95_minutes"),
    "tta_business_values": ("tta_p50_business_minutes", "tta_p95_business_minutes"),
    "first_touch_business_values": (
        "first_touch_p50_business_minutes",
        "first_touch_p95_business_minutes",
    ),
}


def merge(rows: Iterable[Any], as_of: datetime | None) -> Metrics:
    """Every metric over ``rows`` — the same merge ``rollup_metrics`` uses. A percentile whose
    values were not loaded (see ``load_rollups``) is null."""
    return rollup_read.merge_rollups(list(rows), as_of)


def _unneeded(metrics: Iterable[str] | None) -> set[str]:
    if metrics is None:
        return set()
    wanted = set(metrics)
    columns = {f.attname for f in DailyRollup._meta.concrete_fields}
    return {c for c, names in VALUE_COLUMNS.items() if c in columns and not wanted & set(names)}


@dataclass(frozen=True)
class Rollups:
    """The ``DailyRollup`` rows of a range and segment (as plain attribute objects, the value
    columns a page does not need left empty), and the time they are as of."""

    rows: tuple[Any, ...]
    as_of: datetime | None

    def within(self, start: date, end: date) -> list[Any]:
        return [row for row in self.rows if start <= row.day <= end]

    def total(self, start: date, end: date) -> Metrics:
        return merge(self.within(start, end), self.as_of)

    def grouped(
        self, key: Callable[[Any], Hashable], start: date, end: date
    ) -> dict[Hashable, Metrics]:
        """Metrics per value of ``key(row)``, in first-seen order (rows are sorted by day)."""
        groups: dict[Hashable, list[Any]] = {}
        for row in self.within(start, end):
            groups.setdefault(key(row), []).append(row)
        return {value: merge(members, self.as_of) for value, members in groups.items()}

    def empty(self) -> Metrics:
        """The metrics of no leads: zero counts, null rates (a zero-filled point)."""
        return merge((), self.as_of)

    def only(self, metrics: Iterable[str]) -> Rollups:
        """The same rows with only the value columns ``metrics`` need (cheaper merges)."""
        drop = {c: b"" for c in _unneeded(metrics)}
        if not drop:
            return self
        return Rollups(tuple(SimpleNamespace(**{**vars(r), **drop}) for r in self.rows),
                       self.as_of)


def load_rollups(
    filters: Filters,
    *,
    as_of: datetime | None,
    start: date | None = None,
    metrics: Iterable[str] | None = None,
) -> Rollups:
    """One query: the rollups of ``[start or filters.start, filters.end]`` in the filters'
    region, tier and source. With ``metrics``, only the value columns their percentiles need
    are read (the others come back empty); ``None`` reads everything (exports)."""
    rows = DailyRollup.objects.filter(
        day__gte=start or filters.start, day__lte=filters.end, **filters.segment()
    )
    skip = _unneeded(metrics)
    columns = [f.attname for f in DailyRollup._meta.concrete_fields if f.attname not in skip]
    empty = {column: b"" for column in skip}
    found = _fetch(rows.order_by("day", "region", "tier", "source"), columns)
    return Rollups(
        tuple(SimpleNamespace(**dict(zip(columns, row, strict=True)), **empty) for row in found),
        as_of,
    )


QUEUE_HEADLINE = ("queued", "queued_over_limit", "oldest_queue_age_hours")
"""The queue numbers every page shows under their catalog labels ("Queued now", …)."""


def headline_metrics(
    filters: Filters, *, as_of: datetime | None, metrics: Iterable[str] | None = None
) -> Metrics:
    """The headline numbers of the filters' cohort (leads created in the range, in its region,
    tier and source; spec section 5), as of ``as_of``: the one selector behind a catalog label
    wherever it appears. The Overview reads the same merge (``Rollups.total``) of the same rows;
    the Queues page reads its "Queued now" / "Oldest queued lead" here."""
    return load_rollups(filters, as_of=as_of, metrics=metrics).total(filters.start, filters.end)


def _fetch(rows: QuerySet[DailyRollup], columns: list[str]) -> list[tuple]:
    """``rows.values_list(*columns)``; on PostgreSQL in binary format, so the sorted values
    (bytea) travel as bytes instead of hex text, half the size and no decoding.

    Django's psycopg cursors bind parameters on the client, which cannot ask for binary
    results; this query goes through a plain psycopg cursor on the same connection (and
    transaction) and is logged like Django's own when queries are being recorded.
    """
    query = rows.values_list(*columns)
    if connection.vendor != "postgresql":
        return list(query)
    sql, params = query.query.sql_with_params()
    connection.ensure_connection()
    started = time.monotonic()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        found = cursor.fetchall()
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- {params!r}", "time": f"{time.monotonic() - started:.3f}"}
        )
    return found


def clock_metrics(clock: Clock) -> set[str]:
    """Every metric name a page shows on ``clock`` (the other clock's twins left out)."""
    other = set(BUSINESS_VARIANTS) if clock.is_business else set(BUSINESS_VARIANTS.values())
    return set(METRIC_NAMES) - other


def day_key(row: DailyRollup) -> date:
    return row.day


def week_key(row: DailyRollup) -> str:
    return iso_week(row.day)


def region_key(row: DailyRollup) -> str | None:
    return row.region or None


def tier_key(row: DailyRollup) -> str | None:
    return row.tier or None


def segment_key(row: DailyRollup) -> tuple[str | None, str | None]:
    return row.region or None, row.tier or None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def days_of(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def weeks_of(start: date, end: date) -> list[tuple[str, date, bool]]:
    """ISO weeks overlapping ``[start, end]``: (``YYYY-Www``, its Monday, partial?)."""
    weeks: list[tuple[str, date, bool]] = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        partial = monday < start or monday + timedelta(days=6) > end
        weeks.append((iso_week(monday), monday, partial))
        monday += timedelta(days=7)
    return weeks


def previous_period(filters: Filters) -> tuple[date, date]:
    """The period of equal length just before the filters' range."""
    return filters.start - timedelta(days=filters.days), filters.start - timedelta(days=1)


def fact_segment(filters: Filters) -> tuple[dict[str, str], tuple[str, ...]]:
    """The filters' region, tier and source as fact-column equalities, and the extra lead
    field to load for the source (``LeadSource``)."""
    segment = {"region": filters.region, "tier": filters.tier}
    if filters.source:
        return {**segment, SOURCE_FIELD: filters.source}, (SOURCE_FIELD,)
    return segment, ()


def side_at_equal_age(
    filters: Filters, config: RoutingConfig, earlier: tuple[date, date], as_of: datetime
) -> equal_age.Side:
    """``earlier`` (in the filters' segment) as it stood at the same age as the filters' range
    does at ``as_of``: evaluated as of ``as_of`` minus the time between the two starts
    (``routing_health.reports.compare``)."""
    params = resolved_params(config)
    segment, extra = fact_segment(filters)
    when = equal_age.earlier_as_of(params, earlier, (filters.start, filters.end), as_of)
    return equal_age.load_side(params, earlier, when, segment, extra=extra)


def equal_age_comparisons(
    filters: Filters,
    config: RoutingConfig,
    pairs: Sequence[tuple[tuple[date, date], tuple[date, date]]],
    as_of: datetime,
) -> dict[tuple[tuple[date, date], tuple[date, date]], equal_age.EqualAge]:
    """Each (earlier, later) pair of windows in the filters' segment, the later as of ``as_of``
    and the earlier at the same age (``routing_health.reports.compare``), from one load."""
    segment, extra = fact_segment(filters)
    found = equal_age.compare_many(resolved_params(config), pairs, as_of, segment, extra=extra)
    return dict(zip(pairs, found, strict=True))


def ordered_tiers(tiers: Iterable[str | None], config: RoutingConfig) -> list[str | None]:
    """Tiers fastest SLA first (hot, warm, standard), then by name; null last."""

    def order(tier: str | None) -> tuple:
        if tier is None:
            return (2, math.inf, "")
        known = tier in config.tiers.sla
        return (0 if known else 1, tier_sla(config, tier).assign_minutes, tier)

    return sorted(set(tiers), key=order)


def ordered_regions(regions: Iterable[str | None]) -> list[str | None]:
    return sorted(set(regions), key=lambda r: (r is None, r or ""))


# --- Formatting --------------------------------------------------------------------------------


# --- Targets and status ------------------------------------------------------------------------


# --- Incidents ---------------------------------------------------------------------------------


