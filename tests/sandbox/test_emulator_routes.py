"""The emulator's lead router and the writes the routing test pack needs (issue 16, item 4),
through the real simple_salesforce client over HTTPS: sObject Collections create/delete, the
router's rule entries, delay and fault path, the recycle bin."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from routing_health.sandbox import Org
from routing_health.sandbox.router import (
    Condition,
    KillSwitch,
    RouterConfig,
    RuleEntry,
    conditions,
)
from tests.sandbox.test_salesforce_emulator import T0, error_code

NODE = "Decision: Assign by Territory"
DELAY = 90  # seconds


class Clock:
    """The org's clock, moved by the test (no sleeping)."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(days=30))


@pytest.fixture
def org(clock: Clock) -> Org:
    org = Org(clock=clock)
    org.add_field("Lead", "Region__c", "picklist")
    return org


@pytest.fixture
def owners(org: Org) -> dict[str, str]:
    """The holding queue, two reps, a fallback queue and a triage queue; the router on."""
    ids = {
        "holding": org.add_queue("Lead Intake"),
        "emea_rep": org.add_user("Erika Emea"),
        "amer_rep": org.add_user("Arthur Amer"),
        "fallback": org.add_queue("Unassigned Fallback"),
        "triage": org.add_queue("Routing Triage"),
    }
    org.configure_router(RouterConfig(
        holding_owner_id=ids["holding"],
        entries=(
            RuleEntry(NODE, conditions(("Region__c", "equals", "EMEA"), ("Rating", "equals",
                                                                           "Hot")), fault=NODE),
            RuleEntry("EMEA", conditions(("Region__c", "equals", "emea")),
                      owner_id=ids["emea_rep"]),
            RuleEntry("Americas", conditions(("Region__c", "in", ["AMER", "LATAM"]),
                                             ("Country", "not blank")),
                      owner_id=ids["amer_rep"]),
            RuleEntry("No region", conditions(("Region__c", "blank")), owner_id=ids["fallback"]),
        ),
        default=RuleEntry("Default", owner_id=ids["fallback"]),
        delay_seconds=DELAY,
        kill_switch=None,
    ))
    return ids


def lead(last: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, "LastName": last, "Company": "Acme", **fields}


def create(sf: Salesforce, records: list[dict[str, Any]], all_or_none: bool = True) -> Any:
    return sf.restful("composite/sobjects", method="POST",
                      json={"allOrNone": all_or_none, "records": records})


def delete(sf: Salesforce, ids: list[str], all_or_none: bool = False) -> Any:
    return sf.restful("composite/sobjects", method="DELETE",
                      params={"ids": ",".join(ids), "allOrNone": str(all_or_none).lower()})


def leads_by_id(sf: Salesforce, ids: list[str]) -> dict[str, dict[str, Any]]:
    soql = ("SELECT Id, OwnerId, CreatedDate, Routing_Failed_Node__c FROM Lead WHERE Id IN ('"
            + "','".join(ids) + "')")
    return {r["Id"]: r for r in sf.query(soql)["records"]}


def owner_history(sf: Salesforce, ids: list[str]) -> list[tuple[str, str, Any, Any, str]]:
    soql = ("SELECT LeadId, DataType, OldValue, NewValue, CreatedDate FROM LeadHistory WHERE "
            "Field = 'Owner' AND LeadId IN ('" + "','".join(ids) + "') ORDER BY CreatedDate")
    return [(r["LeadId"], r["DataType"], r["OldValue"], r["NewValue"], r["CreatedDate"])
            for r in sf.query(soql)["records"]]


# ---------------------------------------------------------------- create, route, fault
def test_three_leads_created_by_collection_are_routed_after_the_delay(
        org: Org, clock: Clock, owners: dict[str, str], sf: Salesforce) -> None:
    created_at = "2026-02-04T10:11:12.000+0000"  # T0 + 30 days, as REST writes it
    results = create(sf, [lead("Ems", Region__c="EMEA", Rating="Warm"),
                          lead("Hotte", Region__c="EMEA", Rating="Hot"),
                          lead("Amy", Region__c="AMER", Country="US")])
    assert [r["success"] for r in results] == [True, True, True]
    assert all(r["errors"] == [] and r["id"].startswith("00Q") for r in results)
    ids = [r["id"] for r in results]
    before = leads_by_id(sf, ids)
    assert {r["OwnerId"] for r in before.values()} == {owners["holding"]}
    assert {r["CreatedDate"] for r in before.values()} == {created_at}
    assert owner_history(sf, ids) == []

    clock.advance(DELAY - 1)
    assert {r["OwnerId"] for r in leads_by_id(sf, ids).values()} == {owners["holding"]}
    clock.advance(1)
    after = leads_by_id(sf, ids)
    ems, hotte, amy = ids
    assert after[ems]["OwnerId"] == owners["emea_rep"]
    assert after[amy]["OwnerId"] == owners["amer_rep"]
    assert (after[hotte]["OwnerId"], after[hotte]["Routing_Failed_Node__c"]) == (
        owners["holding"], NODE)
    assert after[ems]["Routing_Failed_Node__c"] is None
    routed_at = "2026-02-04T10:12:42.000+0000"  # created + 90 s
    rows = owner_history(sf, ids)
    assert sorted(rows) == sorted([
        (ems, "EntityId", owners["holding"], owners["emea_rep"], routed_at),
        (ems, "Text", "Lead Intake", "Erika Emea", routed_at),
        (amy, "EntityId", owners["holding"], owners["amer_rep"], routed_at),
        (amy, "Text", "Lead Intake", "Arthur Amer", routed_at),
    ])


