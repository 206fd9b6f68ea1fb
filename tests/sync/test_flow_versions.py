"""Flow activations with version numbers and who activated them (issue 16 item 1): the flow's
LastModifiedBy from FlowDefinitionView, the numbers from FlowVersionView where the integration
user can read it; without it the activations keep no numbers ("a new version")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing_health.lib.sfid import to_18
from routing_health.models import FlowVersionChange
from routing_health.sandbox.faults import error_body
from routing_health.sync.reference import write_flow_versions
from routing_health.sync.service import sync_salesforce
from tests.orgs import T0

pytestmark = pytest.mark.django_db

V12, V13 = to_18("301000000000012"), to_18("301000000000013")


def add_flow(org, active: str, by: str = "Ada Admin") -> str:
    return org.insert("FlowDefinitionView", {
        "ApiName": "Lead_Router", "Label": "Lead Router", "ActiveVersionId": active,
        "LatestVersionId": active, "IsActive": True, "LastModifiedBy": by,
        "LastModifiedDate": T0,
    })


def test_an_activation_says_who_made_it_and_has_no_numbers_without_flow_version_view(
    sf_client, config, tiny, emulator
):
    flow = add_flow(tiny.org, V12)
    assert sync_salesforce(client=sf_client, config=config,
                           objects=["FlowDefinitionView", "FlowVersionView"]).ok
    tiny.org.update("FlowDefinitionView", flow, ActiveVersionId=V13, LatestVersionId=V13,
                    LastModifiedBy="Bob Builder", LastModifiedDate=T0 + timedelta(hours=1))
    # An org that does not expose FlowVersionView to the user: its query (the second of the
    # run, after FlowDefinitionView's) is INVALID_TYPE, as for an unknown object.
    emulator.faults.add(kind=400, path="/query", after=1, times=1, body=error_body(
        "INVALID_TYPE", "sObject type 'FlowVersionView' is not supported."))
    outcome = sync_salesforce(client=sf_client, config=config,
                              objects=["FlowDefinitionView", "FlowVersionView"])
    assert outcome.ok, outcome.summary()
    flows, versions = outcome.objects
    assert flows.upserted == 1
    # The degraded path, as for a user who cannot see it.
    assert versions.mode == "skipped" and "INVALID_TYPE" in versions.note
    first, second = FlowVersionChange.objects.order_by("changed_at")
    assert (first.new_active_version_id, first.activated_by) == (V12, "Ada Admin")
    assert (second.old_active_version_id, second.new_active_version_id) == (V12, V13)
    assert second.activated_by == "Bob Builder"
    assert (second.old_version_number, second.new_version_number) == (None, None)


def test_flow_version_view_numbers_an_activation_read_through_the_emulator(
    sf_client, config, tiny
):
    # FlowVersionView as Salesforce documents it: VersionNumber an int, sent as a JSON number
    # (the client turns it into canonical text "13", which the sync must read as a number).
    _, versions = tiny.org.add_flow("Lead_Router", versions=13, active=12,
                                    at=T0 - timedelta(days=14), by_name="Olaf Old")
    assert sync_salesforce(client=sf_client, config=config,
                           objects=["FlowDefinitionView", "FlowVersionView"]).ok
    tiny.org.activate_flow_version("Lead_Router", 13, at=T0, by_name="Ada Admin")
    outcome = sync_salesforce(client=sf_client, config=config,
                              objects=["FlowDefinitionView", "FlowVersionView"])
    assert outcome.ok, outcome.summary()
    assert [o.skipped for o in outcome.objects] == [0, 0]
    change = FlowVersionChange.objects.get(new_active_version_id=versions[12])
    assert (change.old_active_version_id, change.activated_by) == (versions[11], "Ada Admin")
    assert (change.old_version_number, change.new_version_number) == (12, 13)


def test_an_optional_object_the_user_may_not_read_is_skipped(sf_client, config, emulator):
    # A 403 INSUFFICIENT_ACCESS on an optional object (flows, versions, calendars) is the same
    # degraded path as INVALID_TYPE: synced without it, the leads are not held back.
    emulator.faults.add(kind=403, path="/query", times=1, body=[
        {"message": "insufficient access rights on object id", "errorCode": "INSUFFICIENT_ACCESS"}])
    outcome = sync_salesforce(client=sf_client, config=config,
                              objects=["FlowDefinitionView", "Lead"])
    assert outcome.ok, outcome.summary()
    flows, leads = outcome.objects
    assert flows.mode == "skipped" and "INSUFFICIENT_ACCESS" in flows.note
    assert leads.upserted == 12


def test_flow_version_view_numbers_the_stored_activations():
    change = FlowVersionChange.objects.create(
        flow_api_name="Lead_Router", old_active_version_id=V12, new_active_version_id=V13,
        changed_at=T0)
    # Canonical records, as the client hands them over: every value is text.
    result = write_flow_versions([
        {"DurableId": "301000000000012", "VersionNumber": "12"},  # 15-character Ids match too
        {"DurableId": V13, "VersionNumber": "13"},
        {"DurableId": to_18("301000000000099"), "VersionNumber": "99"},
        {"DurableId": V13},  # no number: skipped
        {"DurableId": V13, "VersionNumber": "thirteen"},  # not a number: skipped
    ], config=None)  # type: ignore[arg-type]
    change.refresh_from_db()
    assert (change.old_version_number, change.new_version_number) == (12, 13)
    assert (result.upserted, result.skipped) == (1, 2)


def test_a_version_found_active_at_the_first_sync_gets_the_last_obsolete_one_as_previous(
    sf_client, config, tiny
):
    # v1..v7 were active one after the other (Obsolete now), v8 is active, v9 a draft never
    # activated: the first sync cannot have seen v7 active, FlowVersionView says it was.
    _, versions = tiny.org.add_flow("Lead_Router", versions=9, active=8,
                                    at=T0 - timedelta(days=3), by_name="Dana Admin")
    tiny.org.update("FlowVersionView", versions[8], Status="Draft")
    assert sync_salesforce(client=sf_client, config=config,
                           objects=["FlowDefinitionView", "FlowVersionView"]).ok
    change = FlowVersionChange.objects.get()
    assert (change.new_active_version_id, change.new_version_number) == (versions[7], 8)
    assert (change.old_active_version_id, change.old_version_number) == (versions[6], 7)
    assert change.old_version_inferred


def test_no_obsolete_version_below_the_active_one_leaves_the_previous_unknown():
    change = FlowVersionChange.objects.create(
        flow_api_name="Lead_Router", new_active_version_id=V13, changed_at=T0)
    flow = to_18("300000000000001")
    write_flow_versions([
        {"DurableId": V12, "VersionNumber": "12", "Status": "Draft", "FlowDefinitionViewId": flow},
        {"DurableId": V13, "VersionNumber": "13", "Status": "Active", "FlowDefinitionViewId": flow},
        # Obsolete, but of another flow, and one above the active version: neither counts.
        {"DurableId": to_18("301000000000011"), "VersionNumber": "11", "Status": "Obsolete",
         "FlowDefinitionViewId": to_18("300000000000002")},
        {"DurableId": to_18("301000000000014"), "VersionNumber": "14", "Status": "Obsolete",
         "FlowDefinitionViewId": flow},
    ], config=None)  # type: ignore[arg-type]
    change.refresh_from_db()
    assert (change.new_version_number, change.old_version_number) == (13, None)
    assert (change.old_active_version_id, change.old_version_inferred) == ("", False)
