"""Fixtures for the report tests: the synced demo org (``synced_org``, from tests/conftest.py),
its routing configuration, the links' settings and the Slack emulator wired into the settings."""

from __future__ import annotations

from typing import Any

import pytest

from routing_health.config import RoutingConfig
from routing_health.salesforce import runtime
from routing_health.sandbox.slack_emulator import SlackEmulator
from tests.conftest import SLACK_TOKEN

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


@pytest.fixture
def slack(slack_emulator: SlackEmulator, settings: Any) -> SlackEmulator:
    """The Slack emulator (tests/conftest.py), with the Slack settings pointing at it."""
    settings.SLACK_BOT_TOKEN = SLACK_TOKEN
    settings.SLACK_CHANNEL = "#routing-alerts"
    settings.SLACK_API_URL = slack_emulator.api_url
    return slack_emulator
