"""Property: the vectorised shadow metrics agree with the literal reference on random orgs."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing_health.metrics import METRIC_NAMES, lead_facts, metrics_rows, total_metrics
from routing_health.metrics.aggregate import SHADOW_NAMES
from routing_health.metrics.shadow import shadow_facts
from tests.metrics.helpers import assert_rows_agree
from tests.metrics.reference import reference_groups, reference_lead_facts, reference_metrics
from tests.metrics.reference_shadow import reference_shadow_facts, reference_shadow_metrics
from tests.metrics.test_engine_matches_reference import OWNER_NAMES, REPS, orgs

# Candidates: none, blank, a rep's 18- and 15-character Id, padded, text that is no Id.
CANDIDATES = (None, "", "  ", *REPS, *(rep[:15] for rep in REPS), f" {REPS[1]} ", "not an id")


@st.composite
def shadow_orgs(draw: st.DrawFn) -> dict[str, Any]:
    org = draw(orgs())
    leads = org["leads"].copy()
    leads["candidate"] = [draw(st.sampled_from(CANDIDATES)) for _ in range(len(leads))]
    org["leads"] = leads
    org["conversion_days"] = draw(st.integers(0, 2)) or 1
    return org


def _groups(facts: list[dict[str, Any]], by: list[str], params) -> list[dict[str, Any]]:
    base = reference_groups(facts, by, params)
    # reference_groups sorts by key; add the shadow metrics of the same groups.
    keyed: dict[tuple, list[dict[str, Any]]] = {}
    for fact in facts:
        key = tuple(fact[{"week": "created_week", "day": "created_day"}.get(k, k)] or None
                    for k in by)
        keyed.setdefault(key, []).append(fact)
    return [{**row, **reference_shadow_metrics(keyed[tuple(row[k] for k in by)])}
            for row in base]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shadow_orgs())
def test_shadow_metrics_agree_with_the_reference(org: dict[str, Any]) -> None:
    params, as_of = org["params"], org["as_of"]
    leads = org["leads"]
    inputs = (leads.drop(columns=["candidate"]), org["owner_changes"], org["status_changes"],
              org["activities"])
    facts = lead_facts(*inputs, OWNER_NAMES, params, as_of)
    expected = reference_lead_facts(*inputs, OWNER_NAMES, params, as_of)
    by_id = leads.set_index("id")
    aligned = by_id.reindex(facts["lead_id"].astype(object))
    engine = shadow_facts(
        facts, aligned["candidate"], aligned["is_converted"], aligned["converted_date"],
        conversion_days=org["conversion_days"], as_of=as_of,
    )
    raw = {
        row["id"]: {"candidate": row["candidate"], "is_converted": bool(row["is_converted"]),
                    "converted_date": row["converted_date"]
                    if isinstance(row["converted_date"], type(as_of.date())) else None}
        for row in leads.to_dict("records")
    }
    reference = reference_shadow_facts(expected, raw, org["conversion_days"],
                                       as_of.to_pydatetime())

    total = total_metrics(engine, params)
    assert list(total) == [*METRIC_NAMES, *SHADOW_NAMES]
    assert_rows_agree(
        [total], [{**reference_metrics(reference, params), **reference_shadow_metrics(reference)}]
    )
    for by in (["region", "tier"], ["week"], ["first_rep"]):
        assert_rows_agree(metrics_rows(engine, by, params),
                          _groups(reference, by, params) if reference else [])
