"""What drove a change: hand-computed decompositions, and exact additivity on random cohorts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing_health.metrics.drivers import change_by_group, change_by_share

FLAGS = (
    "queued", "bounced", "accepted", "acceptance_pending", "rejected",
    "assign_sla_applicable", "assign_sla_met", "touch_sla_applicable", "touch_sla_met",
    "assign_sla_applicable_business", "assign_sla_met_business",
    "touch_sla_applicable_business", "touch_sla_met_business",
)
ASSIGNED = pd.Timestamp("2026-11-02T10:00:00Z")


def facts(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A minimal ``lead_facts`` frame: the columns ``count_members`` and the groupings read.

    A row gives ``outcome``, ``region``, ``tier``, ``failure_reason``, ``first_rep``,
    ``assigned`` (bool) and any flag of ``FLAGS``; the rest default to empty / False."""
    records = []
    for row in rows:
        record: dict[str, Any] = {
            "outcome": row.get("outcome", "succeeded"),
            "region": row.get("region"),
            "tier": row.get("tier"),
            "failure_reason": row.get("failure_reason"),
            "first_rep": row.get("first_rep"),
            "rep_assigned_at": ASSIGNED if row.get("assigned") else pd.NaT,
            "first_touch_at": pd.NaT,
            "queue_age_hours": np.nan,
        }
        record.update({flag: bool(row.get(flag, False)) for flag in FLAGS})
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=[
        "outcome", "region", "tier", "failure_reason", "first_rep", "rep_assigned_at",
        "first_touch_at", "queue_age_hours", *FLAGS,
    ])
    for column in ("outcome", "region", "tier", "failure_reason", "first_rep"):
        frame[column] = frame[column].astype("category")
    frame["rep_assigned_at"] = pd.to_datetime(frame["rep_assigned_at"], utc=True)
    frame["first_touch_at"] = pd.to_datetime(frame["first_touch_at"], utc=True)
    return frame


def leads(n: int, **values: Any) -> list[dict[str, Any]]:
    return [dict(values) for _ in range(n)]


# Assignment success (succeeded / (succeeded + failed)); pending leads are in no denominator.
# Before: A 9 succeeded + 1 failed (X) + 1 pending -> 0.9 over 10; B 10 succeeded -> 1.0 over 10.
#   R0 = 19 / 20 = 0.95.
# After: A 16 succeeded + 3 failed (X) + 1 failed (Y) -> 0.8 over 20; B 5 succeeded -> 1.0 over
#   5; C (new) 4 succeeded + 1 failed (Y) -> 0.8 over 5. R1 = 25 / 30 = 5/6. ΔR = −7/60.
BEFORE = facts([
    *leads(9, region="A", tier="hot"),
    *leads(1, region="A", tier="hot", outcome="failed", failure_reason="X"),
    *leads(1, region="A", tier="hot", outcome="pending"),
    *leads(10, region="B", tier="hot"),
])
AFTER = facts([
    *leads(16, region="A", tier="hot"),
    *leads(3, region="A", tier="hot", outcome="failed", failure_reason="X"),
    *leads(1, region="A", tier="hot", outcome="failed", failure_reason="Y"),
    *leads(5, region="B", tier="hot"),
    *leads(4, region="C", tier="hot"),
    *leads(1, region="C", tier="hot", outcome="failed", failure_reason="Y"),
])


def by_key(decomposition: Any) -> dict[tuple, Any]:
    return {c.key: c for c in decomposition.contributions}


