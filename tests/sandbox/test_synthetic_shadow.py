"""The synthetic org's shadow-routing story (issue 17): only with ``shadow=True``, and nothing
else of the org moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from routing_health.config import parse_config
from routing_health.lib.sfid import is_sf_id
from routing_health.sandbox.synthetic import generate_org
from routing_health.sandbox.synthetic_shadow import CANDIDATE_FIELD, PRIORITY_FIELD, REASON_FIELD

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIELDS = [CANDIDATE_FIELD, REASON_FIELD, PRIORITY_FIELD]


def orgs():
    kwargs = {"leads": 600, "seed": 5, "now": NOW, "days": 14}
    return generate_org(**kwargs), generate_org(**kwargs, shadow=True)


def test_the_story_adds_three_lead_fields_and_changes_nothing_else():
    plain, shadow = orgs()
    assert list(shadow.tables) == list(plain.tables)
    for name, frame in plain.tables.items():
        other = shadow.tables[name]
        if name == "Lead":
            assert list(other.columns) == [*frame.columns, *FIELDS]
            other = other.drop(columns=FIELDS)
        pd.testing.assert_frame_equal(other, frame)
    assert shadow.config_toml.startswith(plain.config_toml)
    assert shadow.custom_fields["Lead"][-3:] == [
        (CANDIDATE_FIELD, "string"), (REASON_FIELD, "string"), (PRIORITY_FIELD, "picklist")]
    assert "shadow" not in plain.facts


def test_the_configuration_names_the_fields_and_the_candidates_are_user_ids():
    _, shadow = orgs()
    config = parse_config(shadow.config_toml)
    assert config.shadow is not None
    assert config.shadow.api_names() == tuple(FIELDS)
    candidates = shadow.tables["Lead"][CANDIDATE_FIELD].dropna()
    assert all(is_sf_id(c) and c.startswith("005") for c in candidates)


def test_the_candidate_agrees_with_the_first_rep_on_some_leads_and_not_on_others():
    _, shadow = orgs()
    truth = shadow.facts["shadow"]
    covered, agreeing = truth["leads_with_candidate"], truth["agree_with_first_rep"]
    assert 0 < agreeing < covered < 600
    assert covered == shadow.tables["Lead"][CANDIDATE_FIELD].notna().sum()
