"""Group metrics, totals, cohorts and JSON rows (spec sections 5 and 7)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from routing_health.metrics import (
    METRIC_NAMES,
    cohort,
    group_metrics,
    metrics_rows,
    total_metrics,
)
from routing_health.metrics.aggregate import DUPLICATE_GROUP_KEY, UNKNOWN_GROUP_KEY, _percentiles
from tests.metrics.frames import at, sfid
from tests.metrics.helpers import (
    HOLDING_QUEUE,
    PARAMS,
    REP_A,
    REP_B,
    TRIAGE,
    WORKING_QUEUE,
    activity,
    facts,
    owner_change,
)

AS_OF = "2026-01-07 12:00:00"


def lead(number: int, created: str, owner: str, **fields: object) -> dict[str, object]:
    return {"id": sfid("00Q", number), "created_at": at(created), "owner_id": owner, **fields}


def sample_facts() -> pd.DataFrame:
    """Five leads over two days: an assigned and touched hot lead in AMER, an assigned EMEA lead,
    a fallback failure, a queued lead without a region and a pending lead on T's day."""
    return facts(
        AS_OF,
        leads=[
            lead(1, "2026-01-05 10:00:00", REP_A, region="AMER", LeadSource="Web"),
            lead(2, "2026-01-05 11:00:00", REP_B, region="EMEA", tier="standard"),
            lead(3, "2026-01-06 09:00:00", TRIAGE, region="AMER"),
            lead(4, "2026-01-06 10:00:00", WORKING_QUEUE, region=""),
            lead(5, "2026-01-07 11:30:00", HOLDING_QUEUE, region="EMEA"),
        ],
        owner_changes=[
            owner_change("2026-01-05 10:04:00", HOLDING_QUEUE, REP_A, 1, sfid("00Q", 1)),
            owner_change("2026-01-05 11:30:00", HOLDING_QUEUE, REP_B, 2, sfid("00Q", 2)),
            owner_change("2026-01-06 09:01:00", HOLDING_QUEUE, TRIAGE, 3, sfid("00Q", 3)),
        ],
        activities=[activity("2026-01-05 10:10:00", REP_A, 1, sfid("00Q", 1))],
    )


def test_metric_names_follow_the_spec_table_order() -> None:
    assert METRIC_NAMES[:5] == (
        "leads",
        "succeeded",
        "failed",
        "pending",
        "assignment_success_rate",
    )
    assert METRIC_NAMES[19:22] == ("queued", "queued_over_limit", "oldest_queue_age_hours")
    assert len(METRIC_NAMES) == len(set(METRIC_NAMES)) == 32


def test_the_business_hours_metrics_follow_the_spec_metrics_in_the_spec_10_order() -> None:
    assert METRIC_NAMES[22:28] == (
        "tta_p50_business_minutes",
        "tta_p95_business_minutes",
        "first_touch_p50_business_minutes",
        "first_touch_p95_business_minutes",
        "assign_sla_met_rate_business",
        "touch_sla_met_rate_business",
    )


def test_totals_count_every_outcome_and_rate_over_its_own_base() -> None:
    total = total_metrics(sample_facts(), PARAMS)
    assert list(total) == list(METRIC_NAMES)
    assert (total["leads"], total["succeeded"], total["failed"], total["pending"]) == (5, 3, 1, 1)
    assert total["assignment_success_rate"] == 3 / 4
    assert total["assigned"] == 2
    assert total["tta_p50_minutes"] == (4 + 30) / 2
    assert total["tta_p95_minutes"] == pytest.approx(4 + (30 - 4) * 0.95, abs=1e-12)
    # Lead 1 met its 5-minute SLA; lead 2 (240 minutes) met it; the unassigned leads 3 and 4 are
    # past the SLA of their tier; lead 5 (30 minutes old, hot, 5 minutes) is past it too.
    assert total["assign_sla_met_rate"] == 2 / 5
    assert total["touched"] == 1
    assert total["first_touch_p50_minutes"] == total["first_touch_p95_minutes"] == 10.0
    assert total["accepted"] == 1
    assert total["acceptance_rate"] == 1 / 2
    assert total["queued"] == 3  # the triage queue, the working queue and the holding queue
    assert total["queued_over_limit"] == 2
    assert total["oldest_queue_age_hours"] == (27 * 60 - 1) / 60  # in triage since 09:01


