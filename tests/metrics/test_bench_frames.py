"""The synthetic benchmark org is realistic enough to check the engine against the reference."""

from __future__ import annotations

import pandas as pd

from bench.frames import synthetic_frames
from routing_health.metrics import lead_facts, lead_facts_of, metrics_rows, total_metrics
from tests.metrics.helpers import assert_facts_agree, assert_rows_agree
from tests.metrics.reference import reference_groups, reference_lead_facts, reference_metrics


def test_engine_agrees_with_the_reference_on_a_synthetic_org_of_two_thousand_leads() -> None:
    org = synthetic_frames(leads=2_000, seed=11)
    inputs = (
        org.leads,
        org.owner_changes,
        org.status_changes,
        org.activities,
        org.owner_names,
        org.params,
        org.as_of,
    )
    facts = lead_facts(*inputs)
    expected = reference_lead_facts(*inputs)
    assert len(facts) > 1_900
    assert_facts_agree(facts, expected)
    assert_rows_agree([total_metrics(facts, org.params)], [reference_metrics(expected, org.params)])
    for by in (["region", "tier"], ["day"], ["failure_reason"], ["LeadSource", "first_rep"]):
        assert_rows_agree(
            metrics_rows(facts, by, org.params), reference_groups(expected, by, org.params)
        )


def test_the_synthetic_org_has_every_outcome_ties_bounces_and_queues() -> None:
    org = synthetic_frames(leads=5_000, seed=3)
    facts = lead_facts_of(org, org.params, org.as_of)
    assert set(facts["outcome"]) == {"succeeded", "failed", "pending"}
    for flag in ("bounced", "accepted", "acceptance_pending", "rejected", "queued"):
        assert facts[flag].any(), flag
    changes = org.owner_changes
    assert changes.duplicated(["lead_id", "created_at"]).any()


def test_lead_facts_of_reads_the_five_input_frames_from_one_object() -> None:
    org = synthetic_frames(leads=500, seed=5)
    expected = lead_facts(
        org.leads,
        org.owner_changes,
        org.status_changes,
        org.activities,
        org.owner_names,
        org.params,
        org.as_of,
    )
    pd.testing.assert_frame_equal(lead_facts_of(org, org.params, org.as_of), expected)
