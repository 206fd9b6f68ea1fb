"""Week-over-week changes and targets: how a metric moved, and whether it meets its target.

Rates change in percentage points (absolute), durations relatively (+25 % = a quarter slower),
counts by their difference (the metric's catalog ``unit``). Whether a move is better or worse is
the catalog's ``better``: a higher success rate is better, a higher p95 is worse, more leads is
neither.

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

from routing_health.alerts.rules import (
    RULES,
    TIER_ASSIGN_SLA,
    TIER_TOUCH_SLA,
    effective_rule,
    tier_sla,
)
from routing_health.config import RoutingConfig
from routing_health.metrics.catalog import metric, wall_clock_twin

Kind = Literal["pp", "relative", "count"]
Direction = Literal["better", "worse", "same", "neutral", "n/a"]
Status = Literal["met", "missed", "n/a"]

# Below these a move reads as "same": a displayed "+0.0 pp" must not say "better".
SAME_PP = 0.05
SAME_RELATIVE = 0.005

# How a metric's change is measured, by its catalog unit.
KIND_OF_UNIT: Mapping[str, Kind] = {
    "rate": "pp", "minutes": "relative", "hours": "relative", "count": "count",
}
# The report's targets: the alert rules whose threshold is a metric's target (spec section 6).
# The metric is the rule's, the comparison that MEETS it follows the catalog's ``better``.
TARGET_RULE_NAMES = ("assignment_success", "tta_p95", "touch_p95", "rejection_rate")
MEETS: Mapping[str, Literal[">=", "<="]] = {"higher": ">=", "lower": "<="}
TARGET_RULES: Mapping[str, tuple[str, Literal[">=", "<="]]] = {
    RULES[rule].metric: (rule, MEETS[metric(RULES[rule].metric).better])
    for rule in TARGET_RULE_NAMES
}
# Targets that are a tier's SLA: only a row of one tier has them.
TIER_TARGETS = frozenset(
    name for name, (rule, _) in TARGET_RULES.items()
    if RULES[rule].default_threshold in (TIER_ASSIGN_SLA, TIER_TOUCH_SLA)
)


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


def base_metric(name: str) -> str:
    """The wall-clock metric a business-hours variant belongs to (spec section 10)."""
    return wall_clock_twin(name) or name


def kind_of(name: str) -> Kind:
    return KIND_OF_UNIT[metric(name).unit]


def change(name: str, current: Any, previous: Any) -> Change:
    """The week-over-week change of metric ``name`` (see ``Change``)."""
    kind = kind_of(name)
    if current is None or previous is None:
        return Change(name, kind, None, "n/a")
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
        return Change(name, kind, 0.0 if value is not None else None, "same")
    if value is None:
        up = float(current) > float(previous)
    else:
        up = value > 0
    better = metric(base_metric(name)).better
    if better == "higher":
        direction: Direction = "better" if up else "worse"
    elif better == "lower":
        direction = "worse" if up else "better"
    else:
        direction = "neutral"
    return Change(name, kind, value, direction)


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
    for name, (rule, comparison) in TARGET_RULES.items():
        if name in TIER_TARGETS and not has_tier:
            continue
        settings = effective_rule(config, rule, region, tier)
        compared, clock = name, "wall"
        twin = metric(name).business_twin
        # A tier row (no region) mixes regions: its business twin puts each lead on its own
        # region's calendar (wall clock without one), which is what the per-region alerts judge.
        business = settings.clock == "business" or (
            region is None and name in TIER_TARGETS and tier_sla(config, tier).clock == "business"
        )
        if business and twin is not None and twin in (metrics or {}):
            compared, clock = twin, "business"
        threshold = settings.threshold
        value = None if metrics is None else metrics.get(compared)
        if value is None:
            status: Status = "n/a"
        elif comparison == ">=":
            status = "met" if value >= threshold else "missed"
        else:
            status = "met" if value <= threshold else "missed"
        checks.append(TargetCheck(name, comparison, threshold, value, status, clock))
    return tuple(checks)
