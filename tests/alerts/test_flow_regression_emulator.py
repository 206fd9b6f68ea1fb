"""``flow_regression`` (spec sections 6 and 10, issue 16) end to end through the Salesforce
emulator: leads created through REST and routed by the emulator's router, the flow's versions
in FlowDefinitionView / FlowVersionView, the real sync over HTTPS, the real evaluation.

The flow ``Lead_Router`` has 13 versions; v12 is active until Ada Admin activates v13 at 09:00
on Friday 2026-11-20 (A). T0 is 12:00 that day. The baseline is the same hours a week earlier.
v12 routes every lead to a rep; the bad v13 faults EMEA hot leads at its territory decision
(only the named account Globex is assigned before that node).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from simple_salesforce import Salesforce

from routing_health.alerts.evaluate import fingerprint
from routing_health.alerts.flow_loading import check_flows
from routing_health.alerts.service import run_evaluation
from routing_health.config import RoutingConfig, parse_config
from routing_health.models import AlertIncident, FlowVersionChange
from routing_health.sandbox import Org
from routing_health.sandbox.router import RouterConfig, RuleEntry, conditions
from routing_health.sync.outcome import SyncOutcome
from tests.alerts.conftest import INSTANCE, T0, TIERS_TOML
from tests.conftest import serve_salesforce

A = T0 - timedelta(hours=3)
WEEK = timedelta(days=7)
NODE = "Decision: Assign by Territory"
FLOW_KEY = fingerprint("flow_regression", "EMEA", "hot", "Lead_Router")
SyncOrg = Callable[[Org, str], SyncOutcome]


class Clock:
    """The org's clock, moved by the test (no sleeping)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Emulated:
    """The emulated org: a holding queue, a triage queue, a rep, the flow and its router."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.org = Org(clock=clock)
        self.org.add_field("Lead", "Region__c", "picklist")
        self.holding = self.org.add_queue("Lead Intake")
        self.triage = self.org.add_queue("Lead Triage")
        self.rep = self.org.add_user("Rita Rep")
        _, self.versions = self.org.add_flow("Lead_Router", label="Lead Router", versions=13,
                                             active=12, at=A - 2 * WEEK, by_name="Olaf Old")
        self.route(bad=False)

    def route(self, *, bad: bool) -> None:
        """The router as the active version behaves: v12 assigns every lead to the rep; v13
        faults EMEA hot leads at ``NODE`` unless the named-account entry takes them first."""
        entries = (RuleEntry("Named accounts", conditions(("Company", "equals", "Globex")),
                             owner_id=self.rep),)
        if bad:
            entries += (RuleEntry(NODE, conditions(("Region__c", "equals", "EMEA"),
                                                   ("Rating", "equals", "Hot")), fault=NODE),)
        self.org.configure_router(RouterConfig(
            holding_owner_id=self.holding, entries=entries,
            default=RuleEntry("Default", owner_id=self.rep), delay_seconds=0,
        ))

    @property
    def config_text(self) -> str:
        return f"""
[lead_fields]
region = "Region__c"
tier = "Rating"
failed_node = "Routing_Failed_Node__c"

[owners]
holding = ["{self.holding}"]
fallback = ["{self.triage}"]

[change_safety]
flows = ["Lead_Router"]

