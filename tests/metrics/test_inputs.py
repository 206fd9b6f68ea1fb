"""Routing-input data quality (issue 17, item 4): hand-computed values at creation, missing and
invalid values, the per-field breakdown and the engine's input_* metrics."""

from __future__ import annotations

import pandas as pd
import pytest

from routing_health.config.model import FieldRule
from routing_health.metrics import lead_facts, metrics_rows, total_metrics
from routing_health.metrics.inputs import (
    field_missing,
    field_quality,
    input_columns,
    missing_field_flags,
    values_at_creation,
)
from tests.metrics.frames import (
    activities_frame,
    at,
    leads_frame,
    owner_changes_frame,
    sfid,
    status_changes_frame,
)
from tests.metrics.helpers import NAMES, PARAMS, REP_A, TRIAGE

L1, L2, L3, L4, L5, L6 = (sfid("00Q", n) for n in range(1, 7))


def test_the_value_at_creation_is_the_old_value_of_the_earliest_change_else_the_current() -> None:
    current = pd.DataFrame({"id": [L1, L2, L3], "Country": ["DE", None, "FR"]})
    changes = pd.DataFrame([
        # L1: the later change's OldValue "" must not win over the earlier one's "US".
        {"id": "017000000000000B", "lead_id": L1, "field": "Country",
         "created_at": at("2026-01-05 11:00:00"), "old_value": ""},
        {"id": "017000000000000Z", "lead_id": L1, "field": "country",
         "created_at": at("2026-01-05 10:00:00"), "old_value": "US"},
        # L3: two changes in the same second: Id order (ASCII: 'A' before 'b') decides.
        {"id": "017000000000000b", "lead_id": L3, "field": "Country",
         "created_at": at("2026-01-05 10:00:00"), "old_value": "FR"},
        {"id": "017000000000000A", "lead_id": L3, "field": "Country",
         "created_at": at("2026-01-05 10:00:00"), "old_value": None},
    ])
    got = values_at_creation(current, changes, ["Country"])
    values = got["Country"].tolist()
    assert values[0] == "US"
    assert pd.isna(values[1])
    assert pd.isna(values[2])


def test_a_value_is_missing_when_blank_and_invalid_outside_allowed_or_pattern() -> None:
    countries = pd.Series([None, " ", "US", " DE ", "us", "France"], dtype=object)
    allowed = FieldRule("Country", allowed=frozenset({"US", "DE"}))
    assert field_missing(countries, allowed).tolist() == [True, True, False, False, True, True]
    states = pd.Series(["NY", "N", "nyc", "NYC", None], dtype=object)
    pattern = FieldRule("State", pattern="[A-Z]{2}")
    assert field_missing(states, pattern).tolist() == [False, True, True, True, True]
    plain = FieldRule("Territory__c")
    assert field_missing(states, plain).tolist() == [False, False, False, False, True]


def test_input_columns_join_the_missing_fields_in_configuration_order() -> None:
    at_creation = pd.DataFrame({
        "Country": ["US", None, "XX", "DE"],
        "State": [None, None, "CA", "CA"],
        "LeadSource": [" Web ", "", None, "Partner"],
    })
    rules = (FieldRule("Country", allowed=frozenset({"US", "DE"})), FieldRule("State"))
    got = input_columns(at_creation, rules, "LeadSource")
    assert got["input_missing_fields"].tolist() == ["State", "Country+State", "Country", ""]
    assert got["lead_source"].tolist() == ["Web", None, None, "Partner"]
    flags = missing_field_flags(got["input_missing_fields"], ["Country", "State"])
    assert flags["Country"].tolist() == [False, True, True, False]
    assert flags["State"].tolist() == [True, True, False, False]


def test_field_quality_compares_the_failure_rate_of_missing_and_complete_leads() -> None:
    facts = pd.DataFrame({
        "lead_source": ["Web", "Web", "Web", "Web", "Web", None],
        "created_day": ["2026-01-05"] * 6,
        "outcome": ["failed", "failed", "succeeded", "failed", "pending", "succeeded"],
        "input_missing_fields": ["Country", "Country+State", "", "State", "Country", ""],
    })
    rows = field_quality(facts, ["Country", "State"]).to_dict("records")
    web_country, web_state, none_country, _none_state = rows
    # Web, Country: 3 of 5 missing; of them 2 decided, both failed (1.0); of the 2 complete
    # decided leads (routed L3, failed L4) one failed (0.5): 0.5 points more, twice as often.
    assert (web_country["lead_source"], web_country["input_field"]) == ("Web", "Country")
    assert (web_country["leads"], web_country["missing"]) == (5, 3)
    assert web_country["missing_rate"] == 3 / 5
    assert web_country["missing_failure_rate"] == 1.0
    assert web_country["complete_failure_rate"] == 0.5
    assert web_country["failure_rate_difference"] == 0.5
    assert web_country["failure_rate_ratio"] == 2.0
    # Web, State: missing on L2 (failed) and L4 (failed): 1.0; complete L1 failed, L3 routed,
    # L5 pending: 1 of 2 decided = 0.5.
    assert web_state["missing"] == 2
    assert web_state["missing_failure_rate"] == 1.0
    assert web_state["complete_failure_rate"] == 0.5
    # The lead without a source is its own group (key None), last; nothing missing: null
    # failure rate on the missing side, so no difference and no ratio.
    assert none_country["lead_source"] is None
    assert (none_country["leads"], none_country["missing"]) == (1, 0)
    assert none_country["missing_rate"] == 0.0
    assert pd.isna(none_country["missing_failure_rate"])
    assert none_country["complete_failure_rate"] == 0.0
    assert pd.isna(none_country["failure_rate_difference"])
    assert pd.isna(none_country["failure_rate_ratio"])


def _facts(missing: list[str] | None) -> pd.DataFrame:
    created = "2026-01-05 10:00:00"
    owners = [REP_A, TRIAGE, REP_A, TRIAGE]
    records = [
        {"id": lead, "created_at": at(created), "owner_id": owner, "lead_source": "Web"}
        for lead, owner in zip((L1, L2, L3, L4), owners, strict=True)
    ]
    if missing is not None:
        for record, fields in zip(records, missing, strict=True):
            record["input_missing_fields"] = fields
    return lead_facts(leads_frame(records), owner_changes_frame([]), status_changes_frame([]),
                      activities_frame([]), NAMES, PARAMS, at("2026-01-05 12:00:00"))


def test_the_engine_counts_leads_missing_inputs_and_their_failure_rates() -> None:
    # L1 routed to Ann, missing Country; L2 sent to Triage (failed), missing Country;
    # L3 routed, complete; L4 failed, complete.
    total = total_metrics(_facts(["Country", "Country", "", ""]), PARAMS)
    assert total["input_missing"] == 2
    assert total["input_missing_rate"] == 2 / 4
    assert total["input_missing_failure_rate"] == 1 / 2
    assert total["input_complete_failure_rate"] == 1 / 2
    by_source = metrics_rows(_facts(["Country", "", "", ""]), ["lead_source"], PARAMS)
    assert [(r["lead_source"], r["input_missing"]) for r in by_source] == [("Web", 1)]
    assert by_source[0]["input_missing_failure_rate"] == 0.0
    assert by_source[0]["input_complete_failure_rate"] == pytest.approx(2 / 3)


def test_without_data_quality_fields_the_input_rates_are_null_not_zero() -> None:
    total = total_metrics(_facts(None), PARAMS)
    assert total["input_missing"] == 0
    assert total["input_missing_rate"] is None
    assert total["input_missing_failure_rate"] is None
    assert total["input_complete_failure_rate"] is None
