"""Shared fixtures: a synthetic demo org synced from the HTTPS emulator into the test DB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from routing_health.config import parse_config
from routing_health.salesforce import ConnectionSettings, SalesforceClient
from routing_health.sandbox.org import Org
from routing_health.sandbox.serve import build_org
from routing_health.sandbox.server import SalesforceEmulator
from routing_health.sync.service import SyncOutcome, sync_salesforce

pytest_plugins = ["tests.ci_strict"]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def sync_org(db, settings, monkeypatch, tmp_path) -> Callable[[Org, str], SyncOutcome]:
    """A function syncing an emulator ``Org`` into the test DB: it writes ``config_text`` as
    the configured routing file, serves the org from the HTTPS emulator, runs one sync and
    asserts it succeeded."""

    def sync(org: Org, config_text: str) -> SyncOutcome:
        config_path = tmp_path / "routing_health.toml"
        config_path.write_text(config_text)
        settings.ROUTING_HEALTH_CONFIG = str(config_path)
        with SalesforceEmulator(org) as emulator:
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_path))
            client = SalesforceClient(
                ConnectionSettings(
                    instance_url=emulator.url,
                    access_token=emulator.access_token,
                    bulk_poll_seconds=0.01,
                )
            )
            outcome = sync_salesforce(client=client, config=parse_config(config_text))
        assert outcome.ok, outcome.summary()
        return outcome

    return sync


@pytest.fixture
def synced_org(sync_org):
    org, synthetic = build_org(leads=400, seed=11, now=NOW, scenario="demo", days=21)
    sync_org(org, synthetic.config_toml)
    return synthetic
