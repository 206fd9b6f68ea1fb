"""Kaplan–Meier waits (``routing_health.metrics.survival``) against lifelines and by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routing_health.metrics.survival import (
    Quantile,
    censored_waits,
    km_quantiles,
    survival_curve,
    waiting_quantiles,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "km_lifelines.json").read_text()
)


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: f"n{len(c['durations'])}")
def test_quantiles_and_curve_match_lifelines(case: dict) -> None:
    durations = np.array(case["durations"], dtype=float)
    observed = np.array(case["observed"], dtype=bool)
    qs = tuple(REFERENCE["qs"])
    found = km_quantiles(durations, observed, qs)
    for q, quantile in zip(qs, found, strict=True):
        expected = case["quantiles"][str(q)]
        if expected is None:
            assert quantile == Quantile(None, float(durations.max()))
        elif quantile.value != pytest.approx(expected, abs=1e-9):
            # Only a float tie may differ: lifelines' own S at our time is 1 − q up to rounding
            # (e.g. 2/20 computed as 0.10000000000000003 > 0.1), where S(t) ≤ 1 − q holds.
            at = dict(map(tuple, case["survival_at_events"]))[quantile.value]
            assert at == pytest.approx(1 - q, abs=1e-12), (q, quantile, expected)
            assert quantile.value < expected
    times, survival = survival_curve(durations, observed)
    expected_times = [t for t, _ in case["survival_at_events"]]
    assert times.tolist() == pytest.approx(expected_times)
    assert survival.tolist() == pytest.approx([s for _, s in case["survival_at_events"]])


def test_hand_computed_curve_with_ties_and_censoring() -> None:
    # Times 5 (event, censored, event), 8 (event, censored), 12 (censored).
    # At 5: 6 at risk, 2 events -> S = 4/6. At 8: 3 at risk (8, 8, 12), 1 event -> S = 4/6 * 2/3.
    durations = np.array([5, 5, 5, 8, 8, 12], dtype=float)
    observed = np.array([1, 0, 1, 1, 0, 0], dtype=bool)
    times, survival = survival_curve(durations, observed)
    assert times.tolist() == [5.0, 8.0]
    assert survival.tolist() == pytest.approx([4 / 6, 4 / 9])
    # S falls to 0.5 or below first at 8 (4/9); it never reaches 0.05: p95 not reached, the
    # estimate only known to exceed the longest time observed (12).
    p50, p95 = km_quantiles(durations, observed, (0.5, 0.95))
    assert p50 == Quantile(8.0)
    assert p95 == Quantile(None, 12.0) and not p95.reached


def test_without_censoring_it_is_the_empirical_step_quantile() -> None:
    # 20 events 1..20: S(t) = 1 - t/20; S <= 0.05 first at t = 19; S <= 0.5 first at t = 10.
    durations = np.arange(1, 21, dtype=float)
    p50, p95 = km_quantiles(durations, np.ones(20, dtype=bool), (0.5, 0.95))
    assert (p50.value, p95.value) == (10.0, 19.0)


def test_no_subjects() -> None:
    assert km_quantiles(np.array([]), np.array([], dtype=bool)) == (Quantile(None), Quantile(None))


def test_still_waiting_leads_are_censored_at_their_age() -> None:
    as_of = pd.Timestamp("2026-11-20T12:00:00Z")
    facts = pd.DataFrame(
        {
            "created_at": pd.to_datetime(
                ["2026-11-20T10:00:00Z", "2026-11-20T11:30:00Z", "2026-11-19T12:00:00Z"]
            ),
            "tta_minutes": [4.0, np.nan, np.nan],
            "first_touch_minutes": [np.nan, 10.0, np.nan],
        }
    )
    durations, observed = censored_waits(facts, "tta_minutes", as_of)
    assert durations.tolist() == [4.0, 30.0, 1440.0]
    assert observed.tolist() == [True, False, False]
    # One event of three at risk at 4 min: S = 2/3 > 0.5 -> p50 not reached, > 1440 min.
    p50, _ = waiting_quantiles(facts, "tta_minutes", as_of)
    assert p50 == Quantile(None, 1440.0)
    with pytest.raises(ValueError, match="no waiting time"):
        censored_waits(facts, "queue_age_hours", as_of)


def test_a_young_cohort_does_not_look_faster() -> None:
    """The same waits, one cohort seen before its slow leads were assigned: the exact p95 of
    the assigned drops, the Kaplan–Meier p95 of the young cohort is not reached instead."""
    waits = np.array([5.0] * 18 + [600.0, 900.0])
    old = km_quantiles(waits, np.ones(20, dtype=bool), (0.95,))[0]
    # Seen at age 120 min: the two slow leads are still waiting, censored at 120.
    young = np.where(waits > 120, 120.0, waits)
    young_q = km_quantiles(young, waits <= 120, (0.95,))[0]
    assert old.value == 600.0
    assert float(np.percentile(young[waits <= 120], 95)) == 5.0  # the exact p95 reads "better"
    assert young_q == Quantile(None, 120.0)  # KM: more than 2 hours, not known yet
