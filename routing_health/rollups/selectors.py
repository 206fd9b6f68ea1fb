"""Selectors: metrics for the dashboard, merged from ``DailyRollup`` (never from raw leads).

Counts add up across days and segments; percentiles come from the merged sorted values, so a
range's numbers equal ``export_metrics`` for the same cohort as of the last compute. Every
metric has its business-hours variant (``*_business_minutes``, ``*_rate_business``), equal to
the wall-clock one for regions without a calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from routing_health.metrics import METRIC_NAMES
from routing_health.models import DailyRollup, MetricsState
from routing_health.rollups.rows import COUNT_FIELDS, KEYS, unpack

ROLLUP_KEYS = tuple(KEYS)


@dataclass(frozen=True)
class Segment:
    """Filters of a dashboard view; empty strings mean "all"."""

    start: date
    end: date
    region: str = ""
    tier: str = ""
    source: str = ""


def metrics_state() -> MetricsState | None:
    """The ``MetricsState`` row (``None`` before the first ``compute_metrics``)."""
    return MetricsState.objects.filter(pk=1).first()


def metrics_as_of() -> datetime | None:
    state = metrics_state()
    return state.as_of if state else None


def rollup_metrics(segment: Segment, by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One dict per group of ``by`` (any of day, region, tier, source): keys then metrics.

    With ``by`` empty, a single dict over the whole segment (zero counts when empty).
    """
    unknown = [key for key in by if key not in ROLLUP_KEYS]
    if unknown:
        raise ValueError(f"cannot group rollups by {', '.join(unknown)}")
    rows = DailyRollup.objects.filter(day__gte=segment.start, day__lte=segment.end)
    for field in ("region", "tier", "source"):
        value = getattr(segment, field)
        if value:
            rows = rows.filter(**{field: value})
    as_of = metrics_as_of()
    groups: dict[tuple, list[DailyRollup]] = {}
    for row in rows.order_by(*ROLLUP_KEYS):
        groups.setdefault(tuple(getattr(row, k) for k in by), []).append(row)
    if not by:
        return [{**merge_rollups(groups.get((), []), as_of)}]
    return [
        {**dict(zip(by, (_key(v) for v in key), strict=True)), **merge_rollups(members, as_of)}
        for key, members in sorted(groups.items(), key=lambda kv: _sort_key(kv[0]))
    ]


def _key(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value or None


def _sort_key(key: tuple) -> tuple:
    return tuple((v in ("", None), v) for v in key)


def merge_rollups(rows: list[DailyRollup], as_of: datetime | None) -> dict[str, Any]:
    """The metrics of the union of ``rows`` as of ``as_of`` (``METRIC_NAMES`` order)."""
    c = {name: sum(getattr(r, name) for r in rows) for name in COUNT_FIELDS}
    tta_q = _medians_and_p95(_values(rows, "tta_values"))
    touch_q = _medians_and_p95(_values(rows, "first_touch_values"))
    tta_business_q = _medians_and_p95(_values(rows, "tta_business_values"))
    touch_business_q = _medians_and_p95(_values(rows, "first_touch_business_values"))
    entered = [r.oldest_queue_entered_at for r in rows if r.oldest_queue_entered_at]
    oldest = (
        (as_of - min(entered)).total_seconds() / 3600 if entered and as_of is not None else None
    )
    metrics = {
        "leads": c["leads"],
        "succeeded": c["succeeded"],
        "failed": c["failed"],
        "pending": c["pending"],
        "assignment_success_rate": _rate(c["succeeded"], c["succeeded"] + c["failed"]),
        "assigned": c["assigned"],
        "tta_p50_minutes": tta_q[0],
        "tta_p95_minutes": tta_q[1],
        "assign_sla_met_rate": _rate(c["assign_sla_met"], c["assign_sla_applicable"]),
        "bounced": c["bounced"],
        "bounce_rate": _rate(c["bounced"], c["assigned"]),
        "accepted": c["accepted"],
        "acceptance_rate": _rate(c["accepted"], c["acceptance_base"]),
        "touched": c["touched"],
        "first_touch_p50_minutes": touch_q[0],
        "first_touch_p95_minutes": touch_q[1],
        "touch_sla_met_rate": _rate(c["touch_sla_met"], c["touch_sla_applicable"]),
        "rejected": c["rejected"],
        "rejection_rate": _rate(c["rejected"], c["assigned"]),
        "queued": c["queued"],
        "queued_over_limit": c["queued_over_limit"],
        "oldest_queue_age_hours": oldest,
        "tta_p50_business_minutes": tta_business_q[0],
        "tta_p95_business_minutes": tta_business_q[1],
        "first_touch_p50_business_minutes": touch_business_q[0],
        "first_touch_p95_business_minutes": touch_business_q[1],
        "assign_sla_met_rate_business": _rate(
            c["assign_sla_met_business"], c["assign_sla_applicable_business"]
        ),
        "touch_sla_met_rate_business": _rate(
            c["touch_sla_met_business"], c["touch_sla_applicable_business"]
        ),
    }
    return {name: metrics[name] for name in METRIC_NAMES}


def _values(rows: list[DailyRollup], field: str) -> np.ndarray:
    parts = [unpack(bytes(getattr(r, field))) for r in rows if getattr(r, field)]
    return np.concatenate(parts) if parts else np.empty(0)


def _medians_and_p95(values: np.ndarray) -> tuple[float | None, float | None]:
    """p50 and p95 (linear interpolation) in one pass over the values."""
    if not values.size:
        return None, None
    p50, p95 = np.quantile(values, [0.5, 0.95])
    return float(p50), float(p95)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