def test_rule_entries_first_match_wins_with_in_blank_not_blank_and_default(
        org: Org, clock: Clock, owners: dict[str, str], sf: Salesforce) -> None:
    cases = [
        (lead("A", Region__c="LATAM", Country="BR"), owners["amer_rep"]),   # in + not blank
        (lead("B", Region__c="LATAM"), owners["fallback"]),                # Country blank: default
        (lead("C"), owners["fallback"]),                                   # Region blank
        (lead("D", Region__c="APAC", Country="SG"), owners["fallback"]),    # default
        (lead("E", Region__c="Emea", Rating="Cold"), owners["emea_rep"]),   # case-insensitive
    ]
    ids = [r["id"] for r in create(sf, [c[0] for c in cases])]
    clock.advance(DELAY)
    got = leads_by_id(sf, ids)
    assert [got[i]["OwnerId"] for i in ids] == [c[1] for c in cases]
    assert [name for _, name in org.router.routed] == [
        "Americas", "Default", "No region", "Default", "EMEA"]


def test_a_lead_with_an_owner_and_a_single_create_are_routed_too(
        org: Org, clock: Clock, owners: dict[str, str], sf: Salesforce) -> None:
    answer = sf.Lead.create({"LastName": "Solo", "Company": "Acme", "Region__c": "EMEA"})
    assert answer["success"] is True and answer["errors"] == []
    assert org.get("Lead", answer["id"])["Status"] == "Open - Not Contacted"  # the default
    clock.advance(DELAY)
    assert sf.Lead.get(answer["id"])["OwnerId"] == owners["emea_rep"]


def test_a_router_without_delay_routes_within_the_create_call(
        org: Org, owners: dict[str, str], sf: Salesforce) -> None:
    org.configure_router(RouterConfig(owners["holding"], (), RuleEntry("All", owner_id=owners[
        "amer_rep"]), delay_seconds=0))
    lead_id = create(sf, [lead("Now")])[0]["id"]
    assert org.get("Lead", lead_id)["OwnerId"] == owners["amer_rep"]


def test_the_kill_switch_sends_leads_to_triage_while_on(
        org: Org, clock: Clock, owners: dict[str, str], sf: Salesforce) -> None:
    config = org.router.config
    org.configure_router(RouterConfig(config.holding_owner_id, config.entries, config.default,
                                      DELAY, kill_switch=KillSwitch(owners["triage"])))
    org.set_kill_switch(True)
    first = create(sf, [lead("Paused", Region__c="EMEA")])[0]["id"]
    clock.advance(DELAY)
    org.set_kill_switch(False)
    second = create(sf, [lead("Resumed", Region__c="EMEA")])[0]["id"]
    clock.advance(DELAY)
    got = leads_by_id(sf, [first, second])
    assert (got[first]["OwnerId"], got[second]["OwnerId"]) == (owners["triage"],
                                                               owners["emea_rep"])


