"""``distribution_imbalance`` (issue 17): when one pool's leads are unevenly shared, worked out
by hand on small frames."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from routing_health.alerts.fairness import imbalance_findings
from routing_health.config import parse_config
from routing_health.lib.sfid import to_18

A, B, C, D = (to_18(f"005{c * 12}") for c in "ABCD")  # D: inactive
AS_OF = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def reps() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [A, B, C, D], "name": ["Ann", "Bob", "Cat", "Dan"],
        "is_active": [True, True, True, False], "out_of_office": [False] * 4,
        "modified_at": pd.to_datetime(["2025-01-01 00:00"] * 4, utc=True),
    })


def facts(counts: dict[str, int], region: str = "AMER", created: str = "2026-01-09 10:00"
          ) -> pd.DataFrame:
    rows = [(rep, i) for rep, n in counts.items() for i in range(n)]
    return pd.DataFrame({
        "lead_id": [f"00Q{rep[3]}{i:014d}" for rep, i in rows],
        "created_at": pd.to_datetime([created] * len(rows), utc=True),
        "first_rep": pd.Series([rep for rep, _ in rows], dtype=object),
        "region": [region] * len(rows),
        "rep_assigned_at": pd.to_datetime([created] * len(rows), utc=True),
    })


def run(frame: pd.DataFrame, toml: str = ""):
    return imbalance_findings(frame, reps(), parse_config(toml), AS_OF)


def test_a_twelve_four_four_split_fires_at_ratio_three():
    # N = 20 (the default min_leads), x = (12, 4, 4): max/min 3.0 >= 2.0; chi-square against
    # 20/3 each: (28.44 + 7.11 + 7.11) / 6.67 = 6.4, 2 degrees of freedom: p = e^-3.2 = 0.041.
    findings, values = run(facts({A: 12, B: 4, C: 4}))
    (finding,) = findings
    assert finding.value == pytest.approx(3.0)
    assert finding.threshold == 2.0 and finding.sample == 20
    assert finding.segment["region"] == "AMER" and finding.failure_reason == "AMER"
    assert finding.reasons == (("Ann", 12), ("Bob", 4), ("Cat", 4))
    assert len(finding.lead_ids) == 12  # Ann's leads, the most loaded rep
    assert "Ann got 60.0% of 20 leads (due 33.3%)" in finding.summary
    assert "(p = 0.041 by chance)" in finding.summary
    assert list(values.values()) == [pytest.approx(3.0)]


def test_an_eight_six_six_split_does_not_fire():
    # x = (8, 6, 6): ratio 8/6 = 1.33 < 2; Gini: ordered pairs 2+2+2+2 = 8, 8 / (2·9·20/3) = 0.067.
    findings, values = run(facts({A: 8, B: 6, C: 6}))
    assert findings == []
    assert list(values.values()) == [pytest.approx(8 / 6)]


def test_nineteen_leads_are_too_few_to_judge():
    findings, _ = run(facts({A: 15, B: 2, C: 2}))
    assert findings == []


def test_leads_of_an_inactive_rep_do_not_count_for_the_pool():
    # Dan is inactive: his 10 leads leave the pool, 12 remain (< 20).
    findings, _ = run(facts({A: 8, B: 2, C: 2, D: 10}))
    assert findings == []


def test_a_ten_five_five_split_at_ratio_two_is_within_chance():
    # Ratio 2.0 reaches the threshold, but chi-square = (11.11 + 2.78 + 2.78) / 6.67 = 2.5,
    # p = e^-1.25 = 0.29: one rep getting twice another's 5 is what random routing does.
    frame = facts({A: 10, B: 5, C: 5})
    assert run(frame)[0] == []
    (finding,) = run(frame, "[fairness]\nmax_p_value = 0.3\n")[0]
    assert finding.value == pytest.approx(2.0)


def test_the_threshold_and_sample_come_from_the_rule_table_when_set():
    frame = facts({A: 6, B: 4, C: 4})  # 14 leads, ratio 1.5; p = e^-0.286 = 0.75
    assert run(frame)[0] == []
    toml = ("[fairness]\nmax_p_value = 1\n"
            "[alerts.rules.distribution_imbalance]\nthreshold = 1.5\nmin_sample = 10\n")
    (finding,) = run(frame, toml)[0]
    assert (finding.threshold, finding.value) == (1.5, pytest.approx(1.5))


def test_fairness_max_ratio_and_min_leads_are_the_defaults():
    frame = facts({A: 6, B: 4, C: 4})
    (finding,) = run(frame, "[fairness]\nmax_ratio = 1.4\nmin_leads = 14\nmax_p_value = 1\n")[0]
    assert finding.threshold == 1.4


def test_a_listed_rep_without_leads_fires_with_no_ratio():
    # chi-square against 2.5 each: (6.25 + 6.25) / 2.5 = 5, 1 degree of freedom: p = 0.025.
    toml = (f'[fairness]\nmin_leads = 5\n[[fairness.pools]]\nname = "Inbound"\n'
            f'reps = ["{A}", "{B}"]\nregion = "AMER"\n')
    (finding,) = run(facts({A: 5}), toml)[0]
    assert finding.value is None and finding.failure_reason == "Inbound"
    assert "undefined (a rep got none)" in finding.summary


def test_a_high_gini_fires_below_the_ratio_threshold():
    # x = (20, 20, 8) sorted (8, 20, 20): Gini = 2·(8 + 40 + 60)/(3·48) − 4/3 = 1.5 − 1.333
    # = 1/6; ratio 2.5 < 3; chi-square against 16 each: (16 + 16 + 64) / 16 = 6, p = e^-3 = 0.0498.
    frame = facts({A: 20, B: 20, C: 8})
    findings, _ = run(frame, "[fairness]\nmax_ratio = 3\nmax_gini = 0.2\n")
    assert findings == []
    findings, _ = run(frame, "[fairness]\nmax_ratio = 3\nmax_gini = 0.16\n")
    assert [f.failure_reason for f in findings] == ["AMER"]


def test_leads_outside_the_week_do_not_count():
    frame = facts({A: 12, B: 4, C: 4}, created="2026-01-03 11:59")  # 7 d 0 h 1 min before
    assert run(frame)[0] == []
