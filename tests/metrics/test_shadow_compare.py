"""Intervals and verdicts of the shadow comparison, against published and hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from routing_health.metrics.shadow_compare import (
    Comparison,
    bootstrap_median_difference,
    median_comparison,
    newcombe_difference,
    overall_verdict,
    rate_comparison,
    wilson,
)


def test_wilson_matches_newcombes_single_proportion_example():
    # Newcombe (1998a), Stat Med 17:857, example 81/263: Wilson score interval 0.2553-0.3662.
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998b), Stat Med 17:873, Table II, method 10 (hybrid score, no correction).
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
        ((0, 10, 0, 20), (-0.1611, 0.2775)),
        ((10, 10, 0, 20), (0.6791, 1.0000)),
    ],
)
def test_newcombe_difference_matches_the_published_table(counts, expected):
    d, low, high = newcombe_difference(*counts)
    k1, n1, k2, n2 = counts
    assert d == pytest.approx(k1 / n1 - k2 / n2)
    assert (round(low, 4), round(high, 4)) == expected


def test_an_empty_side_has_no_interval():
    assert wilson(0, 0) is None
    assert newcombe_difference(3, 10, 0, 0) is None
    assert bootstrap_median_difference([1.0, 2.0], []) is None


def test_constant_sides_give_a_point_interval_at_the_difference():
    # Every resample of [10, 10, 10] has median 10, of [4, 4] median 4: all differences are 6.
    assert bootstrap_median_difference([10.0, 10.0, 10.0], [4.0, 4.0]) == (6.0, 6.0, 6.0)


def test_the_bootstrap_is_deterministic_and_follows_its_documented_draws():
    a = np.array([3.0, 9.0, 1.0, 7.0, 12.0, 4.0])
    b = np.array([20.0, 8.0, 15.0, 11.0])
    first = bootstrap_median_difference(a, b, resamples=50, seed=5)
    assert first == bootstrap_median_difference(a, b, resamples=50, seed=5)
    # The same draws, one resample at a time (first all of a's indices, then b's).
    rng = np.random.default_rng(5)
    ia = rng.integers(0, a.size, size=(50, a.size))
    ib = rng.integers(0, b.size, size=(50, b.size))
    diffs = sorted(float(np.median(a[ia[r]]) - np.median(b[ib[r]])) for r in range(50))
    # Percentile 2.5 of 50 sorted values: position 49 * 0.025 = 1.225 (linear).
    low = diffs[1] + (diffs[2] - diffs[1]) * 0.225
    high = diffs[47] + (diffs[48] - diffs[47]) * 0.775
    # median(a) = (4 + 7) / 2 = 5.5, median(b) = (11 + 15) / 2 = 13.
    assert first[0] == -7.5
    assert first[1] == pytest.approx(low) and first[2] == pytest.approx(high)


def test_a_clear_first_touch_gain_reads_as_candidate_better_in_minutes():
    # Agreed leads touched at 10, 12, 14 min, disagreed at 20, 24, 30 (five times each): the
    # medians are 12 and 24, so 12 minutes saved; every resample saves between 6 and 20.
    agreed = np.array([10.0, 12.0, 14.0] * 5)
    disagreed = np.array([20.0, 24.0, 30.0] * 5)
    comparison = median_comparison("first touch", agreed, disagreed)
    assert comparison.difference == 12.0
    assert 6.0 <= comparison.lower <= comparison.upper <= 20.0
    assert comparison.shown == "better"
    assert comparison.verdict.startswith("candidate better on first touch by 12 min [")


def test_a_rate_verdict_gives_points_and_the_interval():
    # 56/70 vs 48/80: 80 % vs 60 %, 20 points, interval [5.2, 33.4] (Table II above).
    comparison = rate_comparison("acceptance", 56, 70, 48, 80)
    assert comparison.verdict == "candidate better on acceptance by 20.0 points [5.2, 33.4]"


def test_a_worse_candidate_is_said_so_with_positive_bounds():
    comparison = rate_comparison("acceptance", 48, 80, 56, 70)
    assert comparison.verdict == "candidate worse on acceptance by 20.0 points [5.2, 33.4]"


def test_too_few_leads_is_not_shown_yet_with_n():
    # 9/9 vs 0/9 excludes 0 but a side under ten leads is not enough.
    comparison = rate_comparison("acceptance", 9, 9, 0, 9)
    assert comparison.lower > 0
    assert comparison.shown is None
    assert comparison.verdict == "acceptance: not shown yet (n = 18)"


def test_the_overall_verdict_says_not_shown_yet_with_the_compared_leads():
    flat = rate_comparison("acceptance", 30, 40, 28, 40)
    assert overall_verdict([flat], 41) == "uplift not shown yet (n = 41)"
    clear = rate_comparison("acceptance", 56, 70, 48, 80)
    assert overall_verdict([flat, clear], 150) == clear.verdict


def test_a_comparison_without_data_is_not_shown():
    empty = Comparison("conversion within 30 days", "rate", None, None, 0, 0, None, None, None)
    assert empty.shown is None
    assert empty.verdict == "conversion within 30 days: not shown yet (n = 0)"


def test_a_side_above_the_cap_is_thinned_with_the_documented_draws():
    from routing_health.metrics import shadow_compare

    a = np.arange(30.0)  # median 14.5
    b = np.arange(10.0) + 100  # median 104.5
    original = shadow_compare.BOOTSTRAP_CAP
    shadow_compare.BOOTSTRAP_CAP = 12
    try:
        got = bootstrap_median_difference(a, b, resamples=20, seed=3)
    finally:
        shadow_compare.BOOTSTRAP_CAP = original
    rng = np.random.default_rng(3)
    thin = rng.choice(a, size=12, replace=False)
    ia = rng.integers(0, 12, size=(20, 12))
    ib = rng.integers(0, 10, size=(20, 10))
    diffs = np.median(thin[ia], axis=1) - np.median(b[ib], axis=1)
    assert got[0] == -90.0  # the point estimate uses every value
    assert (got[1], got[2]) == tuple(np.percentile(diffs, [2.5, 97.5]))
