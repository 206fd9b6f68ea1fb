"""Small hand-built emulator orgs the tests share (the fixtures live in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from routing_health.config import RoutingConfig, parse_config
from routing_health.sandbox.org import Org

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
