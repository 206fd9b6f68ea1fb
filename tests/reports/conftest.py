"""Fixtures for the report tests: the synced demo org (``synced_org``, from tests/conftest.py),
its routing configuration, the links' settings and a Slack emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from routing_health.config import RoutingConfig
from routing_health.salesforce import runtime
from routing_health.sandbox.slack_emulator import SlackEmulator

TOKEN = "xoxb-reports-test-0001"
PUBLIC_URL = "https://health.example.com"
INSTANCE = "https://acme.my.salesforce.com"


@pytest.fixture(autouse=True)
def _report_settings(settings: Any, tmp_path: Any) -> None:
    settings.PUBLIC_URL = PUBLIC_URL
    settings.SALESFORCE = {**settings.SALESFORCE, "instance_url": INSTANCE}
    settings.SLACK_BOT_TOKEN = None
    settings.SLACK_CHANNEL = None
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def config(synced_org: Any) -> RoutingConfig:
    return runtime.routing_config()


@pytest.fixture(scope="session")
def slack_server() -> Iterator[SlackEmulator]:
    with SlackEmulator(valid_tokens={TOKEN}) as emulator:
        yield emulator


@pytest.fixture
def slack(slack_server: SlackEmulator, settings: Any) -> Iterator[SlackEmulator]:
    """The emulator, reset, with the Slack settings pointing at it."""
    slack_server.reset()
    settings.SLACK_BOT_TOKEN = TOKEN
    settings.SLACK_CHANNEL = "#routing-alerts"
    settings.SLACK_API_URL = slack_server.api_url
    yield slack_server
    slack_server.reset()
