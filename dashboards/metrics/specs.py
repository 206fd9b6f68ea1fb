"""What the metric pages add to the metric catalog: the drill-down of each metric, the Overview's
sections, the clocks, and how a change between periods reads.

Labels, short labels, units, better directions, descriptions, targets and business-hours twins
are the catalog's (``routing_health.metrics.catalog``); values read through its formatter
(``catalog.format_metric`` / ``routing_health.lib.format``). A ``MetricSpec`` keeps only what a
page needs besides: which leads a number stands for and the counts it is made of.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from routing_health.lib.format import MINUS, format_count, format_minutes
from routing_health.metrics import catalog
from routing_health.metrics.catalog import Metric

Metrics = dict[str, Any]

LEVEL_ORDER = {"neutral": 0, "ok": 1, "warn": 2, "breach": 3}
LEVEL_WORDS = {"ok": "OK", "warn": "Warning", "breach": "Breach", "neutral": "No target"}
CLOCKS = ("wall", "business")
BUSINESS_VARIANTS: Mapping[str, str] = MappingProxyType(
    {m.name: m.business_twin for m in catalog.METRICS if m.business_twin}
)
"""Wall-clock metric → its business-hours twin (spec section 10), from the catalog."""


@dataclass(frozen=True)
class MetricSpec:
    """How a page drills into one catalog metric (``key``).

    ``records``: the lead-list parameters (``dashboards.leads.records``) that narrow ``/leads``
    to the leads behind the number, and ``records_words`` says which they are. ``count`` /
    ``base``: the counts a rate is made of (``base`` summed), for "12 bounced of 112 assigned".
    ``tier_sla``: the target is each lead's tier SLA. ``target_words``: how a target that is
    not a number reads (``{limit}``: the queue-age limit). ``pages``: where else it shows
    besides the Overview's ``SECTIONS`` (``TRENDS``, ``HEATMAPS``, ``FLOW_CHANGES``).
    """

    key: str
    records: tuple[tuple[str, str], ...] = ()
    records_words: str = "The leads of this range"
    count: str = ""
    base: tuple[str, ...] = ()
    base_words: str = ""
    tier_sla: bool = False
    target_words: str = ""
    pages: tuple[str, ...] = ()

    @property
    def metric(self) -> Metric:
        """The catalog row (``KeyError`` for a name the catalog lacks)."""
        return catalog.metric(self.key)

    @property
    def label(self) -> str:
        return self.metric.label

    @property
    def short(self) -> str:
        """A column heading: the catalog's short label."""
        return self.metric.short_label

    @property
    def unit(self) -> str:
        return self.metric.unit

    @property
    def better(self) -> str:
        """``higher``, ``lower`` or ``none`` (a volume)."""
        return self.metric.better

    @property
    def help(self) -> str:
        return self.metric.description

    def format(self, value: float | None) -> str:
        """``value`` of this metric as every surface shows it."""
        return catalog.format_metric(self.key, value)


def drill_down(spec: MetricSpec, key: str, value: float | None) -> tuple[tuple[str, str], ...]:
    """The lead-list parameters behind ``value`` of ``key`` (``spec.key`` or its business-hours
    twin): a percentile opens the leads above it (its fact column over the value, worst first);
    an SLA rate the leads that missed it; anything else ``spec.records``."""
    formula = catalog.metric(key).formula
    if isinstance(formula, catalog.Percentile) and value is not None:
        return (*spec.records, ("above", f"{formula.source}:{float(value)!r}"))
    if isinstance(formula, catalog.Rate) and formula.numerator.startswith(SLA_MET):
        return (("missed", formula.numerator),)
    return spec.records


SLA_MET = ("assign_sla_met", "touch_sla_met")


