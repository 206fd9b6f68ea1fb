"""The emulated org, the HTTPS emulator serving it, and a simple_salesforce client on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from simple_salesforce import Salesforce

from routing_health.sandbox import Org, SalesforceEmulator
from tests.sandbox.test_salesforce_emulator import T0, VERSION


@pytest.fixture
def org() -> Org:
    org = Org(clock=lambda: T0 + timedelta(days=30))
    org.add_field("Lead", "Region__c", "picklist")
    return org


@pytest.fixture
def emu(org: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(org, api_version=VERSION) as emulator:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_path)
        yield emulator


@pytest.fixture
def sf(emu: SalesforceEmulator) -> Salesforce:
    return Salesforce(instance_url=emu.url, session_id=emu.access_token, version=VERSION)
