"""Fixtures for the alert tests: the Slack emulator, a transport, and small orgs in the database.

``db_org`` writes leads straight into the test database (no Salesforce emulator), which keeps
tests that evaluate a hundred times fast. The Slack emulator (``slack_emulator``) and the demo
org synced through the Salesforce emulator (``synced_org``) come from tests/conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from routing_health.config import RoutingConfig, parse_config
from routing_health.lib.sfid import to_18
from routing_health.models import Lead, OwnerChange, Queue, SalesforceUser, SyncRun
from routing_health.sandbox.slack_emulator import SlackEmulator
from routing_health.slack.transport import SlackTransport
from tests.conftest import SLACK_TOKEN

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOLDING = to_18("00G000000000001")
FALLBACK = to_18("00G000000000002")
WORKING = to_18("00G000000000003")
REP = to_18("005000000000001")
INSTANCE = "https://acme.my.salesforce.com"


def make_transport(slack_emulator: SlackEmulator, **overrides: Any) -> SlackTransport:
    args: dict[str, Any] = {
        "token": SLACK_TOKEN,
        "channel": "#routing-alerts",
        "api_url": slack_emulator.api_url,
        "timeout": 2.0,
    }
    args.update(overrides)
    return SlackTransport(**args)


@pytest.fixture
def transport(slack_emulator: SlackEmulator) -> SlackTransport:
    return make_transport(slack_emulator)


@pytest.fixture(autouse=True)
def _alert_settings(settings: Any) -> None:
    settings.PUBLIC_URL = "https://health.example.com"
    settings.SALESFORCE = {**settings.SALESFORCE, "instance_url": INSTANCE}
    settings.SLACK_BOT_TOKEN = None
    settings.SLACK_CHANNEL = None


# Two tiers: "hot" (Rating Hot) with tight SLAs and the default "standard".
TIERS_TOML = """[tiers]
default = "standard"
[tiers.by_value]
Hot = "hot"
[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15
[tiers.sla.standard]
assign_minutes = 240
touch_minutes = 1440
"""

BASE_TOML = f"""
[lead_fields]
region = "Region__c"
tier = "Rating"
failed_node = "Routing_Failed_Node__c"

[owners]
holding = ["{HOLDING}"]
fallback = ["{FALLBACK}"]

{TIERS_TOML}"""


@dataclass
class DbOrg:
    """Leads written straight into the database, and a routing configuration to match."""

    alerts_toml: str = ""
    count: int = 0
    leads: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        SalesforceUser.objects.create(id=REP, name="Rita Rep", system_modstamp=T0)
        for queue, name in ((HOLDING, "Lead Intake"), (FALLBACK, "Lead Triage"),
                            (WORKING, "EMEA Inbound")):
            Queue.objects.create(id=queue, name=name, system_modstamp=T0)

    @property
    def config(self) -> RoutingConfig:
        return parse_config(BASE_TOML + self.alerts_toml)

    def lead(
        self,
        *,
        created_at: datetime,
        owner: str = REP,
        region: str = "EMEA",
        tier: str = "hot",
        failed_node: str = "",
        name: str | None = None,
        company: str = "Acme",
        owner_changes: tuple[tuple[datetime, str], ...] = (),
    ) -> str:
        """One lead; by default routed to a rep at creation (succeeded, TTA 0)."""
        self.count += 1
        lead_id = to_18(f"00Q{self.count:012d}")
        Lead.objects.create(
            id=lead_id, name=f"Lead {self.count}" if name is None else name, company=company,
            created_at=created_at, system_modstamp=created_at, owner_id=owner,
            status="Open - Not Contacted", region=region, tier=tier, failed_node=failed_node,
        )
        previous = owner if not owner_changes else HOLDING
        for number, (at, new_owner) in enumerate(owner_changes):
            OwnerChange.objects.create(
                id=to_18(f"017{self.count:08d}{number:04d}"), lead_id=lead_id, created_at=at,
                old_owner_id=previous, new_owner_id=new_owner,
            )
            previous = new_owner
        self.leads.append(lead_id)
        return lead_id

    def failing(self, n: int, *, at: datetime = T0, **kwargs: Any) -> list[str]:
        """``n`` leads that failed routing at ``Assign EMEA`` (created just before ``at``)."""
        return [
            self.lead(created_at=at - timedelta(minutes=10 + i), failed_node="Assign EMEA",
                      **kwargs)
            for i in range(n)
        ]

    def synced(self, at: datetime, *, ok: bool = True, object_name: str = "Lead") -> None:
        status = SyncRun.Status.SUCCEEDED if ok else SyncRun.Status.FAILED
        SyncRun.objects.create(object_name=object_name, status=status, started_at=at,
                               finished_at=at)


ONLY_ROUTING_FAILURES = """
[alerts.rules.assignment_success]
enabled = false
[alerts.rules.volume_anomaly]
enabled = false
"""


@pytest.fixture
def db_org(db: Any) -> DbOrg:
    return DbOrg(alerts_toml=ONLY_ROUTING_FAILURES)
