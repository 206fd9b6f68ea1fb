"""What drove the change, for people: the headline rates' changes between two cohorts, each split
over segments, failure reasons and reps (``routing_health.metrics.drivers``), with the top
contributors and the rest, in lines that add up as displayed.

``change_drivers(before, after, ...)`` takes two ``lead_facts`` frames (the earlier cohort at
equal age) and returns one ``MetricDrivers`` per metric of ``DRIVER_METRICS``; the weekly review
and the Trends page show them through ``driver_lines``. Splits per metric (``SPLITS``):

- every rate by **segment** (region × tier: mix and rate terms);
- assignment success by **failure reason within a segment** ("EMEA hot at Decision: Assign by
  Territory"): each reason's failed leads over the denominator — the leads that did not fail
  contribute nothing, so these lines add up to the whole change;
- the rates over assigned leads and the SLA rates by **rep** (the first rep; "(no rep)": not
  assigned). Assignment success is not split by rep: a failed lead reached no rep.

Shown in percentage points with one decimal: each line is rounded so that the lines add up to
the rounded total exactly (largest remainders), so a reader's sum never disagrees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from routing_health.lib.format import MINUS
from routing_health.metrics.catalog import format_metric, metric
from routing_health.metrics.drivers import (
    Contribution,
    Decomposition,
    change_by_group,
    change_by_share,
)

DRIVER_METRICS = (
    "assignment_success_rate", "acceptance_rate", "assign_sla_met_rate", "touch_sla_met_rate",
    "bounce_rate", "rejection_rate",
)
TOP = 3
SEGMENT = ("region", "tier")
Split = Callable[..., Decomposition | None]
# (name, grouping, split) per metric; see the module docstring.
SPLITS: Mapping[str, tuple[tuple[str, tuple[str, ...], Split], ...]] = {
    "assignment_success_rate": (
        ("segment", SEGMENT, change_by_group),
        ("failure reason", (*SEGMENT, "failure_reason"), change_by_share),
    ),
    **{
        name: (("segment", SEGMENT, change_by_group), ("rep", ("first_rep",), change_by_group))
        for name in DRIVER_METRICS if name != "assignment_success_rate"
    },
}
NO_VALUE = {"region": "(no region)", "tier": "(no tier)", "failure_reason": "(no reason)",
            "first_rep": "(no rep)"}
CANNOT_COMPARE = "cannot compare: nothing to rate in one of the two periods"


@dataclass(frozen=True)
class Driver:
    """One group's part of the change (a rate's points as a fraction: 0.049 = 4.9 pp)."""

    keys: Mapping[str, str | None]
    label: str  # ``group_label``: "EMEA hot", "EMEA hot at Decision: …", a rep's name
    contribution: float
    before: float | None
    after: float | None
    base_before: int
    base_after: int


@dataclass(frozen=True)
class Breakdown:
    """The change split one way: the ``top`` groups by size and the sum of the ``other`` ones."""

    name: str  # "segment" | "failure reason" | "rep"
    by: tuple[str, ...]
    top: tuple[Driver, ...]
    other_groups: int
    other: float


@dataclass(frozen=True)
class MetricDrivers:
    """A metric's change and its breakdowns; ``before``/``after`` ``None``: cannot compare."""

    metric: str
    before: float | None
    after: float | None
    breakdowns: tuple[Breakdown, ...]

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class DriverLine:
    """A displayed line: its words, its points (``"−4.9 pp"``) and, for a group, its keys."""

    label: str
    text: str
    tenths: int  # the displayed points × 10 (the lines' tenths add up to the total's)
    keys: Mapping[str, str | None] | None = None  # None: the "other groups" line


def change_drivers(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    queue_age_limit_hours: float,
    metrics: Sequence[str] = DRIVER_METRICS,
    top: int = TOP,
    names: Mapping[str, str] | None = None,
) -> tuple[MetricDrivers, ...]:
    """For each of ``metrics``: its change from cohort ``before`` to ``after`` (``lead_facts``
    frames, the earlier at equal age) and the ``top`` contributors of each split of ``SPLITS``;
    ``names`` maps a rep's Id to the name its line shows."""
    found = []
    for name in metrics:
        breakdowns, totals = [], None
        for label, by, split in SPLITS[name]:
            result = split(before, after, name, by, queue_age_limit_hours=queue_age_limit_hours)
            if result is None:
                break
            totals = (result.before, result.after)
            breakdowns.append(_breakdown(label, result, top, names or {}))
        if totals is None or len(breakdowns) < len(SPLITS[name]):
            found.append(MetricDrivers(name, None, None, ()))
        else:
            found.append(MetricDrivers(name, totals[0], totals[1], tuple(breakdowns)))
    return tuple(found)


def _breakdown(
    name: str, result: Decomposition, top: int, names: Mapping[str, str]
) -> Breakdown:
    def driver(c: Contribution) -> Driver:
        keys = dict(zip(result.by, c.key, strict=True))
        return Driver(keys, group_label(keys, names), c.contribution, c.before, c.after,
                      c.base_before, c.base_after)

    rest = result.contributions[top:]
    return Breakdown(
        name, result.by, tuple(driver(c) for c in result.contributions[:top]), len(rest),
        float(sum(c.contribution for c in rest)),
    )


