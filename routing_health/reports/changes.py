"""Week-over-week changes and targets: how a metric moved, and whether it meets its target.

Rates change in percentage points (absolute), durations relatively (+25 % = a quarter slower),
counts by their difference. Whether a move is better or worse depends on the metric: a higher
success rate is better, a higher p95 is worse, more leads is neither.

Targets are the alert thresholds of spec section 6, resolved per segment through
``routing_health.alerts.rules.effective_rule`` (so a ``[[alerts.overrides]]`` entry moves the
report's target too): assignment success ≥ 99.5 %, TTA p95 ≤ the tier's ``assign_minutes``,
first-touch p95 ≤ the tier's ``touch_minutes``, rejection rate ≤ 10 %. The TTA and touch targets
need a tier; a row that mixes tiers (a region, the total) shows none for them. Like the alerts,
a tier whose SLA ``clock = "business"`` is judged on business minutes in a region with a
calendar (``effective_rule(...).clock``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from routing_health.alerts.rules import effective_rule, tier_sla
from routing_health.config import RoutingConfig

Kind = Literal["pp", "relative", "count"]
Direction = Literal["better", "worse", "same", "neutral", "n/a"]
Status = Literal["met", "missed", "n/a"]

RATE_METRICS: frozenset[str] = frozenset(
    {
        "assignment_success_rate",
        "assign_sla_met_rate",
        "touch_sla_met_rate",
        "bounce_rate",
        "acceptance_rate",
        "rejection_rate",
    }
)
DURATION_METRICS: frozenset[str] = frozenset(
    {
        "tta_p50_minutes",
        "tta_p95_minutes",
        "first_touch_p50_minutes",
        "first_touch_p95_minutes",
        "oldest_queue_age_hours",
    }
)
HIGHER_IS_BETTER: frozenset[str] = frozenset(
    {"assignment_success_rate", "assign_sla_met_rate", "touch_sla_met_rate", "acceptance_rate"}
)
LOWER_IS_BETTER: frozenset[str] = frozenset(
    {
        *DURATION_METRICS,
        "failed",
        "bounce_rate",
        "rejection_rate",
        "queued_over_limit",
    }
)
# Below these a move reads as "same": a displayed "+0.0 pp" must not say "better".
SAME_PP = 0.05
SAME_RELATIVE = 0.005

# The report's targets: metric -> (alert rule, comparison that MEETS the target).
TARGET_RULES: Mapping[str, tuple[str, Literal[">=", "<="]]] = {
    "assignment_success_rate": ("assignment_success", ">="),
    "tta_p95_minutes": ("tta_p95", "<="),
    "first_touch_p95_minutes": ("touch_p95", "<="),
    "rejection_rate": ("rejection_rate", "<="),
}
TIER_TARGETS = frozenset({"tta_p95_minutes", "first_touch_p95_minutes"})
BUSINESS_TWINS: Mapping[str, str] = {
    "tta_p95_minutes": "tta_p95_business_minutes",
    "first_touch_p95_minutes": "first_touch_p95_business_minutes",
}


@dataclass(frozen=True)
class Change:
    """How ``metric`` moved from ``previous`` to ``current``.

    ``value``: percentage points for a rate (``+1.5`` = 1.5 points up), a fraction for a duration
    (``0.25`` = 25 % longer), a difference for a count; ``None`` when either side is null (or a
    duration's previous value is 0).
    """

    metric: str
    kind: Kind
    value: float | None
    direction: Direction


@dataclass(frozen=True)
class TargetCheck:
    """``value`` against ``threshold`` (met when ``value comparison threshold``).

    ``metric`` names the wall-clock metric the target belongs to; with ``clock == "business"``
    (the tier's SLA runs on its region's business-hours calendar, as the alert does) ``value`` is
    that metric's business-minutes twin.
    """

    metric: str
    comparison: Literal[">=", "<="]
    threshold: float
    value: float | None
    status: Status
    clock: str = "wall"


def base_metric(metric: str) -> str:
    """The wall-clock metric a business-hours variant belongs to (spec section 10)."""
    return metric.replace("_business", "")


def kind_of(metric: str) -> Kind:
    base = base_metric(metric)
    if base in RATE_METRICS:
        return "pp"
    if base in DURATION_METRICS:
        return "relative"
    return "count"


def change(metric: str, current: Any, previous: Any) -> Change:
    """The week-over-week change of one metric (see ``Change``)."""
    kind = kind_of(metric)
    if current is None or previous is None:
        return Change(metric, kind, None, "n/a")
    if kind == "pp":
        value: float | None = (float(current) - float(previous)) * 100.0
        same = abs(value) < SAME_PP
    elif kind == "relative":
        if float(previous) == 0.0:
            value = None
            same = float(current) == 0.0
        else:
            value = float(current) / float(previous) - 1.0
            same = abs(value) < SAME_RELATIVE
    else:
        value = float(current) - float(previous)
        same = value == 0
    if same:
        return Change(metric, kind, 0.0 if value is not None else None, "same")
    if value is None:
        up = float(current) > float(previous)
    else:
        up = value > 0
    base = base_metric(metric)
    if base in HIGHER_IS_BETTER:
        direction: Direction = "better" if up else "worse"
    elif base in LOWER_IS_BETTER:
        direction = "worse" if up else "better"
    else:
        direction = "neutral"
    return Change(metric, kind, value, direction)


def changes(
    current: Mapping[str, Any] | None, previous: Mapping[str, Any] | None, metrics: tuple[str, ...]
) -> dict[str, Change]:
    """``change`` for each metric; a missing side counts as null."""
    return {
        m: change(m, (current or {}).get(m), (previous or {}).get(m)) for m in metrics
    }


def target_checks(
    config: RoutingConfig,
    metrics: Mapping[str, Any] | None,
    *,
    region: str | None = None,
    tier: str | None = None,
    has_tier: bool = False,
) -> tuple[TargetCheck, ...]:
    """The targets of a row. ``has_tier``: the row is one tier (its SLA targets apply)."""
    checks = []
    for metric, (rule, comparison) in TARGET_RULES.items():
        if metric in TIER_TARGETS and not has_tier:
            continue
        settings = effective_rule(config, rule, region, tier)
        compared, clock = metric, "wall"
        # A tier row (no region) mixes regions: its business twin puts each lead on its own
        # region's calendar (wall clock without one), which is what the per-region alerts judge.
        business = settings.clock == "business" or (
            region is None and metric in TIER_TARGETS and tier_sla(config, tier).clock == "business"
        )
        if business and BUSINESS_TWINS.get(metric) in (metrics or {}):
            compared, clock = BUSINESS_TWINS[metric], "business"
        threshold = settings.threshold
        value = None if metrics is None else metrics.get(compared)
        if value is None:
            status: Status = "n/a"
        elif comparison == ">=":
            status = "met" if value >= threshold else "missed"
        else:
            status = "met" if value <= threshold else "missed"
        checks.append(TargetCheck(metric, comparison, threshold, value, status, clock))
    return tuple(checks)
