"""A small, hand-built org in the HTTPS Salesforce emulator, and a client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from routing_health.config import RoutingConfig, parse_config
from routing_health.salesforce import ConnectionSettings, SalesforceClient
from routing_health.sandbox.org import Org
from routing_health.sandbox.server import SalesforceEmulator
from routing_health.sync import service as sync_module

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class TinyOrg:
    org: Org
    integration_user: str
    holding_queue: str
    fallback_queue: str
    working_queue: str
    reps: list[str]


def build_tiny_org(leads: int = 12) -> TinyOrg:
    """Users, queues and ``leads`` leads routed holding → queue → rep, with touches."""
    org = Org()
    org.clock = lambda: T0
    org.add_field("Lead", "Region__c", "picklist")
    org.add_field("Lead", "Routing_Failed_Node__c", "string")
    integration = org.insert("User", {"Name": "Integration User", "IsActive": True})
    reps = [org.insert("User", {"Name": f"Rep {i}", "IsActive": True}) for i in range(3)]
    holding = org.insert("Group", {"Name": "Holding", "DeveloperName": "Holding", "Type": "Queue"})
    fallback = org.insert("Group", {"Name": "Triage", "DeveloperName": "Triage", "Type": "Queue"})
    working = org.insert(
        "Group", {"Name": "AMER Inbound", "DeveloperName": "AMER", "Type": "Queue"}
    )
    for i in range(leads):
        created = T0 + timedelta(minutes=10 * i)
        org.clock = lambda at=created: at
        lead = org.insert(
            "Lead",
            {
                "LastName": f"Lead {i}",
                "Company": f"Company {i}",
                "OwnerId": holding,
                "Status": "Open - Not Contacted",
                "Region__c": "AMER",
                "Rating": "Hot" if i % 2 else "Warm",
            },
        )
        org.change_owner(lead, working, created + timedelta(minutes=1), integration)
        org.change_owner(lead, reps[i % 3], created + timedelta(minutes=3), integration)
        org.add_task(lead, reps[i % 3], created + timedelta(minutes=5), "Call")
    return TinyOrg(org, integration, holding, fallback, working, reps)


def tiny_config(tiny: TinyOrg) -> RoutingConfig:
    return parse_config(
        f"""
[lead_fields]
region = "Region__c"
tier = "Rating"
failed_node = "Routing_Failed_Node__c"

[owners]
holding = ["{tiny.integration_user}", "{tiny.holding_queue}"]
fallback = ["{tiny.fallback_queue}"]

[tiers]
default = "standard"
[tiers.by_value]
Hot = "hot"
Warm = "warm"
[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15
[tiers.sla.warm]
assign_minutes = 60
touch_minutes = 240
[tiers.sla.standard]
assign_minutes = 240
touch_minutes = 1440
""",
        source="tiny.toml",
    )


def tiny_config_text(tiny: TinyOrg) -> str:
    """A configuration file's text for the tiny org (what the management commands read)."""
    return f"""
[lead_fields]
region = "Region__c"
tier = "Rating"
[owners]
holding = ["{tiny.integration_user}", "{tiny.holding_queue}"]
fallback = ["{tiny.fallback_queue}"]
"""


@pytest.fixture
def tiny() -> TinyOrg:
    return build_tiny_org()


@pytest.fixture
def emulator(tiny: TinyOrg, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(tiny.org) as emu:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emu.ca_path))
        yield emu


@pytest.fixture
def client(emulator: SalesforceEmulator) -> SalesforceClient:
    settings = ConnectionSettings(
        instance_url=emulator.url, access_token=emulator.access_token, bulk_poll_seconds=0.01
    )
    return SalesforceClient(settings, backoff_seconds=0.01)


@pytest.fixture
def config(tiny: TinyOrg) -> RoutingConfig:
    return tiny_config(tiny)


@pytest.fixture
def configured(
    emulator: SalesforceEmulator, tiny: TinyOrg, settings: Any, tmp_path: Path
) -> Path:
    """The tiny org's configuration file, and the settings that point the commands at it and
    at the emulator; returns the file's path."""
    path = tmp_path / "routing_health.toml"
    path.write_text(tiny_config_text(tiny))
    settings.ROUTING_HEALTH_CONFIG = str(path)
    settings.SALESFORCE = {
        **settings.SALESFORCE,
        "instance_url": emulator.url,
        "access_token": emulator.access_token,
    }
    return path


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of a few rows, so a small org spans many pages on both paths."""
    monkeypatch.setattr(sync_module, "REST_BATCH", 200)
    monkeypatch.setattr(sync_module, "BULK_PAGE", 5)
