"""The shadow comparison for one range of days (issue 17): what the Shadow page and the weekly
review show. Reads through the export's engine path (``export.cohort_facts`` with the shadow
columns), so the numbers are those of ``export_metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.metrics import metrics_rows, total_metrics
from routing_health.metrics.shadow_review import Review, bias_review, compare_outcomes

MSG_NOT_CONFIGURED = (
    "Shadow comparison is off: add a [shadow] table naming the Lead field that holds the "
    "candidate owner (candidate_field = \"AI_Recommended_Owner__c\") to the routing "
    "configuration, then sync (see docs/configuration.md, \"Shadow comparison\")."
)


@dataclass(frozen=True)
class ShadowSummary:
    """``total``: the export's total (base and shadow metrics); ``weeks``: rows by week;
    ``review``: outcomes and verdict; ``bias``: ``shadow_review.BIAS_COLUMNS`` rows."""

    total: dict[str, Any]
    weeks: list[dict[str, Any]]
    review: Review
    bias: pd.DataFrame
    conversion_days: int
    bias_threshold: float


def shadow_summary(
    config: RoutingConfig,
    *,
    start: date,
    end: date,
    as_of: datetime,
    region: str = "",
    tier: str = "",
) -> ShadowSummary | None:
    """The comparison of the leads created on ``[start, end]`` (local days), as of ``as_of``,
    narrowed to ``region`` / ``tier`` when given; ``None`` without ``[shadow]``."""
    from routing_health.reports.export import cohort_facts  # the export imports this module

    shadow = config.shadow
    if shadow is None:
        return None
    params = resolved_params(config)
    facts = cohort_facts(params, start, end, as_of, shadow=shadow)
    keep = pd.Series(True, index=facts.index)
    if region:
        keep &= facts["region"].astype(object) == region
    if tier:
        keep &= facts["tier"].astype(object) == tier
    facts = facts[keep.to_numpy(dtype=bool)]
    return ShadowSummary(
        total=total_metrics(facts, params),
        weeks=metrics_rows(facts, ["week"], params),
        review=compare_outcomes(facts, shadow.conversion_days),
        bias=bias_review(facts, shadow.bias_threshold),
        conversion_days=shadow.conversion_days,
        bias_threshold=shadow.bias_threshold,
    )
