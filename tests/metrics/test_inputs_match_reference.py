"""Property: the routing-input quality columns, the engine's input_* metrics and the per-field
breakdown agree with a literal per-lead reference on random small orgs (issue 17, item 4)."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing_health.config.model import FieldRule
from routing_health.metrics import lead_facts, metrics_rows, total_metrics
from routing_health.metrics.inputs import field_quality, input_columns, values_at_creation
from tests.metrics.helpers import assert_rows_agree
from tests.metrics.reference import reference_groups, reference_lead_facts, reference_metrics
from tests.metrics.test_engine_matches_reference import OWNER_NAMES, orgs

RULES = (
    FieldRule("Country", allowed=frozenset({"US", "DE", "FR"})),
    FieldRule("State", pattern="[A-Z]{2}"),
    FieldRule("Territory__c"),
)
SOURCE = "LeadSource"
VALUES = (None, "", "  ", "US", "us", "DE ", "Germany", "FR", "NY", "ny", "N1", "CA", "West")


def _null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def reference_missing(value: Any, rule: FieldRule) -> bool:
    text = None if _null(value) else str(value).strip()
    if not text:
        return True
    if rule.allowed is not None and text not in rule.allowed:
        return True
    return rule.pattern is not None and re.fullmatch(rule.pattern, text) is None


def reference_at_creation(lead_id: str, name: str, current: Any, changes: list[dict]) -> Any:
    mine = [c for c in changes if c["lead_id"] == lead_id and c["field"].lower() == name.lower()]
    if not mine:
        return current
    return min(mine, key=lambda c: (c["created_at"], c["id"]))["old_value"]


@st.composite
def orgs_with_inputs(draw: st.DrawFn) -> dict[str, Any]:
    org = draw(orgs())
    leads = org["leads"].copy()
    changes = []
    counter = iter(range(1, 10_000))
    for field in (rule.name for rule in RULES):
        leads[field] = [draw(st.sampled_from(VALUES)) for _ in range(len(leads))]
    for lead_id, created in zip(leads["id"], leads["created_at"], strict=True):
        for _ in range(draw(st.integers(0, 3))):
            name = draw(st.sampled_from(("Country", "state", "Territory__c", SOURCE)))
            head = draw(st.sampled_from(("0", "A", "a")))
            changes.append({
                "id": f"017{head}{next(counter):014d}",
                "lead_id": lead_id,
                "field": name,
                "created_at": created + timedelta(seconds=draw(st.sampled_from((0, 0, 60, 86400)))),
                "old_value": draw(st.sampled_from(VALUES)),
            })
    return {**org, "leads": leads, "field_changes": changes}


def _engine_leads(org: dict[str, Any]) -> pd.DataFrame:
    leads = org["leads"]
    names = [*(r.name for r in RULES), SOURCE]
    changes = pd.DataFrame(org["field_changes"], columns=["id", "lead_id", "field", "created_at",
                                                           "old_value"])
    at_creation = values_at_creation(leads[["id", *names]], changes, names)
    inputs = input_columns(at_creation, RULES, SOURCE)
    out = leads.drop(columns=[r.name for r in RULES])
    return out.assign(lead_source=inputs["lead_source"].to_numpy(dtype=object),
                      input_missing_fields=inputs["input_missing_fields"].to_numpy(dtype=object))


def _reference_leads(org: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for lead in org["leads"].to_dict("records"):
        missing = []
        for rule in RULES:
            value = reference_at_creation(lead["id"], rule.name, lead[rule.name],
                                          org["field_changes"])
            if reference_missing(value, rule):
                missing.append(rule.name)
        source = reference_at_creation(lead["id"], SOURCE, lead[SOURCE], org["field_changes"])
        source = None if _null(source) or not str(source).strip() else str(source).strip()
        rows.append({**{k: v for k, v in lead.items() if k not in {r.name for r in RULES}},
                     "lead_source": source, "input_missing_fields": "+".join(missing)})
    frame = pd.DataFrame(rows, columns=[*(c for c in org["leads"].columns
                                          if c not in {r.name for r in RULES}),
                                        "lead_source", "input_missing_fields"])
    for column in ("created_at",):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def reference_field_rows(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        source = None if _null(fact["lead_source"]) else fact["lead_source"]
        groups[(source, fact["created_day"])].append(fact)

    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    rows = []
    for key in sorted(groups, key=lambda k: tuple((v is None, v or "") for v in k)):
        members = groups[key]
        for rule in RULES:
            miss = [f for f in members if rule.name in f["input_missing_fields"].split("+")]
            done = [f for f in members if rule.name not in f["input_missing_fields"].split("+")]
            mf = sum(f["outcome"] == "failed" for f in miss)
            md = sum(f["outcome"] in ("failed", "succeeded") for f in miss)
            cf = sum(f["outcome"] == "failed" for f in done)
            cd = sum(f["outcome"] in ("failed", "succeeded") for f in done)
            m_rate, c_rate = share(mf, md), share(cf, cd)
            rows.append({
                "lead_source": key[0], "created_day": key[1], "input_field": rule.name,
                "leads": len(members), "missing": len(miss),
                "missing_rate": share(len(miss), len(members)),
                "missing_failed": mf, "missing_decided": md, "missing_failure_rate": m_rate,
                "complete_failed": cf, "complete_decided": cd, "complete_failure_rate": c_rate,
                "failure_rate_difference": None if m_rate is None or c_rate is None
                else m_rate - c_rate,
                "failure_rate_ratio": None if m_rate is None or not c_rate else m_rate / c_rate,
            })
    return rows


def _json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for record in frame.to_dict("records"):
        rows.append({k: (None if isinstance(v, float) and v != v else v)
                     for k, v in record.items()})
    return rows


@settings(max_examples=int(os.environ.get("INPUT_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(orgs_with_inputs())
def test_input_quality_agrees_with_the_reference(org: dict[str, Any]) -> None:
    params, as_of = org["params"], org["as_of"]
    rest = (org["owner_changes"], org["status_changes"], org["activities"])
    engine_leads = _engine_leads(org)
    reference_leads = _reference_leads(org)
    assert engine_leads["input_missing_fields"].tolist() == \
        reference_leads["input_missing_fields"].tolist()
    assert engine_leads["lead_source"].tolist() == reference_leads["lead_source"].tolist()

    facts = lead_facts(engine_leads, *rest, OWNER_NAMES, params, as_of)
    expected = reference_lead_facts(reference_leads, *rest, OWNER_NAMES, params, as_of)
    assert_rows_agree([total_metrics(facts, params)], [reference_metrics(expected, params)])
    for by in (["lead_source", "day"], ["input_missing_fields"], ["region"]):
        assert_rows_agree(metrics_rows(facts, by, params),
                          reference_groups(expected, by, params) if expected else [])
    names = [r.name for r in RULES]
    assert_rows_agree(_json_rows(field_quality(facts, names)), reference_field_rows(expected))
