"""What the metric pages (Overview, Trends, Segments) show: stored rollups, targets, statuses.

Pages never read raw leads. One query loads the ``DailyRollup`` rows of the filtered range
(the Overview also loads the previous period of equal length in the same query); every grouping
a page needs — the total, per day, per ISO week, per region × tier — is merged in Python from
those rows by ``routing_health.rollups.selectors``'s merge, so each number equals ``rollup_metrics``
(and so ``export_metrics``) for the same cohort, as of the last ``compute_metrics``.

Targets reuse the alert rules (``routing_health.alerts.rules``: ``effective_rule`` with the
configured thresholds and per-segment overrides). Where no rule exists the dashboard's own
targets below apply. Status levels:

- **OK** (●): the value meets the target;
- **Warning** (▲): it misses it by at most as much again — a rate with at most twice the allowed
  misses (success 99.5 % → down to 99.0 %), a time or a "lower is better" rate up to twice the
  limit;
- **Breach** (■): it misses it by more.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import psycopg
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse

from dashboards.filters import Filters
from routing_health.alerts.rules import RULES, effective_rule, tier_sla
from routing_health.config import RoutingConfig
from routing_health.metrics import METRIC_NAMES
from routing_health.models import AlertIncident, DailyRollup
from routing_health.rollups import selectors as rollup_read

Metrics = dict[str, Any]

# Dashboard targets where no alert rule sets one. A tier whose p95 meets its SLA has at least
# 95 % of its leads within the SLA, so 95 % attainment is the same bar as the p95 alert rules.
SLA_ATTAINMENT_TARGET = 0.95
ACCEPTANCE_TARGET = 0.90
BOUNCE_LIMIT = 0.10

LEVEL_ORDER = {"neutral": 0, "ok": 1, "warn": 2, "breach": 3}
LEVEL_WORDS = {"ok": "OK", "warn": "Warning", "breach": "Breach", "neutral": "No target"}
NO_DATA = "No data"

CLOCKS = ("wall", "business")
BUSINESS_VARIANTS: Mapping[str, str] = {
    "tta_p50_minutes": "tta_p50_business_minutes",
    "tta_p95_minutes": "tta_p95_business_minutes",
    "first_touch_p50_minutes": "first_touch_p50_business_minutes",
    "first_touch_p95_minutes": "first_touch_p95_business_minutes",
    "assign_sla_met_rate": "assign_sla_met_rate_business",
    "touch_sla_met_rate": "touch_sla_met_rate_business",
}
"""Wall-clock metric → its business-hours twin (spec section 10)."""


@dataclass(frozen=True)
class MetricSpec:
    """How a page shows one metric of spec section 5.

    ``unit``: rate (0..1), minutes, hours or count. ``better``: ``higher``, ``lower`` or ``""``
    (a volume: neither). ``records``: the lead-list parameters (``dashboards.leads.records``) that
    narrow ``/leads`` to the leads behind the number, and ``records_words`` says which they are.
    ``count`` / ``base``: the counts a rate is made of (``base`` summed), for "12 bounced of 112
    assigned". ``tier_sla``: the target is each lead's tier SLA.
    """

    key: str
    label: str
    unit: str
    better: str
    help: str
    records: tuple[tuple[str, str], ...] = ()
    records_words: str = "The leads of this range"
    count: str = ""
    base: tuple[str, ...] = ()
    base_words: str = ""
    tier_sla: bool = False

    @property
    def short(self) -> str:
        """A column heading."""
        return SHORT_LABELS.get(self.key, self.label)


SHORT_LABELS = {
    "assignment_success_rate": "Success",
    "tta_p50_minutes": "TTA p50",
    "tta_p95_minutes": "TTA p95",
    "assign_sla_met_rate": "Assign SLA",
    "first_touch_p50_minutes": "Touch p50",
    "first_touch_p95_minutes": "Touch p95",
    "touch_sla_met_rate": "Touch SLA",
    "acceptance_rate": "Accepted",
    "bounce_rate": "Bounced",
    "rejection_rate": "Rejected",
    "queued_over_limit": "Over limit",
    "leads": "Leads",
}

FAILED = (("outcome", "failed"),)
ASSIGNED = (("flag", "assigned"),)
TOUCHED = (("flag", "touched"),)
QUEUED = (("flag", "queued"),)

METRICS: Mapping[str, MetricSpec] = {
    spec.key: spec
    for spec in (
        MetricSpec("leads", "Leads created", "count", "",
                   "Leads created in the range (the cohort)."),
        MetricSpec("assignment_success_rate", "Assignment success", "rate", "higher",
                   "Routed leads over routed and failed leads.", FAILED,
                   "The leads whose routing failed", count="succeeded",
                   base=("succeeded", "failed"), base_words="routed or failed"),
        MetricSpec("failed", "Failed routing", "count", "lower",
                   "Leads whose routing failed (failed node, fallback owner or never routed).",
                   FAILED, "The leads whose routing failed"),
        MetricSpec("tta_p50_minutes", "Time to assignment p50", "minutes", "lower",
                   "Median time from creation to the first rep owner.", ASSIGNED,
                   "The assigned leads", base=("assigned",), base_words="assigned",
                   tier_sla=True),
        MetricSpec("tta_p95_minutes", "Time to assignment p95", "minutes", "lower",
                   "95th percentile of the time from creation to the first rep owner.",
                   ASSIGNED, "The assigned leads", base=("assigned",), base_words="assigned",
                   tier_sla=True),
        MetricSpec("assign_sla_met_rate", "Assignment SLA met", "rate", "higher",
                   "Share of leads assigned within their tier's SLA (unassigned leads past it "
                   "count as misses)."),
        MetricSpec("first_touch_p50_minutes", "First touch p50", "minutes", "lower",
                   "Median time from creation to the first Task or Event (speed to lead).",
                   TOUCHED, "The touched leads", base=("touched",), base_words="touched",
                   tier_sla=True),
        MetricSpec("first_touch_p95_minutes", "First touch p95", "minutes", "lower",
                   "95th percentile of the time from creation to the first touch.", TOUCHED,
                   "The touched leads", base=("touched",), base_words="touched",
                   tier_sla=True),
        MetricSpec("touch_sla_met_rate", "First-touch SLA met", "rate", "higher",
                   "Share of leads touched within their tier's SLA (untouched leads past it "
                   "count as misses)."),
        MetricSpec("acceptance_rate", "Acceptance", "rate", "higher",
                   "Assigned leads accepted (accepted status or a touch) within the window.",
                   (("flag", "not_accepted"),), "The assigned leads not accepted",
                   count="accepted"),
        MetricSpec("bounce_rate", "Bounce rate", "rate", "lower",
                   "Assigned leads moved on by their first rep within the bounce window.",
                   (("flag", "bounced"),), "The bounced leads", count="bounced",
                   base=("assigned",), base_words="assigned"),
        MetricSpec("rejection_rate", "Rejection rate", "rate", "lower",
                   "Assigned leads moved into a rejected status.", (("flag", "rejected"),),
                   "The rejected leads", count="rejected", base=("assigned",),
                   base_words="assigned"),
        MetricSpec("queued", "Queued now", "count", "",
                   "Leads of the range owned by a queue as of the last compute.", QUEUED,
                   "The queued leads"),
        MetricSpec("queued_over_limit", "Queued over the limit", "count", "lower",
                   "Queued leads waiting longer than the queue-age limit.",
                   (("flag", "over_limit"),), "The leads queued past the limit"),
        MetricSpec("oldest_queue_age_hours", "Oldest queued lead", "hours", "lower",
                   "How long the longest-waiting queued lead has waited.", QUEUED,
                   "The queued leads"),
    )
}

SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Routing", "failures", ("leads", "assignment_success_rate", "failed")),
    ("Time to assignment", "segments",
     ("tta_p50_minutes", "tta_p95_minutes", "assign_sla_met_rate")),
    ("First touch", "reps", ("first_touch_p50_minutes", "first_touch_p95_minutes",
                             "touch_sla_met_rate")),
    ("After assignment", "reps", ("acceptance_rate", "bounce_rate", "rejection_rate")),
    ("Queues", "queues", ("queued", "queued_over_limit", "oldest_queue_age_hours")),
)
"""The Overview's headline metrics, grouped as RevOps reads them, each group with the page
that explains it (URL name)."""


# --- Clocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """The SLA clock a page shows: ``wall`` or ``business`` (when the rollups have it)."""

    name: str
    available: bool

    @property
    def is_business(self) -> bool:
        return self.name == "business"

    def key(self, metric: str) -> str:
        """The metric name to read for ``metric`` on this clock."""
        return BUSINESS_VARIANTS.get(metric, metric) if self.is_business else metric

    def label(self, spec: MetricSpec) -> str:
        suffix = " (business hours)" if self.is_business and spec.key in BUSINESS_VARIANTS else ""
        return spec.label + suffix

    def short(self, spec: MetricSpec) -> str:
        suffix = " (BH)" if self.is_business and spec.key in BUSINESS_VARIANTS else ""
        return spec.short + suffix


def parse_clock(raw: str | None, metrics: Mapping[str, Any]) -> Clock:
    """``?clock=business`` when the rollup dicts carry the business-hours metrics, else wall."""
    available = all(name in metrics for name in BUSINESS_VARIANTS.values())
    name = "business" if raw == "business" and available else "wall"
    return Clock(name, available)


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


def rollup_suggestions(filters: Filters, tiers: Iterable[str]) -> dict[str, list[str]]:
    """Values to offer in the filter bar: the regions, tiers (plus the configured ``tiers``)
    and sources seen in the date range, its region, tier and source filters ignored (so another
    value can be picked); sorted. From the rollups in one query, never from the leads, so the
    filter bar costs the same at ten thousand leads as at a million."""
    seen = (
        DailyRollup.objects.filter(day__gte=filters.start, day__lte=filters.end)
        .order_by()
        .values_list("region", "tier", "source")
        .distinct()
    )
    regions: set[str] = set()
    tier_names: set[str] = set(tiers)
    sources: set[str] = set()
    for region, tier, source in seen:
        regions.add(region)
        tier_names.add(tier)
        sources.add(source)
    return {
        "region": sorted(v for v in regions if v),
        "tier": sorted(v for v in tier_names if v),
        "source": sorted(v for v in sources if v),
    }


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


def format_minutes(minutes: float) -> str:
    """A duration for people: ``42 s``, ``12.5 min``, ``5 min``, ``3.2 h``, ``2.1 d``."""
    sign = "−" if minutes < 0 else ""
    minutes = abs(minutes)
    if minutes < 1:
        return f"{sign}{minutes * 60:.0f} s"
    if minutes < 60:
        return f"{sign}{_one_decimal(minutes)} min"
    if minutes < 48 * 60:
        return f"{sign}{_one_decimal(minutes / 60)} h"
    return f"{sign}{_one_decimal(minutes / 1440)} d"


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def format_rate(rate: float) -> str:
    """``0.9375`` → ``93.8%``; two decimals near 100 % (``99.53%``), none at the ends."""
    if rate in (0.0, 1.0):
        return f"{rate:.0%}"
    if 0.99 <= rate < 1:
        return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"
    return f"{rate:.1%}"


def format_value(value: float | None, unit: str) -> str:
    """``value`` in ``unit`` (rate, minutes, hours, count) for display; ``—`` when null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "rate":
        return format_rate(value)
    if unit == "minutes":
        return format_minutes(value)
    if unit == "hours":
        return format_minutes(value * 60)
    return f"{value:,.0f}"


