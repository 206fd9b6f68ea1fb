"""The pack format and the judgement of leads, on hand-made inputs (expected values by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from routing_health.lib.sfid import to_18
from routing_health.routing_tests.judge import Owners, judge_leads, summarise
from routing_health.routing_tests.pack import PackError, parse_pack

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
INTAKE, TRIAGE = to_18("00G000000000001"), to_18("00G000000000002")
RUBY, KENJI = to_18("005000000000011"), to_18("005000000000012")
OWNERS = Owners(holding=frozenset({INTAKE}), fallback=frozenset({TRIAGE}),
                names={INTAKE: "Lead Intake", TRIAGE: "Lead Triage", RUBY: "Ruby Sharma",
                       KENJI: "Kenji Lee"})
PACK = """
[pack]
name = "p"
[defaults]
LastName = "Test {n}"
Company = "Co"
[[case]]
name = "to_ruby"
fields = { Region__c = "EMEA" }
owner = "Ruby Sharma"
[[case]]
name = "faults"
outcome = "failed"
failure_reason = "Decision: Assign by Territory"
[[case]]
name = "triaged"
outcome = "triage"
[[case]]
name = "volume"
outcome = "succeeded"
count = 3
check_sla = true
"""


def test_a_case_inherits_the_defaults_and_numbers_its_leads() -> None:
    pack = parse_pack(PACK)
    volume = pack.cases[3]
    assert pack.lead_count == 6
    assert volume.lead_fields(2) == {"LastName": "Test 2", "Company": "Co"}
    assert pack.cases[0].lead_fields(1) == {"LastName": "Test 1", "Company": "Co",
                                            "Region__c": "EMEA"}


@pytest.mark.parametrize(("change", "message"), [
    (('owner = "Ruby Sharma"', 'owner = "Ruby Sharma"\noutcome = "succeeded"'),
     "case 'to_ruby': give exactly one of owner and outcome"),
    (('count = 3', 'count = 0'), "case 'volume'.count: must be a whole number from 1 to 10000"),
    (('name = "p"', 'name = "p"\nschedule = "daily"'), "pack.schedule: unknown key"),
    (('outcome = "triage"', 'outcome = "lost"'),
     "case 'triaged'.outcome: must be one of succeeded, triage, failed"),
])
def test_a_bad_pack_names_the_key(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PackError) as error:
        parse_pack(PACK.replace(*change), source="pack.toml")
    assert str(error.value) == f"pack.toml: {message}"


def _lead(n: int, case: str, owner: str, node: str | None = None) -> dict:
    return {"lead_id": to_18(f"00Q{n:012d}"), "case": case, "created": T0, "owner_id": owner,
            "failed_node": node}


def test_each_lead_is_judged_by_the_spec_routing_model() -> None:
    pack = parse_pack(PACK)
    leads = pd.DataFrame([
        _lead(1, "to_ruby", RUBY),  # moved off Lead Intake after 30 s
        _lead(2, "faults", INTAKE, "Decision: Assign by Territory"),
        _lead(3, "triaged", TRIAGE),  # moved to the fallback queue after 10 s
        _lead(4, "volume", KENJI), _lead(5, "volume", KENJI),
        _lead(6, "volume", INTAKE),  # never routed
    ])
    changes = pd.DataFrame([
        {"lead_id": to_18("00Q000000000001"), "at": T0 + timedelta(seconds=30),
         "new_owner_id": RUBY},
        {"lead_id": to_18("00Q000000000003"), "at": T0 + timedelta(seconds=10),
         "new_owner_id": TRIAGE},
        {"lead_id": to_18("00Q000000000004"), "at": T0 + timedelta(seconds=20),
         "new_owner_id": KENJI},
        {"lead_id": to_18("00Q000000000005"), "at": T0 + timedelta(seconds=40),
         "new_owner_id": KENJI},
    ])

    judged = judge_leads(leads, changes, OWNERS, {"to_ruby": RUBY}, pack.cases)

    assert judged["outcome"].tolist() == [
        "succeeded", "failed", "triage", "succeeded", "succeeded", "timeout"]
    assert judged["failure_reason"].tolist() == [
        None, "Decision: Assign by Territory", "fallback: Lead Triage", None, None,
        "unrouted: Lead Intake"]
    assert judged["passed"].tolist() == [True, True, True, True, True, False]
    results = summarise(judged, pack.cases, OWNERS, {"volume": 300.0})
    assert [(r.name, r.passed) for r in results] == [
        ("to_ruby", True), ("faults", True), ("triaged", True), ("volume", False)]
    volume = results[3]
    # p95 of the routed leads' 20 s and 40 s by linear interpolation: 20 + 0.95 × 20 = 39 s.
    assert volume.seconds_to_route == pytest.approx(39.0)
    assert (volume.timed_out, volume.passed_leads, volume.leads) == (1, 2, 3)
    assert volume.actual == "owner Kenji Lee (2); timeout: unrouted: Lead Intake (1)"
