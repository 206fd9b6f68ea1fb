"""The routing kill switch (spec section 10, issue 16 item 2) end to end through the Salesforce
emulator: the switch is the custom metadata record ``Routing_Switch__mdt.Lead_Routing`` that the
emulator's router reads first; leads are created through REST and routed by the router; the real
sync reads the switch over HTTPS; the real export and evaluation.

Timeline (UTC, Friday 2026-11-20): the switch is OFF (saved a day earlier). 5 hot leads from
06:00 go to the rep. An admin turns the switch ON at 09:00 (S_ON); 6 hot leads from 09:05 go to
the triage queue. It is turned OFF at 12:30 (S_OFF); 3 leads after that go to the rep again.
The sync runs at 06:30, 10:00, 12:35 (the wall clock travels with the org's clock).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from simple_salesforce import Salesforce

from routing_health.alerts.service import run_evaluation
from routing_health.config import RoutingConfig, parse_config
from routing_health.facts.kill_switch import switch_state
from routing_health.models import AlertIncident, IncidentEvent, KillSwitchChange, Notification
from routing_health.sandbox import Org
from routing_health.sandbox.router import KillSwitch, RouterConfig, RuleEntry
from routing_health.sync.outcome import SyncOutcome
from tests.alerts.conftest import T0, TIERS_TOML
from tests.conftest import serve_salesforce

DAY = T0.replace(hour=0)
S_ON = DAY.replace(hour=9)
S_OFF = DAY.replace(hour=12, minute=30)
SyncOrg = Callable[[Org, str], SyncOutcome]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class Emulated:
    def __init__(self) -> None:
        self.clock = Clock(DAY.replace(hour=5))
        self.org = Org(clock=self.clock)
        self.org.add_field("Lead", "Region__c", "picklist")
        self.holding = self.org.add_queue("Lead Intake")
        self.triage = self.org.add_queue("Lead Triage")
        self.rep = self.org.add_user("Rita Rep")
        self.org.set_kill_switch(False, at=DAY - timedelta(days=1))
        self.org.configure_router(RouterConfig(
            holding_owner_id=self.holding, entries=(),
            default=RuleEntry("Default", owner_id=self.rep), delay_seconds=0,
            kill_switch=KillSwitch(triage_owner_id=self.triage),
        ))

    @property
    def config_text(self) -> str:
        return f"""
[lead_fields]
region = "Region__c"
tier = "Rating"

[owners]
holding = ["{self.holding}"]
fallback = ["{self.triage}"]

[change_safety.kill_switch]
object = "Routing_Switch__mdt"
field = "Kill_Switch__c"
where = "DeveloperName = 'Lead_Routing'"

