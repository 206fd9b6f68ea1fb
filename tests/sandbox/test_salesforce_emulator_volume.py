"""Backfill volumes through Bulk API 2.0: 200k leads, 600k history rows, 200k activities."""

from __future__ import annotations

import os

import pytest
from simple_salesforce import Salesforce

from bench.bench_volumes import backfill_org, backfill_row_counts
from routing_health.sandbox import Org

LEADS = 200_000


@pytest.fixture(scope="module")
def big_org() -> Org:
    return backfill_org(LEADS)


@pytest.fixture
def org(big_org: Org) -> Org:
    """The emulator (tests/conftest.py) serves the big org."""
    return big_org


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RUN_SLOW") != "1", reason="set RUN_SLOW=1")
def test_a_full_backfill_through_bulk2_returns_every_row_of_every_object(sf: Salesforce) -> None:
    # Its time (< 30 s) is measured by `make bench` (bench/bench_volumes.py).
    rows = backfill_row_counts(sf)
    assert rows == {"Lead": LEADS, "LeadHistory": 3 * LEADS, "Task": LEADS}
