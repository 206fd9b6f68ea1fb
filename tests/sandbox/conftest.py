"""The org the sandbox tests' emulator serves (the emulator and clients: tests/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing_health.sandbox import Org
from tests.sandbox.test_salesforce_emulator import T0


@pytest.fixture
def org() -> Org:
    org = Org(clock=lambda: T0 + timedelta(days=30))
    org.add_field("Lead", "Region__c", "picklist")
    return org