# ---------------------------------------------------------------- delete, recycle bin
def test_deleted_leads_leave_query_but_stay_in_query_all_as_deleted(
        org: Org, clock: Clock, owners: dict[str, str], sf: Salesforce) -> None:
    ids = [r["id"] for r in create(sf, [lead("X"), lead("Y"), lead("Z")])]
    assert delete(sf, ids) == [{"id": i, "success": True, "errors": []} for i in ids]
    soql = "SELECT Id, IsDeleted FROM Lead WHERE LastName IN ('X', 'Y', 'Z')"
    assert sf.query(soql)["totalSize"] == 0
    gone = sf.query_all(soql, include_deleted=True)["records"]
    assert sorted((r["Id"], r["IsDeleted"]) for r in gone) == sorted((i, True) for i in ids)
    clock.advance(DELAY)
    sf.query("SELECT Id FROM Lead")
    assert org.router.routed == []  # deleted before their due time: never routed
    again = delete(sf, ids[:1])
    assert again[0]["success"] is False
    assert again[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"


def test_delete_all_or_none_rolls_back_when_one_id_fails(
        org: Org, owners: dict[str, str], sf: Salesforce) -> None:
    keep = create(sf, [lead("Keep")])[0]["id"]
    answer = delete(sf, [keep, "00Q000000000000AAA"], all_or_none=True)
    assert [r["success"] for r in answer] == [False, False]
    assert answer[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert answer[1]["errors"][0]["statusCode"] in ("MALFORMED_ID", "INVALID_CROSS_REFERENCE_KEY")
    assert org.get("Lead", keep)["IsDeleted"] is False
    sf.Lead.delete(keep)  # DELETE /sobjects/Lead/<id> → 204
    assert org.get("Lead", keep)["IsDeleted"] is True
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Lead.delete(keep)
    assert error_code(exc) == "ENTITY_IS_DELETED"


# ---------------------------------------------------------------- errors
def test_more_than_200_records_or_ids_is_exceeded_id_limit(
        org: Org, owners: dict[str, str], sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        create(sf, [lead(f"L{i}") for i in range(201)])
    assert error_code(exc) == "EXCEEDED_ID_LIMIT"
    assert org.count("Lead") == 0
    assert len(create(sf, [lead(f"L{i}") for i in range(200)])) == 200
    with pytest.raises(SalesforceMalformedRequest) as exc:
        delete(sf, [r["Id"] for r in org.records("Lead")] + ["00Q000000000000AAA"])
    assert error_code(exc) == "EXCEEDED_ID_LIMIT"


def test_an_unknown_field_refuses_the_whole_request_as_invalid_field(
        org: Org, owners: dict[str, str], sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        create(sf, [lead("Fine"), lead("Bad", Territory__c="EMEA")], all_or_none=False)
    assert error_code(exc) == "INVALID_FIELD"
    message = "No such column 'Territory__c' on sobject of type Lead"
    assert exc.value.content[0]["message"] == message
    assert org.count("Lead") == 0


def test_a_record_missing_a_required_field_fails_alone_or_rolls_back_all(
        org: Org, owners: dict[str, str], sf: Salesforce) -> None:
    no_company = {"attributes": {"type": "Lead"}, "LastName": "NoCo"}
    partial = create(sf, [lead("Good"), no_company], all_or_none=False)
    assert partial[0]["success"] is True
    assert partial[1] == {"success": False, "errors": [{
        "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: "
        "[Company]", "fields": ["Company"]}]}
    assert org.count("Lead") == 1
    rolled = create(sf, [lead("Good 2"), no_company], all_or_none=True)
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert rolled[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert org.count("Lead") == 1


def test_condition_operators_are_checked() -> None:
    with pytest.raises(ValueError):
        Condition("Region__c", "contains", "E")
    with pytest.raises(ValueError):
        RuleEntry("Both", owner_id="005", fault="node")
    config = RouterConfig.from_dict({
        "holding_owner_id": "00G", "delay_seconds": 5,
        "entries": [{"name": "EU", "when": [["Region__c", "in", ["EMEA"]],
                                            ["Email", "not blank"]], "owner_id": "005A"}],
        "default": {"name": "Boom", "fault": "Assignment: Default"},
    })
    assert config.decide({"Region__c": "emea", "Email": "a@b.c"}, False).owner_id == "005A"
    assert config.decide({"Region__c": "EMEA", "Email": ""}, False).fault == "Assignment: Default"
    assert Org(router=config).schema("Lead").has("Routing_Failed_Node__c")


def test_single_create_errors_are_salesforce_shaped(
        org: Org, owners: dict[str, str], sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"LastName": "No Company"})
    assert exc.value.content == [{"message": "Required fields are missing: [Company]",
                                  "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Company"]}]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"LastName": "X", "Company": "Y", "Territory__c": "EMEA"})
    assert error_code(exc) == "INVALID_FIELD"
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Territory__c.create({"Name": "EMEA"})
    assert error_code(exc) == "NOT_FOUND"
    assert org.count("Lead") == 0


def test_sforce_auto_assign_false_leaves_created_leads_unrouted_with_the_caller(
        org: Org, clock: Clock, owners: dict[str, str], sf: Salesforce) -> None:
    answer = sf.restful("composite/sobjects", method="POST", headers={
        "Sforce-Auto-Assign": "FALSE"}, json={"records": [lead("Manual", Region__c="EMEA")]})
    clock.advance(DELAY)
    row = leads_by_id(sf, [answer[0]["id"]])[answer[0]["id"]]
    assert row["OwnerId"] == org.default_user_id  # the API user, as Salesforce defaults it
    assert org.router.routed == []
