"""The metric pages' vocabulary: which metrics, their labels, units and sections, the clocks, and
how a value and a change read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
