"""Rate and percentile formulas, each written once (spec section 5), checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing_health.metrics import total_metrics
from routing_health.metrics.definitions import (
    count_members,
    group_maximum,
    group_percentiles,
    percentile,
    percentiles,
    rate,
    rate_of,
    rates,
)
from tests.metrics.frames import at
from tests.metrics.helpers import (
    HOLDING_QUEUE,
    PARAMS,
    REP_A,
    WORKING_QUEUE,
    facts,
    owner_change,
    sfid,
)

ONE_TO_TWENTY = [float(v) for v in range(1, 21)]


def test_a_rate_is_the_numerator_over_the_denominator() -> None:
    assert rate(2, 3) == 2 / 3
    assert rate(0, 5) == 0.0


def test_a_rate_with_an_empty_denominator_is_none_not_zero() -> None:
    assert rate(0, 0) is None


def test_rates_of_many_groups_give_nan_where_the_denominator_is_empty() -> None:
    result = rates(np.array([2, 0, 5]), np.array([3, 0, 5]))
    assert result[0] == 2 / 3
    assert math.isnan(result[1])
    assert result[2] == 1.0


def test_rate_of_applies_the_catalog_formula_of_assignment_success() -> None:
    # succeeded / (succeeded + failed): 2 / (2 + 1); pending leads are left out.
    counts = {"succeeded": 2, "failed": 1, "pending": 7}
    assert rate_of("assignment_success_rate", counts) == 2 / 3
    assert rate_of("bounce_rate", {"bounced": 1, "assigned": 4}) == 0.25
    assert rate_of("bounce_rate", {"bounced": 0, "assigned": 0}) is None


def test_rate_of_a_metric_that_is_not_a_rate_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'tta_p95_minutes' is not a rate"):
        rate_of("tta_p95_minutes", {})


def test_rate_of_without_a_count_it_needs_names_the_count() -> None:
    with pytest.raises(KeyError, match="'failed'"):
        rate_of("assignment_success_rate", {"succeeded": 2})


def test_p95_of_one_to_twenty_interpolates_between_the_19th_and_20th_value() -> None:
    # Position (20 - 1) * 0.95 = 18.05 (0-based): 19 + 0.05 * (20 - 19) = 19.05.
    assert percentile(ONE_TO_TWENTY, 0.95) == pytest.approx(19.05, abs=1e-12)


def test_p50_of_one_to_twenty_is_halfway_between_10_and_11() -> None:
    # Position 19 * 0.5 = 9.5: 10 + 0.5 * (11 - 10) = 10.5.
    assert percentile(ONE_TO_TWENTY, 0.5) == 10.5


def test_percentiles_do_not_depend_on_the_order_of_the_values() -> None:
    assert percentiles(list(reversed(ONE_TO_TWENTY)), (0.5, 0.95)) == percentiles(
        ONE_TO_TWENTY, (0.5, 0.95)
    )


def test_a_percentile_of_no_values_is_none_and_of_one_value_that_value() -> None:
    assert percentile([], 0.95) is None
    assert percentiles([], (0.5, 0.95)) == [None, None]
    assert percentile([7.5], 0.95) == 7.5


def test_group_percentiles_keep_groups_apart_and_give_nan_for_an_empty_group() -> None:
    values = np.array([1.0, 100.0, 3.0, 2.0, 4.0])
    group = np.array([0, 1, 0, 0, 0])
    mask = np.array([True, True, True, True, True])
    (p50,) = group_percentiles(group, values, mask, 3, (0.5,))
    # Group 0 is [1, 2, 3, 4]: position 1.5 → 2.5. Group 1 is [100]. Group 2 is empty.
    assert p50[0] == 2.5
    assert p50[1] == 100.0
    assert math.isnan(p50[2])


def test_group_percentiles_leave_out_the_values_outside_the_mask() -> None:
    values = np.array([1.0, 1000.0, 3.0])
    group = np.zeros(3, dtype=np.int64)
    (p50,) = group_percentiles(group, values, np.array([True, False, True]), 1, (0.5,))
    assert p50[0] == 2.0


def test_group_maximum_is_nan_for_a_group_without_members() -> None:
    values = np.array([5.0, 30.5, 99.0])
    result = group_maximum(np.array([0, 0, 1]), values, np.array([True, True, False]), 2)
    assert result[0] == 30.5
    assert math.isnan(result[1])


def test_the_export_shows_null_rates_and_percentiles_for_a_cohort_nobody_was_assigned_in() -> None:
    unassigned = facts(
        "2026-01-05 10:30:00",
        leads=[{"id": sfid("00Q", 1), "created_at": at("2026-01-05 10:00:00"),
                "owner_id": HOLDING_QUEUE}],
    )
    total = total_metrics(unassigned, PARAMS)
    assert total["assigned"] == 0
    assert total["bounce_rate"] is None
    assert total["rejection_rate"] is None
    assert total["tta_p95_minutes"] is None
    # Pending (30 min old, grace 60 min): neither succeeded nor failed.
    assert total["assignment_success_rate"] is None


def test_the_export_computes_tta_percentiles_over_the_assigned_leads_by_hand() -> None:
    # Three leads assigned after 4, 10 and 30 minutes; one never assigned.
    leads, changes = [], []
    for number, minutes in ((1, 4), (2, 10), (3, 30)):
        lead_id = sfid("00Q", number)
        leads.append({"id": lead_id, "created_at": at("2026-01-05 10:00:00"),
                      "owner_id": REP_A})
        changes.append(owner_change(f"2026-01-05 10:{minutes:02d}:00", HOLDING_QUEUE, REP_A,
                                    number, lead_id))
    leads.append({"id": sfid("00Q", 4), "created_at": at("2026-01-05 10:00:00"),
                  "owner_id": HOLDING_QUEUE})
    total = total_metrics(facts("2026-01-06 12:00:00", leads, changes), PARAMS)
    assert total["assigned"] == 3
    # p50: position 1 → 10. p95: position 2 * 0.95 = 1.9 → 30 - (30 - 10) * 0.1 = 28.
    assert total["tta_p50_minutes"] == 10.0
    assert total["tta_p95_minutes"] == pytest.approx(28.0, abs=1e-9)
    # succeeded 3, failed 1 (unrouted past the 60-minute grace): 3 / 4.
    assert total["assignment_success_rate"] == 0.75


def test_a_lead_queued_exactly_the_limit_is_not_over_it_and_one_second_more_is() -> None:
    # Limit 24 h (PARAMS). Both leads sit in a working queue since creation; T is 24 h after
    # the first one's creation and 24 h + 1 s after the second one's.
    queued = facts(
        "2026-01-06 10:00:01",
        leads=[
            {"id": sfid("00Q", 1), "created_at": at("2026-01-05 10:00:01"),
             "owner_id": WORKING_QUEUE},
            {"id": sfid("00Q", 2), "created_at": at("2026-01-05 10:00:00"),
             "owner_id": WORKING_QUEUE},
        ],
    )
    members = count_members(queued, PARAMS.queue_age_limit_hours)
    assert list(members["queued"]) == [True, True]
    assert list(members["queued_over_limit"]) == [False, True]
    assert total_metrics(queued, PARAMS)["queued_over_limit"] == 1
