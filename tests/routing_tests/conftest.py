"""The demo org served as a sandbox with the demo router (seed 7, the org of `make demo`),
and the settings pointing ``--connection sandbox`` at it. The org's clock is moved instead of
sleeping: the command's wait between polls advances the org clock by the same seconds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from routing_health.routing_tests import service
from routing_health.sandbox.org import Org
from routing_health.sandbox.serve import build_org
from routing_health.sandbox.server import SalesforceEmulator
from tests.conftest import NOW, serve_salesforce

EXAMPLE_PACK = Path(__file__).resolve().parents[2] / "examples" / "routing-pack.toml"
DEMO_SEED = 7  # the seed of `make demo`, whose owner names the example pack uses
DELAY = 5  # seconds: serve.py's default router delay
MARKER = "Routing_Test_Run__c"
NOT_A_SANDBOX_START = "refusing to create test leads: this org is not a sandbox"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def demo_org(*, sandbox: bool, clock: Clock) -> tuple[Org, Any]:
    org, synthetic = build_org(leads=150, seed=DEMO_SEED, now=NOW, scenario="demo", days=14,
                               sandbox=sandbox, router_delay=DELAY)
    org.clock = clock
    return org, synthetic


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(NOW + timedelta(hours=1))
    monkeypatch.setattr(service, "sleep", clock.advance)
    return clock


def point_at(emulator: SalesforceEmulator, synthetic: Any, settings: Any, tmp_path: Path) -> None:
    config = tmp_path / "routing_health.toml"
    config.write_text(synthetic.config_toml)
    settings.ROUTING_HEALTH_CONFIG = str(config)
    settings.SALESFORCE_SANDBOX = {**settings.SALESFORCE_SANDBOX,
                                   "instance_url": emulator.url,
                                   "access_token": emulator.access_token}


@pytest.fixture
def sandbox(db: None, clock: Clock, monkeypatch: pytest.MonkeyPatch, settings: Any,
            tmp_path: Path) -> Iterator[Org]:
    org, synthetic = demo_org(sandbox=True, clock=clock)
    with serve_salesforce(org, monkeypatch) as emulator:
        point_at(emulator, synthetic, settings, tmp_path)
        yield org


def run_command(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("routing_test", "run", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


