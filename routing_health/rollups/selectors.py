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

from routing_health.metrics import METRIC_NAMES, catalog, definitions
from routing_health.models import DailyRollup, MetricsState
from routing_health.rollups.rows import COUNT_FIELDS, KEYS, VALUE_FIELDS, unpack

ROLLUP_KEYS = tuple(KEYS)
VALUE_FIELD_OF = {source: field for field, source in VALUE_FIELDS.items()}
"""``LeadFact`` minutes column (a catalog percentile's ``source``) -> its rollup field."""
QUANTILES = sorted({m.formula.q for m in catalog.METRICS
                    if isinstance(m.formula, catalog.Percentile)})
"""Every quantile the catalog reads (p50, p95), computed together per values column."""


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
    """The metrics of the union of ``rows`` as of ``as_of`` (``METRIC_NAMES`` order): each by
    its catalog formula (``metrics.definitions``), counts summed over the rows, percentiles
    over their merged values, the oldest queued lead from the earliest queue entry."""
    counts = {name: sum(getattr(r, name) for r in rows) for name in COUNT_FIELDS}
    quantiles: dict[str, list[float | None]] = {}
    metrics: dict[str, Any] = {}
    for row in catalog.METRICS:
        formula = row.formula
        if isinstance(formula, catalog.Count | catalog.Rate) and not _in_rollups(formula):
            # Not stored per day × region × tier × source (the input-quality metrics): the
            # export and the Data quality page compute them from the stored leads.
            metrics[row.name] = None
        elif isinstance(formula, catalog.Count):
            metrics[row.name] = counts[formula.members]
        elif isinstance(formula, catalog.Rate):
            metrics[row.name] = definitions.rate_of(row.name, counts)
        elif isinstance(formula, catalog.Percentile):
            if formula.source not in quantiles:
                values = _values(rows, VALUE_FIELD_OF[formula.source])
                quantiles[formula.source] = definitions.percentiles(values, QUANTILES)
            metrics[row.name] = quantiles[formula.source][QUANTILES.index(formula.q)]
        elif isinstance(formula, catalog.Maximum):
            metrics[row.name] = _oldest_queue_age_hours(rows, as_of)
    return {name: metrics[name] for name in METRIC_NAMES}


def in_rollups(name: str) -> bool:
    """Whether the daily rollups hold what metric ``name`` is made of (the input-quality
    metrics are not stored per day × region × tier × source: ``merge_rollups`` gives None)."""
    formula = catalog.metric(name).formula
    return not isinstance(formula, catalog.Count | catalog.Rate) or _in_rollups(formula)


def _in_rollups(formula: catalog.Count | catalog.Rate) -> bool:
    if isinstance(formula, catalog.Count):
        return formula.members in COUNT_FIELDS
    return all(part in COUNT_FIELDS for part in (formula.numerator, *formula.denominator))


def _oldest_queue_age_hours(rows: list[DailyRollup], as_of: datetime | None) -> float | None:
    entered = [r.oldest_queue_entered_at for r in rows if r.oldest_queue_entered_at]
    return (as_of - min(entered)).total_seconds() / 3600 if entered and as_of is not None else None


def _values(rows: list[DailyRollup], field: str) -> np.ndarray:
    parts = [unpack(bytes(getattr(r, field))) for r in rows if getattr(r, field)]
    return np.concatenate(parts) if parts else np.empty(0)