TRENDS = "trends"  # a chart on Trends
HEATMAPS = "heatmaps"  # a heatmap on Segments
FLOW_CHANGES = "flow_changes"  # a row of the before / after table of a flow version change
_EVERYWHERE = (TRENDS, HEATMAPS, FLOW_CHANGES)
FAILED = (("outcome", "failed"),)
ASSIGNED = (("flag", "assigned"),)
TOUCHED = (("flag", "touched"),)
QUEUED = (("flag", "queued"),)
METRICS: Mapping[str, MetricSpec] = {
    spec.key: spec
    for spec in (
        MetricSpec("leads", pages=(TRENDS, HEATMAPS)),
        MetricSpec("assignment_success_rate", FAILED, "The leads whose routing failed",
                   count="succeeded", base=("succeeded", "failed"), base_words="routed or failed",
                   pages=_EVERYWHERE),
        MetricSpec("failed", FAILED, "The leads whose routing failed"),
        MetricSpec("tta_p50_minutes", ASSIGNED, "The assigned leads", base=("assigned",),
                   base_words="assigned", tier_sla=True, pages=(TRENDS, FLOW_CHANGES)),
        MetricSpec("tta_p95_minutes", ASSIGNED, "The assigned leads", base=("assigned",),
                   base_words="assigned", tier_sla=True, pages=_EVERYWHERE),
        MetricSpec("assign_sla_met_rate", pages=_EVERYWHERE),
        MetricSpec("first_touch_p50_minutes", TOUCHED, "The touched leads", base=("touched",),
                   base_words="touched", tier_sla=True, pages=(TRENDS, FLOW_CHANGES)),
        MetricSpec("first_touch_p95_minutes", TOUCHED, "The touched leads", base=("touched",),
                   base_words="touched", tier_sla=True, pages=_EVERYWHERE),
        MetricSpec("touch_sla_met_rate", pages=_EVERYWHERE),
        MetricSpec("acceptance_rate", (("flag", "not_accepted"),),
                   "The assigned leads not accepted", count="accepted", pages=_EVERYWHERE),
        MetricSpec("bounce_rate", (("flag", "bounced"),), "The bounced leads", count="bounced",
                   base=("assigned",), base_words="assigned", pages=(TRENDS, HEATMAPS)),
        MetricSpec("rejection_rate", (("flag", "rejected"),), "The rejected leads",
                   count="rejected", base=("assigned",), base_words="assigned",
                   pages=_EVERYWHERE),
        MetricSpec("queued", QUEUED, "The queued leads"),
        MetricSpec("queued_over_limit", (("flag", "over_limit"),),
                   "The leads queued past the limit", target_words="none over {limit}",
                   pages=(TRENDS, HEATMAPS)),
        MetricSpec("oldest_queue_age_hours", QUEUED, "The queued leads"),
    )
}
"""The drill-down of every metric a page shows, in the Overview's order."""
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


def shown_on(page: str) -> tuple[MetricSpec, ...]:
    """The metrics ``page`` (``TRENDS``, ``HEATMAPS``, ``FLOW_CHANGES``) shows, in ``METRICS``
    order: the pages iterate this instead of naming metrics."""
    return tuple(spec for spec in METRICS.values() if page in spec.pages)


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
        """The catalog label of the metric read on this clock (a twin's says "business")."""
        return catalog.metric(self.key(spec.key)).label

    def short(self, spec: MetricSpec) -> str:
        return catalog.metric(self.key(spec.key)).short_label


def parse_clock(raw: str | None, metrics: Mapping[str, Any]) -> Clock:
    """``?clock=business`` when the rollup dicts carry the business-hours metrics, else wall."""
    available = all(name in metrics for name in BUSINESS_VARIANTS.values())
    name = "business" if raw == "business" and available else "wall"
    return Clock(name, available)


@dataclass(frozen=True)
class Change:
    """A value against the previous period: ``direction`` up/down/flat, ``verdict``
    better/worse/"" (a volume, or unknown)."""

    text: str
    direction: str
    verdict: str


def change(current: float | None, previous: float | None, spec: MetricSpec) -> Change | None:
    """``current`` against ``previous``: a rate in points, a time by the one duration rule, a
    count as a number and a percentage."""
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
        text = "no change" if flat else _sign(delta) + format_count(abs(delta))
        if not flat and previous:
            text += f" ({_signed(delta / previous * 100, '.0f')}%)"
    direction = "flat" if flat else ("up" if delta > 0 else "down")
    verdict = ""
    if not flat and spec.better != "none":
        verdict = "better" if (delta > 0) == (spec.better == "higher") else "worse"
    return Change(text, direction, verdict)


def _sign(value: float) -> str:
    return "+" if value > 0 else MINUS if value < 0 else ""


def _signed(value: float, fmt: str) -> str:
    return _sign(value) + format(abs(value), fmt)
