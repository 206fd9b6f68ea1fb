"""Setup objects of the emulated org the change-safety features read (issue 16, item 4):
Organization.IsSandbox, FlowDefinitionView / FlowVersionView, the kill-switch custom metadata
type, and the demo org wired with all of them — through simple_salesforce over HTTPS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from routing_health.sandbox import Org, SalesforceEmulator
from routing_health.sandbox.serve import build_org
from tests.conftest import serve_salesforce
from tests.sandbox.test_salesforce_emulator import T0, error_code

SWITCH_SOQL = ("SELECT DeveloperName, MasterLabel, Kill_Switch__c, LastModifiedDate "
               "FROM Routing_Switch__mdt WHERE DeveloperName = 'Lead_Routing'")


def test_organization_is_sandbox_is_false_until_the_org_is_made_a_sandbox(
        org: Org, sf: Salesforce) -> None:
    soql = "SELECT Id, IsSandbox, OrganizationType FROM Organization"
    row = sf.query(soql)["records"][0]
    assert (row["Id"], row["IsSandbox"]) == (org.org_id, False)
    org.is_sandbox = True
    assert sf.query(soql)["records"][0]["IsSandbox"] is True


def test_flow_versions_follow_an_activation(org: Org, sf: Salesforce) -> None:
    saved = T0 + timedelta(days=1)
    flow_id, (v1, v2) = org.add_flow("Lead_Router", label="Lead Router", versions=2, active=1,
                                     at=saved, by_name="Dana Whitfield")
    soql = ("SELECT DurableId, FlowDefinitionViewId, VersionNumber, Status, "
            "FlowDefinitionView.ApiName FROM FlowVersionView "
            f"WHERE FlowDefinitionViewId = '{flow_id}' ORDER BY VersionNumber")
    rows = sf.query(soql)["records"]
    assert [(r["DurableId"], r["VersionNumber"], r["Status"]) for r in rows] == [
        (v1, 1, "Active"), (v2, 2, "Draft")]
    assert {r["FlowDefinitionView"]["ApiName"] for r in rows} == {"Lead_Router"}

    activated = T0 + timedelta(days=3, hours=2)
    org.activate_flow_version("Lead_Router", 2, at=activated, by_name="Priya Admin")
    rows = sf.query(soql)["records"]
    assert [r["Status"] for r in rows] == ["Obsolete", "Active"]
    # The columns the sync reads (routing_health/sync/objects.py) plus who activated it.
    flow = sf.query("SELECT DurableId, ApiName, Label, ActiveVersionId, LatestVersionId, "
                    "LastModifiedDate, LastModifiedBy FROM FlowDefinitionView")["records"][0]
    assert (flow["DurableId"], flow["ActiveVersionId"], flow["LatestVersionId"]) == (
        flow_id, v2, v2)
    assert (flow["LastModifiedBy"], flow["LastModifiedDate"]) == (
        "Priya Admin", "2026-01-08T12:11:12.000+0000")


def test_flow_version_view_has_no_last_modified_by_and_needs_view_setup(
        org: Org, emulator: SalesforceEmulator, sf: Salesforce) -> None:
    org.add_flow("Lead_Router", versions=1, active=1)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT LastModifiedBy FROM FlowVersionView")
    assert error_code(exc) == "INVALID_FIELD"
    emulator.revoke_view_setup()
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM FlowVersionView")
    assert error_code(exc) == "INVALID_TYPE"


def test_the_kill_switch_is_queryable_toggled_by_the_emulator_and_not_writable_by_rest(
        org: Org, sf: Salesforce) -> None:
    assert sf.query("SELECT Id FROM Organization")["totalSize"] == 1
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(SWITCH_SOQL)
    assert error_code(exc) == "INVALID_TYPE"  # no such type until the org has it
    org.set_kill_switch(False, at=T0)
    row = sf.query(SWITCH_SOQL)["records"][0]
    assert (row["DeveloperName"], row["MasterLabel"], row["Kill_Switch__c"]) == (
        "Lead_Routing", "Lead Routing", False)
    org.set_kill_switch(True, at=T0 + timedelta(hours=5))
    row = sf.query(SWITCH_SOQL)["records"][0]
    assert (row["Kill_Switch__c"], row["LastModifiedDate"]) == (
        True, "2026-01-05T15:11:12.000+0000")
    answer = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Routing_Switch__mdt"}, "Kill_Switch__c": False}]})
    assert answer[0]["success"] is False
    assert answer[0]["errors"][0]["statusCode"] == "INVALID_TYPE_FOR_OPERATION"


NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_demo_org_is_a_sandbox_with_flow_versions_a_switch_and_a_router(
        monkeypatch: pytest.MonkeyPatch) -> None:
    org, synthetic = build_org(leads=200, seed=11, now=NOW, scenario="demo", days=21,
                               sandbox=True, router_delay=0)
    facts = synthetic.facts
    router = next(f for f in facts["flows"] if f["api_name"] == facts["incident"]["flow"])
    with serve_salesforce(org, monkeypatch) as emulator:
        sf = Salesforce(instance_url=emulator.url, session_id=emulator.access_token,
                        version=emulator.api_version)
        assert sf.query("SELECT IsSandbox FROM Organization")["records"][0]["IsSandbox"] is True
        versions = sf.query(
            "SELECT DurableId, Status FROM FlowVersionView WHERE FlowDefinitionView.ApiName = "
            f"'{router['api_name']}' ORDER BY VersionNumber")["records"]
        assert [v["DurableId"] for v in versions] == router["version_ids"]
        active = [v["DurableId"] for v in versions if v["Status"] == "Active"]
        assert active == [facts["incident"]["to_version_id"]]
        assert sf.query(SWITCH_SOQL)["records"][0]["Kill_Switch__c"] is False
        incident = facts["incident"]
        made = sf.restful("composite/sobjects", method="POST", json={"records": [
            {"attributes": {"type": "Lead"}, "LastName": "Broken", "Company": "Acme",
             "Region__c": incident["region"], "Rating": incident["rating"]}]})
        lead = sf.Lead.get(made[0]["id"])
        assert lead["OwnerId"] == facts["owners"]["holding_queue"]
        assert lead["Routing_Failed_Node__c"] == incident["failed_node"]
