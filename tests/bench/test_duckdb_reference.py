"""The DuckDB SQL reference of the benchmark (``bench.duckdb_reference``) agrees with the engine.

The benchmark reports a pandas/DuckDB time ratio and an agreement check; both mean something
only if the SQL computes the same metrics, so it is checked here on a few thousand synthetic
leads at several ``as_of`` values, and on the small edge-heavy orgs (same-second ties, window
boundaries, empty Ids) of the engine's own property test.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pandas as pd
import pytest

duckdb = pytest.importorskip("duckdb")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from bench.duckdb_reference import (  # noqa: E402
    build_facts,
    compare_facts,
    compare_metrics,
    fetch_facts,
    group_facts,
    reference_metrics,
    register_frames,
)
from bench.frames import AS_OF, synthetic_frames  # noqa: E402
from routing_health.metrics import cohort, group_metrics, lead_facts, lead_facts_of  # noqa: E402
from tests.metrics.test_engine_matches_reference import OWNER_NAMES, orgs  # noqa: E402

GROUPINGS = (
    ["region", "tier"],
    ["day"],
    ["week", "first_rep"],
    ["routed_owner"],
    ["failure_reason"],
    ["LeadSource"],
    [],
)


@pytest.fixture(scope="module")
def org() -> Any:
    return synthetic_frames(5_000, seed=11)


def _check(
    frames: dict[str, Any],
    params: Any,
    as_of: pd.Timestamp,
    groupings: tuple[list[str], ...] = GROUPINGS,
    window: tuple[Any, Any] | None = None,
) -> None:
    """Every per-lead fact and every metric of ``groupings`` agree (and of the cohort
    ``window`` by region and day, when given)."""
    inputs = [frames[k] for k in ("leads", "owner_changes", "status_changes", "activities")]
    facts = lead_facts(*inputs, frames["owner_names"], params, as_of)
    con = duckdb.connect()
    register_frames(con, *inputs, frames["owner_names"])
    extras = build_facts(con, params, as_of)
    cells, notes = compare_facts(facts, fetch_facts(con))
    assert cells == 0, notes
    for by in groupings:
        problems = compare_metrics(
            group_metrics(facts, by, params), group_facts(con, by, params, extras), by
        )
        assert problems == [], (by, problems[:10])
    if window is not None:
        by = ["region", "day"]
        ours = group_metrics(cohort(facts, *window), by, params)
        theirs = group_facts(con, by, params, extras, cohort=window)
        assert compare_metrics(ours, theirs, by) == []


@pytest.mark.parametrize(
    "days_before", [0, 3, 30, 59], ids=["at-T", "3-days-before", "30-days-before", "59-days-before"]
)
def test_the_reference_agrees_with_the_engine_on_synthetic_leads(org: Any, days_before: int):
    frames = {
        "leads": org.leads,
        "owner_changes": org.owner_changes,
        "status_changes": org.status_changes,
        "activities": org.activities,
        "owner_names": org.owner_names,
    }
    _check(frames, org.params, AS_OF - pd.Timedelta(days=days_before, minutes=7))


def _wall_clock(params: Any) -> Any:
    """The params without business-hours calendars and kill switch (section 10 is not in the
    SQL reference)."""
    names = {f.name for f in fields(params)} & {"calendars", "region_calendars"}
    return replace(params, **{name: {} for name in names}, kill_switch_on=())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orgs())
def test_the_reference_agrees_with_the_engine_on_edge_heavy_orgs(case: dict[str, Any]) -> None:
    frames = {**case, "owner_names": OWNER_NAMES}
    groupings = (["region", "tier"], ["week", "first_rep"], ["failure_reason"], ["LeadSource"])
    start, end = case["window"]
    _check(frames, _wall_clock(case["params"]), case["as_of"], groupings, (start, end))


def test_the_agreement_check_reports_a_planted_difference(org: Any):
    facts = lead_facts_of(org, org.params, AS_OF)
    reference = reference_metrics(org, org.params, AS_OF, ["region", "tier"])
    engine = group_metrics(facts, ["region", "tier"], org.params)
    engine.loc[0, "tta_p95_minutes"] *= 1 + 1e-6
    engine.loc[1, "bounced"] += 1
    problems = compare_metrics(engine, reference, ["region", "tier"])
    assert len(problems) == 2
    assert "tta_p95_minutes" in problems[0] and "bounced" in problems[1]

    con = duckdb.connect()
    register_frames(
        con, org.leads, org.owner_changes, org.status_changes, org.activities, org.owner_names
    )
    build_facts(con, org.params, AS_OF)
    changed = facts.copy()
    changed.loc[5, "accepted"] = not changed.loc[5, "accepted"]
    cells, notes = compare_facts(changed, fetch_facts(con))
    assert cells == 1 and "accepted" in notes[0]