@dataclass(frozen=True)
class Change:
    """A value against the previous period: ``direction`` up/down/flat, ``verdict``
    better/worse/"" (a volume, or unknown)."""

    text: str
    direction: str
    verdict: str


def change(current: float | None, previous: float | None, spec: MetricSpec) -> Change | None:
    if current is None or previous is None:
        return None
    delta = current - previous
    if spec.unit == "rate":
        points = delta * 100
        text = "no change" if abs(points) < 0.05 else f"{_signed(points, '.1f')} pts"
        flat = abs(points) < 0.05
    elif spec.unit in ("minutes", "hours"):
        minutes = delta * (60 if spec.unit == "hours" else 1)
        flat = abs(minutes) < 0.05
        text = "no change" if flat else ("+" if minutes > 0 else "") + format_minutes(minutes)
    else:
        flat = delta == 0
        text = "no change" if flat else _signed(delta, ",.0f")
        if not flat and previous:
            text += f" ({_signed(delta / previous * 100, '.0f')}%)"
    direction = "flat" if flat else ("up" if delta > 0 else "down")
    verdict = ""
    if not flat and spec.better:
        verdict = "better" if (delta > 0) == (spec.better == "higher") else "worse"
    return Change(text, direction, verdict)


def _signed(value: float, fmt: str) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "") + format(abs(value), fmt)


