"""Pure routing metric engine: pandas in, pandas/dicts out; no Django, no I/O.

``lead_facts`` computes the per-lead facts of spec section 4 (``lead_facts_of``: the same from an
object holding its five input frames); ``cohort`` picks the leads created in a window;
``group_metrics``, ``total_metrics`` and ``metrics_rows`` aggregate facts into the metrics of
section 5. Input and output columns are declared in ``routing_health.metrics.columns``.
"""

from __future__ import annotations

from routing_health.metrics.aggregate import (
    DUPLICATE_NAMES,
    GROUP_KEYS,
    METRIC_NAMES,
    cohort,
    group_metrics,
    metrics_rows,
    total_metrics,
)
from routing_health.metrics.columns import (
    ACTIVITY_COLUMNS,
    FACT_COLUMNS,
    LEAD_COLUMNS,
    OWNER_CHANGE_COLUMNS,
    STATUS_CHANGE_COLUMNS,
)
from routing_health.metrics.facts import lead_facts, lead_facts_of
from routing_health.metrics.params import MetricParams

__all__ = [
    "ACTIVITY_COLUMNS",
    "DUPLICATE_NAMES",
    "FACT_COLUMNS",
    "GROUP_KEYS",
    "LEAD_COLUMNS",
    "METRIC_NAMES",
    "OWNER_CHANGE_COLUMNS",
    "STATUS_CHANGE_COLUMNS",
    "MetricParams",
    "cohort",
    "group_metrics",
    "lead_facts",
    "lead_facts_of",
    "metrics_rows",
    "total_metrics",
]