def test_it_splits_a_rate_change_into_mix_and_rate_terms_per_segment() -> None:
    found = change_by_group(BEFORE, AFTER, "assignment_success_rate", ["region"])
    assert found is not None
    assert found.before == pytest.approx(0.95, abs=1e-15)
    assert found.after == pytest.approx(5 / 6, abs=1e-15)
    assert found.change == pytest.approx(-7 / 60, abs=1e-15)
    parts = by_key(found)
    # Mix terms are taken from the midpoint of the totals, R̄ = (0.95 + 5/6) / 2 = 107/120.
    # A: w 1/2 -> 2/3, r 0.9 -> 0.8 (r̄ 0.85 = 102/120): mix (1/6)(−5/120) = −1/144,
    #    rate (−0.1)(7/12) = −7/120; together −47/720.
    assert parts[("A",)].mix == pytest.approx(-1 / 144, abs=1e-15)
    assert parts[("A",)].within == pytest.approx(-7 / 120, abs=1e-15)
    assert parts[("A",)].contribution == pytest.approx(-47 / 720, abs=1e-15)
    # B: w 1/2 -> 1/6 at rate 1.0: mix (−1/3)(1 − 107/120) = −13/360, no rate term.
    assert parts[("B",)].contribution == pytest.approx(-13 / 360, abs=1e-15)
    assert parts[("B",)].within == 0
    # C is new: it takes its own rate 0.8 for the earlier period: mix (1/6)(96/120 − 107/120)
    # = −11/720 only.
    assert parts[("C",)].before is None
    assert parts[("C",)].base_before == 0
    assert parts[("C",)].mix == pytest.approx(-11 / 720, abs=1e-15)
    assert parts[("C",)].within == 0
    # Largest |contribution| first; −47/720 − 26/720 − 11/720 = −7/60.
    assert [c.key for c in found.contributions] == [("A",), ("B",), ("C",)]
    assert sum(c.contribution for c in found.contributions) == pytest.approx(found.change,
                                                                             abs=1e-12)


def test_it_splits_assignment_success_over_failure_reasons() -> None:
    found = change_by_share(BEFORE, AFTER, "assignment_success_rate", ["failure_reason"])
    assert found is not None
    parts = by_key(found)
    # X: −(3/30 − 1/20) = −0.05; Y: −(2/30 − 0) = −1/15. Sum −7/60.
    assert parts[("X",)].contribution == pytest.approx(-0.05, abs=1e-15)
    assert parts[("Y",)].contribution == pytest.approx(-1 / 15, abs=1e-15)
    assert set(parts) == {("X",), ("Y",)}  # leads that did not fail contribute nothing
    assert found.change == pytest.approx(-7 / 60, abs=1e-15)


def test_it_splits_over_segment_and_failure_reason() -> None:
    found = change_by_share(BEFORE, AFTER, "assignment_success_rate",
                            ["region", "tier", "failure_reason"])
    assert found is not None
    parts = by_key(found)
    # (A, hot, X): −(3/30 − 1/20) = −0.05; (A, hot, Y) and (C, hot, Y): −1/30 each.
    assert parts[("A", "hot", "X")].contribution == pytest.approx(-0.05, abs=1e-15)
    assert parts[("A", "hot", "Y")].contribution == pytest.approx(-1 / 30, abs=1e-15)
    assert parts[("C", "hot", "Y")].contribution == pytest.approx(-1 / 30, abs=1e-15)
    assert found.contributions[0].key == ("A", "hot", "X")


def test_acceptance_by_rep_leaves_out_leads_still_pending_acceptance() -> None:
    # Acceptance = accepted / (assigned and not pending acceptance).
    # Before: r1 2 of 4 (0.5), r2 4 of 4 (1.0): R0 = 0.75. After: r1 2 of 2 (1.0) plus one
    # pending acceptance (not counted), r2 3 of 6 (0.5): R1 = 0.625.
    # R̄ = (.75 + .625) / 2 = .6875.
    # r1: w .5 -> .25, r̄ .75: mix (−.25)(.0625) = −.015625, rate (.5)(.375) = .1875: .171875.
    # r2: w .5 -> .75, r̄ .75: mix (.25)(.0625) = .015625, rate (−.5)(.625) = −.3125: −.296875.
    before = facts([
        *leads(2, first_rep="r1", assigned=True, accepted=True),
        *leads(2, first_rep="r1", assigned=True),
        *leads(4, first_rep="r2", assigned=True, accepted=True),
    ])
    after = facts([
        *leads(2, first_rep="r1", assigned=True, accepted=True),
        *leads(1, first_rep="r1", assigned=True, acceptance_pending=True),
        *leads(3, first_rep="r2", assigned=True, accepted=True),
        *leads(3, first_rep="r2", assigned=True),
    ])
    found = change_by_group(before, after, "acceptance_rate", ["first_rep"])
    assert found is not None
    parts = by_key(found)
    assert found.change == pytest.approx(-0.125, abs=1e-15)
    assert parts[("r1",)].contribution == pytest.approx(0.171875, abs=1e-15)
    assert parts[("r1",)].base_after == 2
    assert parts[("r2",)].mix == pytest.approx(0.015625, abs=1e-15)
    assert parts[("r2",)].within == pytest.approx(-0.3125, abs=1e-15)