# --- Targets and status ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A target and its warning bound (see the module doc), in the metric's unit."""

    threshold: float
    higher_is_better: bool
    warn_bound: float
    unit: str
    origin: str  # where the number comes from, for the tooltip
    wording: str = ""  # replaces "≤ <threshold>" when set

    @property
    def text(self) -> str:
        if self.wording:
            return self.wording
        value = format_value(self.threshold, self.unit)
        if self.unit == "rate":  # a round target reads "95%", not "95.0%"
            value = f"{self.threshold * 100:.2f}".rstrip("0").rstrip(".") + "%"
        return ("≥ " if self.higher_is_better else "≤ ") + value

    def level(self, value: float | None) -> str:
        if value is None:
            return "neutral"
        if self.higher_is_better:
            if value >= self.threshold:
                return "ok"
            return "warn" if value >= self.warn_bound else "breach"
        if value <= self.threshold:
            return "ok"
        return "warn" if value <= self.warn_bound else "breach"

    def score(self, value: float | None) -> float | None:
        """How far ``value`` misses the target: 0 meets it, 0.5 at the warning bound, 1 at
        twice that or worse (a finite colour scale for heatmaps)."""
        if value is None:
            return None
        if self.higher_is_better:
            miss, span = self.threshold - value, self.threshold - self.warn_bound
        else:
            miss, span = value - self.threshold, self.warn_bound - self.threshold
        if miss <= 0:
            return 0.0
        if not math.isfinite(span) or span <= 0:
            return 0.75  # a target of "none" (e.g. none over the queue limit): any miss shows
        return min(1.0, miss / (2 * span))