def group_label(keys: Mapping[str, str | None], names: Mapping[str, str]) -> str:
    """``"EMEA hot"``, ``"EMEA hot at Decision: Assign by Territory"``, a rep's name."""
    def shown(key: str) -> str:
        value = keys[key]
        if value is None:
            return NO_VALUE.get(key, "(none)")
        return names.get(value, value) if key == "first_rep" else value

    segment = " ".join(shown(k) for k in SEGMENT if k in keys)
    others = [shown(k) for k in keys if k not in SEGMENT]
    if segment and others:
        return f"{segment} at {' '.join(others)}"
    return segment or " ".join(others)


def driver_lines(drivers: MetricDrivers, breakdown: Breakdown) -> list[DriverLine]:
    """The top contributors and, when there are more groups, ``"other N groups"``: rounded to
    tenths of a point so that they add up to ``total_tenths(drivers)`` exactly."""
    values = [d.contribution for d in breakdown.top]
    if breakdown.other_groups:
        values.append(breakdown.other)
    tenths = rounded_tenths(values, total_tenths(drivers))
    lines = [
        DriverLine(d.label, points_text(t), t, d.keys)
        for d, t in zip(breakdown.top, tenths, strict=False)
    ]
    if breakdown.other_groups:
        groups = breakdown.other_groups
        lines.append(DriverLine(f"other {groups:,} group{'s' if groups != 1 else ''}",
                                points_text(tenths[-1]), tenths[-1]))
    return lines


def total_tenths(drivers: MetricDrivers) -> int:
    """The change in tenths of a point, as the total is shown (0 when it cannot be compared)."""
    change = drivers.change
    return 0 if change is None else round(change * 1000)


def rounded_tenths(values: Sequence[float], total: int) -> list[int]:
    """``values`` (fractions) in tenths of a point, each rounded down or up, so that they add up
    to ``total`` (largest remainders: the parts furthest from their floor go up first)."""
    if not values:
        return []
    scaled = np.asarray(values, dtype=float) * 1000
    floors = np.floor(scaled)
    short = int(total - floors.sum())
    # Float jitter can only move ``short`` outside 0..n by a hair: the clip keeps it in range.
    short = min(max(short, 0), len(values))
    order = np.argsort(-(scaled - floors), kind="stable")
    floors[order[:short]] += 1
    result = [int(v) for v in floors]
    result[int(np.argmax(np.abs(scaled)))] += total - sum(result)  # only if clipped
    return result


def points_text(tenths: int) -> str:
    """Tenths of a percentage point as shown: ``"−4.9 pp"``, ``"+0.3 pp"``, ``"±0.0 pp"``."""
    if tenths == 0:
        return "±0.0 pp"
    sign = "+" if tenths > 0 else MINUS
    return f"{sign}{abs(tenths) // 10:,}.{abs(tenths) % 10} pp"


def change_words(drivers: MetricDrivers) -> str:
    """The total change as shown beside the lines, or why there is none."""
    return CANNOT_COMPARE if drivers.change is None else points_text(total_tenths(drivers))


def lead_filters(keys: Mapping[str, str | None] | None) -> dict[str, str] | None:
    """The lead list's filters (``/leads?...``: region, tier, failure reason with outcome
    failed, first rep) that select a group's leads; ``None`` for the "other groups" line or a
    group without a value (the list cannot select "empty")."""
    if keys is None or any(value is None for value in keys.values()):
        return None
    found = {k: str(v) for k, v in keys.items()}
    if "failure_reason" in keys:
        found["outcome"] = "failed"
    return found


def line_direction(name: str, tenths: int) -> str:
    """``"better"`` / ``"worse"`` for a line moving the metric ``name`` by ``tenths``; ``""``
    when it does not move it as shown."""
    better = metric(name).better
    if tenths == 0 or better == "none":
        return ""
    return "better" if (tenths > 0) == (better == "higher") else "worse"


def drivers_display(drivers: Sequence[MetricDrivers]) -> list[dict[str, Any]]:
    """Display-ready "what drove the change": per metric its label, both values (the one
    formatter), the change in points, and per breakdown its lines (``driver_lines``)."""
    shown = []
    for item in drivers:
        row = metric(item.metric)
        total = total_tenths(item)
        shown.append({
            "metric": item.metric,
            "label": row.label,
            "before": format_metric(item.metric, item.before),
            "after": format_metric(item.metric, item.after),
            "comparable": item.change is not None,
            "change": change_words(item),
            "direction": line_direction(item.metric, total) if item.change is not None else "",
            "breakdowns": [
                {
                    "name": b.name,
                    "by": b.by,
                    "lines": [
                        {"label": line.label, "text": line.text, "keys": line.keys,
                         "direction": line_direction(item.metric, line.tenths)}
                        for line in driver_lines(item, b)
                    ],
                }
                for b in item.breakdowns
            ],
        })
    return shown


def top_driver_text(drivers: MetricDrivers) -> str | None:
    """One line for a summary: ``"−5.3 pp; largest part EMEA hot at Decision: X (−4.9 pp)"``;
    ``None`` when it cannot be compared or nothing moved as shown."""
    if drivers.change is None or not drivers.breakdowns or total_tenths(drivers) == 0:
        return None
    breakdown = drivers.breakdowns[-1]  # the finest split: reasons in a segment, or reps
    lines = [line for line in driver_lines(drivers, breakdown) if line.keys is not None]
    if not lines:
        return change_words(drivers)
    return f"{change_words(drivers)}; largest part {lines[0].label} ({lines[0].text})"