{TIERS_TOML}"""

    @property
    def config(self) -> RoutingConfig:
        return parse_config(self.config_text)

    def create(self, sf: Salesforce, n: int, start: datetime, *, region: str = "EMEA",
               company: str = "Acme") -> None:
        """``n`` hot leads created through REST, one every 5 minutes from ``start``."""
        for i in range(n):
            self.clock.at = start + timedelta(minutes=5 * i)
            answer = sf.Lead.create({"LastName": f"Lead {i}", "Company": company,
                                     "Region__c": region, "Rating": "Hot"})
            assert answer["success"], answer


def client(emulator: Any) -> Salesforce:
    return Salesforce(instance_url=emulator.url, session_id=emulator.access_token,
                      version=emulator.api_version)


@pytest.fixture
def clock() -> Clock:
    return Clock(A - 2 * WEEK)


@pytest.fixture
def emulated(clock: Clock) -> Emulated:
    return Emulated(clock)


def activate_v13(emulated: Emulated, sync_org: SyncOrg, monkeypatch: pytest.MonkeyPatch, *,
                 bad: bool) -> None:
    """A week of baseline leads, a sync before A, Ada Admin activating v13 at A, then the
    leads since A (22 EMEA hot leads and 2 of the named account), all through REST."""
    org = emulated.org
    with serve_salesforce(org, monkeypatch) as emulator:
        sf = client(emulator)
        emulated.create(sf, 20, A - WEEK + timedelta(minutes=1))
        emulated.create(sf, 12, A - WEEK + timedelta(minutes=2), region="AMER")
    emulated.clock.at = A - timedelta(minutes=30)
    sync_org(org, emulated.config_text)  # the flow is known with v12 active

    emulated.clock.at = A
    org.activate_flow_version("Lead_Router", 13, at=A, by_name="Ada Admin")
    emulated.route(bad=bad)
    with serve_salesforce(org, monkeypatch) as emulator:
        sf = client(emulator)
        emulated.create(sf, 2, A + timedelta(minutes=1), company="Globex")
        emulated.create(sf, 22, A + timedelta(minutes=20))
        emulated.create(sf, 12, A + timedelta(minutes=2), region="AMER")
    emulated.clock.at = T0
    sync_org(org, emulated.config_text)


def evaluate(config: RoutingConfig, at: datetime) -> None:
    run_evaluation(config=config, as_of=at, now=at, transport=None, deliver=False)


def test_a_bad_activation_opens_one_incident_naming_flow_versions_user_and_node(
        emulated: Emulated, sync_org: SyncOrg, monkeypatch: pytest.MonkeyPatch) -> None:
    activate_v13(emulated, sync_org, monkeypatch, bad=True)
    v12, v13 = emulated.versions[11], emulated.versions[12]
    change = FlowVersionChange.objects.get(new_active_version_id=v13)
    assert (change.old_active_version_id, change.changed_at, change.activated_by) == (
        v12, A, "Ada Admin")
    assert (change.old_version_number, change.new_version_number) == (12, 13)

    evaluate(emulated.config, T0)
    evaluate(emulated.config, T0 + timedelta(minutes=15))  # assignment_success's `for` (10 min)

    incident = AlertIncident.objects.get(rule="flow_regression")  # exactly one
    assert incident.fingerprint == FLOW_KEY
    assert (incident.state, incident.severity) == ("firing", "critical")
    # 2 of the 24 EMEA hot leads since A were assigned (8.3 %); all 20 a week earlier.
    assert incident.details["summary"] == (
        "Lead_Router v13 activated 2026-11-20 09:00 UTC by Ada Admin; since then EMEA hot "
        "assignment success 100% → 8.3% (24 leads), 22 failures at Decision: Assign by "
        "Territory. Previous version: v12. Roll back: activate v12 "
        f"({INSTANCE}/builder_platform_interaction/flowBuilder.app?flowId={v12})."
    )
    # The consequences in the same segment are shown under it, not paged on their own.
    success = AlertIncident.objects.get(rule="assignment_success")
    assert success.state == "firing"
    assert success.inhibited_by == FLOW_KEY
    assert AlertIncident.objects.get(rule="routing_failures").inhibited_by == FLOW_KEY
    # AMER hot routed as before (12 leads each side): checked, nothing worse.
    amer = next(c for c in check_flows(emulated.config, T0) if c.region == "AMER")
    assert (amer.ready, amer.worse, amer.after.leads, amer.before.leads) == (True, (), 12, 12)


def test_an_activation_with_unchanged_outcomes_opens_none(
        emulated: Emulated, sync_org: SyncOrg, monkeypatch: pytest.MonkeyPatch) -> None:
    activate_v13(emulated, sync_org, monkeypatch, bad=False)
    evaluate(emulated.config, T0)
    evaluate(emulated.config, T0 + timedelta(minutes=15))
    assert not AlertIncident.objects.filter(rule="flow_regression").exists()
    checks = {(c.region, c.tier): c for c in check_flows(emulated.config, T0)}
    emea = checks[("EMEA", "hot")]
    assert (emea.ready, emea.worse, emea.after.leads, emea.before.leads) == (True, (), 24, 20)
    assert checks[("AMER", "hot")].worse == ()