def test_empty_denominators_are_null_not_zero() -> None:
    only_pending = facts(AS_OF, leads=[lead(1, "2026-01-07 11:59:00", HOLDING_QUEUE)])
    total = total_metrics(only_pending, PARAMS)
    assert total["leads"] == total["pending"] == 1
    for name in (
        "assignment_success_rate",
        "tta_p50_minutes",
        "tta_p95_minutes",
        "assign_sla_met_rate",
        "bounce_rate",
        "acceptance_rate",
        "first_touch_p50_minutes",
        "first_touch_p95_minutes",
        "touch_sla_met_rate",
        "rejection_rate",
    ):
        assert total[name] is None, name
    assert total["oldest_queue_age_hours"] == 1 / 60


def test_an_empty_cohort_has_zero_counts_null_rates_and_no_group_rows() -> None:
    empty = cohort(sample_facts(), date(2025, 1, 1), date(2025, 1, 31))
    total = total_metrics(empty, PARAMS)
    assert total["leads"] == 0
    assert total["oldest_queue_age_hours"] is None
    assert total["assignment_success_rate"] is None
    assert metrics_rows(empty, ["region"], PARAMS) == []
    assert metrics_rows(empty, [], PARAMS) == []


def test_empty_group_values_form_a_null_group_sorted_last() -> None:
    rows = metrics_rows(sample_facts(), ["region"], PARAMS)
    assert [(r["region"], r["leads"]) for r in rows] == [("AMER", 2), ("EMEA", 2), (None, 1)]


def test_grouping_by_failure_reason_keeps_every_lead() -> None:
    rows = metrics_rows(sample_facts(), ["failure_reason"], PARAMS)
    assert [(r["failure_reason"], r["leads"]) for r in rows] == [("fallback: Triage", 1), (None, 4)]


def test_only_non_empty_groups_appear_sorted_by_every_key() -> None:
    rows = metrics_rows(sample_facts(), ["day", "region"], PARAMS)
    assert [(r["day"], r["region"]) for r in rows] == [
        ("2026-01-05", "AMER"),
        ("2026-01-05", "EMEA"),
        ("2026-01-06", "AMER"),
        ("2026-01-06", None),
        ("2026-01-07", "EMEA"),
    ]
    assert list(rows[0]) == ["day", "region", *METRIC_NAMES]


def test_extra_lead_columns_are_group_keys() -> None:
    rows = metrics_rows(sample_facts(), ["LeadSource"], PARAMS)
    assert [(r["LeadSource"], r["leads"]) for r in rows] == [("Web", 1), (None, 4)]


def test_group_metrics_returns_counts_as_integers_and_null_rates_as_nan() -> None:
    table = group_metrics(sample_facts(), ["tier"], PARAMS)
    assert table["leads"].dtype == np.int64
    assert table["tta_p50_minutes"].dtype == np.float64
    assert list(table["tier"]) == ["hot", "standard"]


def test_rows_are_json_ready() -> None:
    rows = metrics_rows(sample_facts(), ["week", "first_rep", "routed_owner"], PARAMS)
    text = json.dumps(rows, allow_nan=False)
    assert json.loads(text) == rows
    for row in rows:
        for value in row.values():
            assert value is None or type(value) in (int, float, str)


def test_cohort_includes_both_end_days() -> None:
    chosen = cohort(sample_facts(), date(2026, 1, 5), date(2026, 1, 6))
    assert list(chosen["lead_id"]) == [sfid("00Q", n) for n in (1, 2, 3, 4)]
    assert len(cohort(sample_facts(), date(2026, 1, 7), date(2026, 1, 7))) == 1


def test_grouping_by_an_unknown_or_repeated_key_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot group by 'outcome'"):
        group_metrics(sample_facts(), ["outcome"], PARAMS)
    with pytest.raises(ValueError, match="given twice"):
        group_metrics(sample_facts(), ["day", "day"], PARAMS)
    assert "{key!r}" in UNKNOWN_GROUP_KEY and "{key!r}" in DUPLICATE_GROUP_KEY


def test_percentiles_match_numpy_linear_interpolation_exactly() -> None:
    rng = np.random.default_rng(3)
    values = rng.exponential(30, 500)
    group = rng.integers(0, 7, 500)
    mask = rng.random(500) < 0.8
    p50, p95 = _percentiles(group, values, mask, 8)
    for g in range(7):
        chosen = values[mask & (group == g)]
        assert p50[g] == np.percentile(chosen, 50, method="linear")
        assert p95[g] == np.quantile(chosen, 0.95)
    assert np.isnan(p50[7]) and np.isnan(p95[7])
