"""Fairness and capacity (issue 17): shares against weights, the imbalance indices and the
leads sent to unavailable reps, on small frames whose numbers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from routing_health.metrics.fairness import (
    Pool,
    availability_members,
    availability_values,
    chi_square_sf,
    default_pool_skips,
    pool_indices,
    pool_shares,
)

A, B, C, D, E = (f"005{c * 12}AAA" for c in "ABCDE")  # D: inactive, E: out of office
T0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")


def reps_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [A, B, C, D, E],
        "name": ["Ann", "Bob", "Cat", "Dan", "Eve"],
        "is_active": [True, True, True, False, True],
        "out_of_office": [False, False, False, False, True],
        "modified_at": pd.to_datetime(["2025-01-01 00:00", "2025-01-01 00:00", "2025-01-01 00:00",
                                       "2026-01-05 12:00", "2026-01-05 10:00"], utc=True),
    })


def facts_of(rows: list[tuple[str, str | None, str, str]]) -> pd.DataFrame:
    """(first rep, region, week, assigned at) per lead."""
    return pd.DataFrame({
        "lead_id": [f"00Q{i:015d}" for i in range(len(rows))],
        "first_rep": pd.Series([r[0] for r in rows], dtype=object),
        "region": pd.Series([r[1] for r in rows], dtype=object),
        "created_week": [r[2] for r in rows],
        "tier": ["Hot"] * len(rows),
        "rep_assigned_at": pd.to_datetime([r[3] for r in rows], utc=True),
    })


def amer_week(counts: dict[str, int], week: str = "2026-W02") -> list[tuple]:
    return [(rep, "AMER", week, "2026-01-05 09:00") for rep, n in counts.items()
            for _ in range(n)]


def test_a_region_pool_shares_six_three_one_with_max_min_six_and_gini_one_third():
    facts = facts_of(amer_week({A: 6, B: 3, C: 1}))
    shares = pool_shares(facts, reps_frame())
    by_rep = shares.set_index("rep")
    # N = 10, equal weights: weight share 1/3 each; A: 0.6 / (1/3) = 1.8, C: 0.1 * 3 = 0.3.
    assert by_rep.loc[A, "share"] == pytest.approx(0.6)
    assert by_rep.loc[A, "weight_share"] == pytest.approx(1 / 3)
    assert by_rep.loc[A, "ratio"] == pytest.approx(1.8)
    assert by_rep.loc[C, "ratio"] == pytest.approx(0.3)
    (index,) = pool_indices(shares).to_dict("records")
    # Gini: ordered pairs |6-3|,|6-1|,|3-1| twice = 20; 20 / (2 * 3² * 10/3) = 1/3.
    assert (index["pool"], index["period"], index["leads"], index["reps"]) == (
        "AMER", "2026-W02", 10, 3)
    assert index["max_min_ratio"] == pytest.approx(6.0)
    assert index["gini"] == pytest.approx(1 / 3)
    assert index["reps_without_leads"] == 0
    # Chi-square against 10/3 each: (7.11 + 0.11 + 5.44) / 3.33 = 3.8; p = e^-1.9 with 2 dof.
    assert index["chi_square"] == pytest.approx(3.8)
    assert index["p_value"] == pytest.approx(math.exp(-1.9))


@pytest.mark.parametrize(("x", "dof", "p"), [
    # Printed chi-square tables (the 0.05 and 0.01 critical values) and e^(-x/2) for 2 dof.
    (3.841, 1, 0.05), (6.635, 1, 0.01), (11.070, 5, 0.05), (12.592, 6, 0.05), (23.209, 10, 0.01),
    (6.0, 2, math.exp(-3.0)), (0.0, 3, 1.0),
])
def test_chi_square_tail_probabilities_match_the_tables(x: float, dof: int, p: float):
    assert chi_square_sf(x, dof) == pytest.approx(p, abs=5e-5)


def test_weights_make_a_two_to_one_split_perfectly_fair():
    facts = facts_of(amer_week({A: 4, B: 2}))
    shares = pool_shares(facts, reps_frame(), weights={A: 2.0})
    by_rep = shares.set_index("rep")
    # A: share 4/6, weight share 2/3 -> ratio 1; x = (4/2, 2/1) = (2, 2).
    assert by_rep.loc[A, "weight_share"] == pytest.approx(2 / 3)
    assert by_rep.loc[A, "ratio"] == pytest.approx(1.0)
    (index,) = pool_indices(shares).to_dict("records")
    assert index["max_min_ratio"] == pytest.approx(1.0)
    assert index["gini"] == pytest.approx(0.0)
    assert index["chi_square"] == pytest.approx(0.0) and index["p_value"] == 1.0


def test_a_listed_rep_with_no_lead_leaves_the_ratio_null_and_the_gini_at_its_maximum():
    facts = facts_of(amer_week({A: 5}))
    pools = [Pool("AMER enterprise", (A, B), "AMER")]
    (index,) = pool_indices(pool_shares(facts, reps_frame(), pools=pools)).to_dict("records")
    # x = (0, 5): max/min undefined; Gini = (m - 1) / m = 1/2 with m = 2.
    assert index["reps_without_leads"] == 1
    assert math.isnan(index["max_min_ratio"])
    assert index["gini"] == pytest.approx(0.5)


def test_a_week_without_pool_leads_has_null_indices_and_zero_counts():
    facts = facts_of([*amer_week({A: 2, B: 2}), (C, "EMEA", "2026-W03", "2026-01-12 09:00")])
    indices = pool_indices(pool_shares(facts, reps_frame()))
    amer = indices[indices["pool"] == "AMER"].set_index("period")
    assert amer.loc["2026-W03", "leads"] == 0
    assert math.isnan(amer.loc["2026-W03", "gini"])
    assert math.isnan(amer.loc["2026-W03", "max_min_ratio"])
    assert amer.loc["2026-W02", "gini"] == pytest.approx(0.0)


def test_unavailable_reps_leave_the_pool():
    facts = facts_of(amer_week({A: 2, B: 2, D: 5, E: 3}))
    shares = pool_shares(facts, reps_frame())
    assert sorted(shares["rep"]) == [A, B]
    assert shares["leads"].sum() == 4


def test_a_pool_is_split_by_tier_when_asked():
    facts = facts_of(amer_week({A: 3, B: 1}))
    facts.loc[3, "tier"] = "Warm"  # B's lead
    indices = pool_indices(pool_shares(facts, reps_frame(), split=("tier",)), split=("tier",))
    rows = {r["tier"]: r for r in indices.to_dict("records")}
    assert (rows["Hot"]["leads"], rows["Hot"]["reps_without_leads"]) == (3, 1)
    assert (rows["Warm"]["leads"], rows["Warm"]["reps_without_leads"]) == (1, 1)


def test_leads_reaching_a_rep_after_their_deactivation_or_absence_are_counted():
    facts = facts_of([
        (D, "AMER", "2026-W02", "2026-01-05 11:00"),  # before Dan's last change: not counted
        (D, "AMER", "2026-W02", "2026-01-05 12:00"),  # at it: counted
        (E, "AMER", "2026-W02", "2026-01-05 10:30"),  # after Eve's: out of office
        (A, "AMER", "2026-W02", "2026-01-05 13:00"),
        (None, "AMER", "2026-W02", None),  # never assigned
    ])
    leads = pd.DataFrame({
        "id": facts["lead_id"],
        "owner_id": [D, D, E, D, "00G000000000001AAA"],
        "status": ["Open", "Closed - Lost", "Open", "Working", "Open"],
        "is_converted": [False, False, False, True, False],
    })
    members = availability_members(facts, leads, reps_frame(), frozenset({"Closed - Lost"}))
    assert members["to_inactive_rep"].tolist() == [False, True, False, False, False]
    assert members["to_out_of_office_rep"].tolist() == [False, False, True, False, False]
    # Owned by Dan now: lead 0 (open), 1 (closed status), 3 (converted).
    assert members["open_with_inactive_owner"].tolist() == [True, False, False, False, False]
    (total,) = availability_values(facts, members, [])
    assert total == {"leads_to_inactive_rep": 1, "leads_to_out_of_office_rep": 1,
                     "open_with_inactive_owner": 1}


def test_fairness_counts_line_up_with_the_groups_of_the_export():
    facts = facts_of([(D, "EMEA", "2026-W02", "2026-01-05 13:00"),
                      (A, "AMER", "2026-W02", "2026-01-05 13:00"),
                      (D, None, "2026-W02", "2026-01-05 13:00")])
    members = {name: np.array([True, False, True]) for name in
               ("to_inactive_rep", "to_out_of_office_rep", "open_with_inactive_owner")}
    rows = availability_values(facts, members, ["region"])
    # Groups sorted by key, the empty region last: AMER, EMEA, None.
    assert [r["leads_to_inactive_rep"] for r in rows] == [0, 1, 1]


def test_the_default_region_forms_no_default_pool_unless_a_country_maps_to_it():
    # AMER: A 2, B 2; "Unknown" (unmapped leads, sent wherever routing can): A 5, C 1.
    facts = facts_of(amer_week({A: 2, B: 2}) + [
        (rep, "Unknown", "2026-W02", "2026-01-05 09:00") for rep in [A] * 5 + [C]])
    skips = default_pool_skips("Unknown", ["AMER", "EMEA"])
    assert skips == ("Unknown",)
    shares = pool_shares(facts, reps_frame(), skip_regions=skips)
    assert sorted(set(shares["pool"])) == ["AMER"]
    assert shares.set_index("rep")["leads"].to_dict() == {A: 2, B: 2}
    # A default region that countries also map to is a real region: it stays a pool.
    assert default_pool_skips("AMER", ["AMER", "EMEA"]) == ()
    assert sorted(set(pool_shares(facts, reps_frame())["pool"])) == ["AMER", "Unknown"]
