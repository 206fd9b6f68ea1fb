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