def _higher(threshold: float, unit: str, origin: str) -> Target:
    return Target(threshold, True, max(0.0, 2 * threshold - 1), unit, origin)


def _lower(threshold: float, unit: str, origin: str) -> Target:
    return Target(threshold, False, 2 * threshold, unit, origin)


def metric_target(
    key: str, config: RoutingConfig, *, region: str | None, tier: str | None
) -> Target | None:
    """The target of the wall-clock metric ``key`` for a segment (``None``: all)."""

    def rule(name: str) -> float:
        return effective_rule(config, name, region, tier).threshold

    sla = tier_sla(config, tier)
    alert = "alert rule {}"
    match key:
        case "assignment_success_rate":
            return _higher(rule("assignment_success"), "rate", alert.format("assignment_success"))
        case "tta_p95_minutes":
            return _lower(rule("tta_p95"), "minutes", alert.format("tta_p95") + " (tier SLA)")
        case "tta_p50_minutes":
            return _lower(sla.assign_minutes, "minutes", "tier assignment SLA")
        case "first_touch_p95_minutes":
            return _lower(rule("touch_p95"), "minutes", alert.format("touch_p95") + " (tier SLA)")
        case "first_touch_p50_minutes":
            return _lower(sla.touch_minutes, "minutes", "tier first-touch SLA")
        case "assign_sla_met_rate" | "touch_sla_met_rate":
            return _higher(SLA_ATTAINMENT_TARGET, "rate", "dashboard target (p95 within SLA)")
        case "acceptance_rate":
            return _higher(ACCEPTANCE_TARGET, "rate", "dashboard target")
        case "bounce_rate":
            return _lower(BOUNCE_LIMIT, "rate", "dashboard target")
        case "rejection_rate":
            return _lower(rule("rejection_rate"), "rate", alert.format("rejection_rate"))
        case "queued_over_limit":
            limit = format_value(config.windows.queue_age_limit_hours, "hours")
            return Target(0, False, math.inf, "count", "queue-age limit", f"none over {limit}")
        case "oldest_queue_age_hours":
            return _lower(rule("queue_aging"), "hours", alert.format("queue_aging"))
    return None


@dataclass(frozen=True)
class TierCheck:
    tier: str
    value_text: str
    target_text: str
    level: str


@dataclass(frozen=True)
class Assessment:
    """A value against its target: level (ok, warn, breach, neutral) and words."""

    level: str
    label: str
    target_text: str
    origin: str = ""
    tiers: tuple[TierCheck, ...] = ()


def worst(levels: Iterable[str]) -> str:
    return max(levels, key=LEVEL_ORDER.__getitem__, default="neutral")