def test_leads_without_a_value_form_their_own_group() -> None:
    before = facts([*leads(2, outcome="failed"), *leads(2, first_rep="r1", assigned=True)])
    after = facts([*leads(1, outcome="failed"), *leads(3, first_rep="r1", assigned=True)])
    found = change_by_group(before, after, "assignment_success_rate", ["first_rep"])
    assert found is not None
    assert {c.key for c in found.contributions} == {(None,), ("r1",)}
    # 0.5 -> 0.75, R̄ = 0.625; the unassigned group shrinks from 1/2 to 1/4 at rate 0:
    # mix (−1/4)(0 − 0.625) = 0.15625; r1 grows from 1/2 to 3/4 at rate 1: (1/4)(0.375).
    assert by_key(found)[(None,)].contribution == pytest.approx(0.15625, abs=1e-15)
    assert by_key(found)[("r1",)].contribution == pytest.approx(0.09375, abs=1e-15)


def test_an_empty_denominator_cannot_be_compared() -> None:
    only_pending = facts(leads(3, region="A", outcome="pending"))
    assert change_by_group(only_pending, AFTER, "assignment_success_rate", ["region"]) is None
    assert change_by_group(AFTER, only_pending, "assignment_success_rate", ["region"]) is None
    assert change_by_share(only_pending, AFTER, "assignment_success_rate",
                           ["failure_reason"]) is None
    assert change_by_group(facts([]), AFTER, "acceptance_rate", ["region"]) is None


def test_a_count_splits_into_its_groups_differences() -> None:
    found = change_by_group(BEFORE, AFTER, "failed", ["region"])
    assert found is not None
    assert (found.before, found.after) == (1.0, 5.0)
    assert {c.key: c.contribution for c in found.contributions} == {("A",): 3.0, ("C",): 1.0}


def test_percentiles_are_not_decomposed() -> None:
    with pytest.raises(ValueError, match="not a rate or a count"):
        change_by_group(BEFORE, AFTER, "tta_p95_minutes", ["region"])
    with pytest.raises(ValueError, match="not a rate"):
        change_by_share(BEFORE, AFTER, "leads", ["region"])


OUTCOME = st.sampled_from(["succeeded", "succeeded", "succeeded", "failed", "pending"])
LEAD = st.fixed_dictionaries({
    "outcome": OUTCOME,
    "region": st.sampled_from(["A", "B", "C", None]),
    "tier": st.sampled_from(["hot", "warm"]),
    "failure_reason": st.sampled_from(["X", "Y", None]),
    "first_rep": st.sampled_from(["r1", "r2", "r3", None]),
    "assigned": st.booleans(),
    "accepted": st.booleans(),
    "acceptance_pending": st.booleans(),
    "bounced": st.booleans(),
    "rejected": st.booleans(),
    "assign_sla_applicable": st.booleans(),
    "assign_sla_met": st.booleans(),
})


def consistent(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As ``lead_facts`` makes them: accepted, bounced and rejected leads were assigned, an
    accepted lead is no longer pending acceptance."""
    out = []
    for row in rows:
        assigned = row["assigned"]
        accepted = row["accepted"] and assigned
        out.append({**row, "accepted": accepted, "bounced": row["bounced"] and assigned,
                    "rejected": row["rejected"] and assigned,
                    "acceptance_pending": row["acceptance_pending"] and assigned and not accepted})
    return out


RATES = ["assignment_success_rate", "acceptance_rate", "bounce_rate", "rejection_rate",
         "assign_sla_met_rate"]


@settings(max_examples=60, deadline=None)
@given(st.lists(LEAD, max_size=40), st.lists(LEAD, max_size=40), st.sampled_from(RATES),
       st.sampled_from([["region"], ["region", "tier"], ["first_rep"], ["failure_reason"]]))
def test_contributions_add_up_to_the_change(
    before: list[dict[str, Any]], after: list[dict[str, Any]], name: str, by: list[str]
) -> None:
    before, after = consistent(before), consistent(after)
    for split in (change_by_group, change_by_share):
        found = split(facts(before), facts(after), name, by)
        if found is None:
            continue
        total = sum(c.contribution for c in found.contributions)
        assert abs(total - found.change) <= 1e-12
        if name == "assignment_success_rate":  # the total rates straight from the spec
            for rows, value in ((before, found.before), (after, found.after)):
                succeeded = sum(r["outcome"] == "succeeded" for r in rows)
                failed = sum(r["outcome"] == "failed" for r in rows)
                assert value == pytest.approx(succeeded / (succeeded + failed), abs=1e-15)
