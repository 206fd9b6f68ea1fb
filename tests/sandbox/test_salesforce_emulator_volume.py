"""Backfill volumes through Bulk API 2.0: 200k leads, 600k history rows, 200k activities."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce

from bench.bench_volumes import backfill_org, backfill_row_counts
from routing_health.sandbox import Org, SalesforceEmulator

LEADS = 200_000


@pytest.fixture(scope="module")
def big_org() -> Org:
    return backfill_org(LEADS)


@pytest.fixture
def sf(big_org: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[Salesforce]:
    with SalesforceEmulator(big_org) as emu:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_path)
        yield Salesforce(instance_url=emu.url, session_id=emu.access_token, version="62.0")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RUN_SLOW") != "1", reason="set RUN_SLOW=1")
def test_a_full_backfill_through_bulk2_returns_every_row_of_every_object(sf: Salesforce) -> None:
    # Its time (< 30 s) is measured by `make bench` (bench/bench_volumes.py).
    rows = backfill_row_counts(sf)
    assert rows == {"Lead": LEADS, "LeadHistory": 3 * LEADS, "Task": LEADS}
