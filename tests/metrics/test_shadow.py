"""Shadow facts and metrics on six hand-made leads (issue 17); every value worked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from routing_health.metrics.shadow import shadow_facts, shadow_group_values

# No capital letter in the first 15 characters: Salesforce's checksum suffix is "AAA".
REP1, REP2 = "005000000000001AAA", "005000000000002AAA"
AS_OF = pd.Timestamp("2026-11-20T12:00:00Z")


def leads() -> tuple[pd.DataFrame, list[object], list[bool], list[object]]:
    """L1 agreed; L2 disagreed (its 15-character candidate is its first rep); L3 no candidate
    (blank); L4 a candidate but no routed owner; L5 agreed; L6 disagreed (not an Id)."""
    facts = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "created_at": pd.to_datetime(["2026-11-01T10:00Z", "2026-10-01T10:00Z",
                                      "2026-11-10T10:00Z", "2026-11-10T10:00Z",
                                      "2026-10-01T10:00Z", "2026-09-01T10:00Z"], utc=True),
        "created_day": ["2026-11-01", "2026-10-01", "2026-11-10", "2026-11-10", "2026-10-01",
                        "2026-09-01"],
        "routed_owner": [REP1, REP2, REP1, None, REP2, REP1],
        "first_rep": [REP1, REP1, REP1, None, REP2, REP1],
        "accepted": [True, False, True, False, True, False],
        "acceptance_pending": [False, False, False, False, False, True],
        "first_touch_minutes": [10.0, 40.0, 5.0, np.nan, 20.0, np.nan],
        "touch_sla_applicable": [True, True, True, False, True, False],
        "touch_sla_met": [True, False, True, False, True, False],
    })
    candidate = [REP1, REP1[:15], " ", REP2, REP2, "garbage"]
    converted = [False, True, False, False, True, False]
    converted_date = [None, date(2026, 10, 20), None, None, date(2026, 11, 5), None]
    return facts, candidate, converted, converted_date


def with_shadow(conversion_days: int = 30) -> pd.DataFrame:
    facts, candidate, converted, when = leads()
    return shadow_facts(facts, pd.Series(candidate), pd.Series(converted),
                        pd.Series(when, dtype=object), conversion_days=conversion_days,
                        as_of=AS_OF)


def test_each_leads_shadow_facts():
    out = with_shadow()
    assert out["shadow_candidate"].tolist() == [REP1, REP1, None, REP2, REP2, "garbage"]
    assert out["shadow_has_candidate"].tolist() == [True, True, False, True, True, True]
    assert out["shadow_compared"].tolist() == [True, True, False, False, True, True]
    assert out["shadow_agrees"].tolist() == [True, False, False, False, True, False]
    assert out["shadow_agrees_first_rep"].tolist() == [True, True, False, False, True, False]
    # L2 converted 19 days after creation; L5 after 35 (> 30).
    assert out["shadow_converted_within"].tolist() == [False, True, False, False, False, False]
    # Closed: converted within, or at least 30 days old at T (L5 50 days, L6 80 days).
    assert out["shadow_conversion_closed"].tolist() == [False, True, False, False, True, True]


def test_the_metrics_of_the_six_leads():
    out = with_shadow()
    values = shadow_group_values(out, np.zeros(len(out), dtype=np.int64), 1)
    got = {name: value[0] for name, value in values.items()}
    assert got["shadow_candidates"] == 5
    assert got["shadow_coverage_rate"] == pytest.approx(5 / 6)
    assert got["shadow_compared"] == 4
    assert got["shadow_agreed"] == 2 and got["shadow_disagreed"] == 2
    assert got["shadow_agreement_rate"] == 0.5
    assert got["shadow_first_rep_agreement_rate"] == 0.75  # L1, L2, L5 of L1, L2, L5, L6
    assert got["shadow_agreed_acceptance_rate"] == 1.0  # L1, L5
    assert got["shadow_disagreed_acceptance_rate"] == 0.0  # L2 (L6 still pending)
    assert got["shadow_agreed_first_touch_p50_minutes"] == 15.0  # 10 and 20
    assert got["shadow_disagreed_first_touch_p50_minutes"] == 40.0  # L2 only
    assert got["shadow_agreed_touch_sla_met_rate"] == 1.0
    assert got["shadow_disagreed_touch_sla_met_rate"] == 0.0
    assert got["shadow_agreed_conversion_rate"] == 0.0  # L5 closed, not within; L1 open
    assert got["shadow_disagreed_conversion_rate"] == 0.5  # L2 within; L6 closed, not


def test_a_group_without_compared_leads_has_null_rates_not_zero():
    out = with_shadow()
    group = np.array([0, 0, 1, 1, 0, 0])  # group 1: L3 (no candidate) and L4 (not compared)
    values = shadow_group_values(out, group, 2)
    assert values["shadow_candidates"][1] == 1
    assert values["shadow_coverage_rate"][1] == 0.5
    assert values["shadow_compared"][1] == 0
    for name in ("shadow_agreement_rate", "shadow_agreed_acceptance_rate",
                 "shadow_disagreed_first_touch_p50_minutes", "shadow_agreed_conversion_rate"):
        assert np.isnan(values[name][1]), name


def test_a_shorter_conversion_window_moves_the_boundary():
    # With 19 days L2 (converted on day 19) still counts; with 18 it does not.
    assert with_shadow(19)["shadow_converted_within"].tolist()[1] is True
    assert with_shadow(18)["shadow_converted_within"].tolist()[1] is False


def test_the_bias_review_of_the_six_leads():
    from routing_health.metrics.shadow_review import bias_review

    out = with_shadow()
    out["region"] = ["EMEA", "EMEA", "AMER", "AMER", "AMER", "AMER"]
    out["tier"] = ["hot"] * 6
    review = bias_review(out, 0.10)
    everyone = review[review["dimension"] == "all"].set_index("rep")
    # Compared: L1 (cand REP1, routed REP1), L2 (REP1, REP2), L5 (REP2, REP2), L6 (garbage, REP1).
    assert everyone.loc[REP1, ["candidate_leads", "actual_leads", "leads"]].tolist() == [2, 2, 4]
    # REP2: the candidate names it once (L5), routing gave it L2 and L5: 25 % - 50 %.
    assert everyone.loc[REP2, "shift"] == -0.25
    assert everyone.loc[REP1, "shift"] == 0.0  # 2 of 4 either way (L1, L2 / L1, L6)
    assert everyone.loc["garbage", "candidate_share"] == 0.25
    assert bool(everyone.loc["garbage", "flagged"]) is True  # 25 points > 10
    assert bool(everyone.loc[REP1, "flagged"]) is False
    emea = review[(review["dimension"] == "region") & (review["scope"] == "EMEA")].set_index("rep")
    # EMEA: L1, L2. Candidate REP1 twice (100 %); routing REP1 once, REP2 once (50 % each).
    assert emea.loc[REP1, "shift"] == 0.5 and emea.loc[REP2, "shift"] == -0.5
    assert emea["flagged"].all()
    assert review.iloc[0]["dimension"] == "all"


def test_the_outcome_review_of_the_six_leads_is_not_shown_yet():
    from routing_health.metrics.shadow_review import compare_outcomes

    review = compare_outcomes(with_shadow(), 30)
    acceptance, touch, sla, conversion = review.comparisons
    assert (acceptance.agreed, acceptance.disagreed) == (1.0, 0.0)
    assert (acceptance.n_agreed, acceptance.n_disagreed) == (2, 1)
    assert (touch.agreed, touch.disagreed, touch.difference) == (15.0, 40.0, 25.0)
    assert (sla.agreed, sla.disagreed) == (1.0, 0.0)  # L1, L5 met; L2 missed
    assert conversion.outcome == "conversion within 30 days"
    assert (conversion.agreed, conversion.disagreed) == (0.0, 0.5)
    assert review.verdict == "uplift not shown yet (n = 4)"