{TIERS_TOML}"""

    @property
    def config(self) -> RoutingConfig:
        return parse_config(self.config_text)

    def create(self, monkeypatch: pytest.MonkeyPatch, n: int, start: datetime) -> None:
        with serve_salesforce(self.org, monkeypatch) as emulator:
            sf = Salesforce(instance_url=emulator.url, session_id=emulator.access_token,
                            version=emulator.api_version)
            for i in range(n):
                self.clock.at = start + timedelta(minutes=5 * i)
                answer = sf.Lead.create({"LastName": f"Lead {start:%H%M} {i}", "Company": "Acme",
                                         "Region__c": "EMEA", "Rating": "Hot"})
                assert answer["success"], answer

    def sync(self, sync_org: SyncOrg, at: datetime) -> None:
        self.clock.at = at
        with time_machine.travel(at, tick=True):
            outcome = sync_org(self.org, self.config_text)
        switch = next(o for o in outcome.objects if o.object_name == "KillSwitch")
        assert (switch.error, switch.note, switch.fetched) == ("", "", 1)


def export(day: str, as_of: datetime) -> dict[str, Any]:
    out = io.StringIO()
    call_command("export_metrics", "--start", day, "--end", day, "--as-of", as_of.isoformat(),
                 stdout=out)
    return json.loads(out.getvalue())


def evaluate(config: RoutingConfig, at: datetime) -> None:
    run_evaluation(config=config, as_of=at, now=at, transport=None, deliver=False)


@pytest.fixture
def emulated() -> Emulated:
    return Emulated()


def test_triage_while_on_is_not_a_failure_and_the_alert_fires_once_and_resolves(
        emulated: Emulated, sync_org: SyncOrg, monkeypatch: pytest.MonkeyPatch, client: Any,
        django_user_model: Any) -> None:
    config = emulated.config
    emulated.create(monkeypatch, 5, DAY.replace(hour=6))
    emulated.sync(sync_org, DAY.replace(hour=6, minute=30))
    first = KillSwitchChange.objects.get()
    assert (first.is_on, first.changed_at) == (False, DAY - timedelta(days=1))

    emulated.clock.at = S_ON
    emulated.org.set_kill_switch(True, at=S_ON)
    emulated.create(monkeypatch, 6, S_ON + timedelta(minutes=5))
    emulated.sync(sync_org, DAY.replace(hour=10))
    # The record was saved at 09:00, after the 06:30 read: the switch is ON since 09:00.
    state = switch_state(config, DAY.replace(hour=10))
    assert (state.is_on, state.since) == (True, S_ON)

    # The export: the 6 leads sent to triage while ON are "triaged", not failed.
    total = export("2026-11-20", DAY.replace(hour=10))["total"]
    assert (total["leads"], total["succeeded"], total["failed"], total["triaged"]) == (11, 5, 0, 6)
    assert total["assignment_success_rate"] == 1.0  # 5 / (5 + 0)

    # The pages: the Overview says ON and since when and links the triaged leads; Trends draws
    # the switch like a flow activation.
    call_command("compute_metrics", "--as-of", DAY.replace(hour=10).isoformat(),
                 stdout=io.StringIO())
    client.force_login(django_user_model.objects.create_user("ana", password="pw-12345678"))
    overview = client.get("/?start=2026-11-20&end=2026-11-20").content.decode()
    strip = overview[overview.index('class="card kill-switch'):]
    strip = " ".join(strip[:strip.index("</section>")].split())
    assert "kill-switch--on" in strip and "ON</span> since" in strip
    assert '<time datetime="2026-11-20T09:00:00+00:00">' in strip
    assert "6 leads triaged in this range</a> (not routing failures)" in strip
    assert "outcome=triaged" in strip
    trends = client.get("/trends?start=2026-11-19&end=2026-11-20").content.decode()
    assert "Kill switch ON" in trends  # the chart's marker
    assert "the routing kill switch was turned" in trends

    # ON for exactly 2 h is not "longer than" the limit; one minute more is.
    evaluate(config, S_ON + timedelta(hours=2))
    assert not AlertIncident.objects.exists()  # no routing failure, no kill_switch yet
    evaluate(config, S_ON + timedelta(hours=2, minutes=1))
    evaluate(config, S_ON + timedelta(hours=3))
    incident = AlertIncident.objects.get()  # the only incident: no routing rule fired
    assert (incident.rule, incident.state, incident.severity) == ("kill_switch", "firing",
                                                                  "warning")
    assert incident.details["summary"].startswith(
        "Routing kill switch ON since 2026-11-20 09:00 UTC (3 h, limit 2 h)")
    assert list(incident.events.values_list("kind", flat=True)) == ["fired"]
    assert Notification.objects.filter(incident=incident, kind="firing").count() == 1

    emulated.clock.at = S_OFF
    emulated.org.set_kill_switch(False, at=S_OFF)
    emulated.create(monkeypatch, 3, S_OFF + timedelta(minutes=1))
    emulated.sync(sync_org, S_OFF + timedelta(minutes=15))
    assert list(KillSwitchChange.objects.values_list("is_on", "changed_at")) == [
        (False, DAY - timedelta(days=1)), (True, S_ON), (False, S_OFF)]

    evaluate(config, S_OFF + timedelta(minutes=15))  # clear, waiting out resolve_minutes (15)
    assert AlertIncident.objects.get().state == "firing"
    evaluate(config, S_OFF + timedelta(minutes=31))
    incident.refresh_from_db()
    assert incident.state == "resolved"
    assert list(incident.events.values_list("kind", flat=True)) == ["fired", "resolved"]
    assert IncidentEvent.objects.count() == 2

    # The 3 leads after OFF went to the rep; the 6 triaged ones stay triaged.
    total = export("2026-11-20", S_OFF + timedelta(minutes=31))["total"]
    assert (total["leads"], total["succeeded"], total["failed"], total["triaged"]) == (14, 8, 0, 6)