def assess(
    spec: MetricSpec,
    value: float | None,
    *,
    config: RoutingConfig,
    region: str | None,
    tier: str | None,
    by_tier: Mapping[Any, Metrics] | None = None,
    clock: Clock | None = None,
) -> Assessment:
    """``value`` of ``spec`` (read on ``clock``) against its target in the segment.

    A metric whose target is the tier SLA, over several tiers (no tier filter), is judged tier
    by tier from ``by_tier``: the worst tier sets the level, and the label names it.
    """
    if spec.tier_sla and tier is None and by_tier:
        key = clock.key(spec.key) if clock else spec.key
        checks = []
        for name, metrics in by_tier.items():
            if name is None or metrics.get(key) is None:
                continue
            target = metric_target(spec.key, config, region=region, tier=name)
            if target is None:
                continue
            checks.append(
                TierCheck(
                    str(name),
                    format_value(metrics[key], spec.unit),
                    target.text,
                    target.level(metrics[key]),
                )
            )
        if value is None or not checks:
            return Assessment("neutral", NO_DATA, "≤ tier SLA")
        order = {name: i for i, name in enumerate(ordered_tiers((c.tier for c in checks), config))}
        checks.sort(key=lambda c: order[c.tier])
        level = worst(c.level for c in checks)
        culprits = [c.tier for c in checks if c.level == level]
        label = LEVEL_WORDS[level]
        if level != "ok":
            if len(culprits) == len(checks) > 1:
                label += " · every tier"
            elif len(culprits) <= 2:
                label += " · " + ", ".join(culprits)
            else:
                label += f" · {len(culprits)} tiers"
        return Assessment(level, label, "≤ tier SLA", "each tier against its SLA", tuple(checks))
    target = metric_target(spec.key, config, region=region, tier=tier)
    if target is None:
        return Assessment("neutral", LEVEL_WORDS["neutral"] if value is not None else NO_DATA, "")
    if value is None:
        return Assessment("neutral", NO_DATA, target.text, target.origin)
    level = target.level(value)
    return Assessment(level, LEVEL_WORDS[level], target.text, target.origin)


def detail(spec: MetricSpec, metrics: Mapping[str, Any]) -> str:
    """The counts behind a value: ``"12 bounced of 112 assigned"``, ``"112 assigned"``."""
    base = sum(metrics.get(name) or 0 for name in spec.base) if spec.base else None
    if spec.count and base is not None:
        return f"{metrics.get(spec.count) or 0:,} of {base:,} {spec.base_words}"
    if spec.count:
        return f"{metrics.get(spec.count) or 0:,} {spec.count}"
    if base is not None:
        return f"over {base:,} {spec.base_words}"
    return ""


# --- Incidents ---------------------------------------------------------------------------------

COMPARISON_SIGNS = {">=": "≥", "<=": "≤"}
PAGE_LABELS = {
    "/failures": "Failures",
    "/segments": "Segments",
    "/queues": "Queues",
    "/reps": "Reps",
    "/health": "Health",
}


@dataclass(frozen=True)
class IncidentLine:
    """One firing incident as the "What's broken now" panel shows it."""

    id: int
    rule: str
    title: str
    region: str
    tier: str
    failure_reason: str
    value_text: str
    threshold_text: str
    comparison: str
    since: datetime
    snoozed: bool
    href: str
    page_label: str
    records_href: str

    @property
    def segment(self) -> str:
        return " · ".join(p for p in (self.region, self.tier) if p) or "All leads"


def incident_lines(
    incidents: Iterable[AlertIncident], filters: Filters, *, now: datetime
) -> list[IncidentLine]:
    """Firing incidents in the filters' region and tier (an incident over all leads always
    shows), each linked to its rule's page filtered to the incident's segment. Routing
    failures first (the rules' order in spec section 6), then the oldest first."""
    order = {name: i for i, name in enumerate(RULES)}
    lines = []
    for incident in sorted(
        incidents, key=lambda i: (order.get(i.rule, len(order)), i.first_seen, i.pk)
    ):
        if filters.region and incident.region not in ("", filters.region):
            continue
        if filters.tier and incident.tier not in ("", filters.tier):
            continue
        spec = RULES.get(incident.rule)
        unit = spec.value_format if spec else "count"
        path = spec.dashboard_path if spec else "/alerts"
        segment = {k: v for k, v in (("region", incident.region), ("tier", incident.tier)) if v}
        unfiltered = Filters(start=filters.start, end=filters.end)
        query = unfiltered.querystring(**segment)
        records = dict(segment, outcome="failed")
        if incident.failure_reason:
            records["failure_reason"] = incident.failure_reason
        lines.append(
            IncidentLine(
                id=incident.pk,
                rule=incident.rule,
                title=spec.title if spec else incident.rule,
                region=incident.region,
                tier=incident.tier,
                failure_reason=incident.failure_reason,
                value_text=format_value(incident.current_value, unit),
                threshold_text=format_value(incident.threshold, unit),
                comparison=COMPARISON_SIGNS.get(incident.comparison, incident.comparison),
                since=incident.first_seen,
                snoozed=bool(incident.snoozed_until and incident.snoozed_until > now),
                href=path + query,
                page_label=PAGE_LABELS.get(path, "Alerts"),
                records_href=reverse("leads") + unfiltered.querystring(**records)
                if incident.failure_reason or incident.rule == "assignment_success"
                else "",
            )
        )
    return lines
