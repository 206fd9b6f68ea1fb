"""Volume timings that used to be assertions in the test suite (where load made them flaky).

Three records, each with a target that is reported, not asserted:
- ``sfid_to_18_series_1m``: ``to_18_series`` on 1,000,000 random 15-character Ids (< 2 s).
- ``synthetic_org_200k``: ``generate_org`` for 200,000 leads (< 20 s).
- ``emulator_bulk2_backfill_200k``: Bulk API 2.0 queries through simple-salesforce against the
  HTTPS emulator for 200,000 leads, 600,000 history rows and 200,000 tasks (< 30 s).

The tests keep the correctness half (``tests/test_sfid.py``, ``tests/sandbox/test_synthetic.py``,
``tests/sandbox/test_salesforce_emulator_volume.py``, the last two under ``RUN_SLOW=1``).

Usage: ``python -m bench.bench_volumes`` (prints the JSON records) or
``make bench BENCH_ARGS="--only volumes"``.
"""

from __future__ import annotations

import json
import os
import string
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from routing_health.sandbox import Org, SalesforceEmulator, new_id

ALNUM = string.ascii_letters + string.digits
SCALE = {"full": 1, "small": 10}
T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BACKFILL_QUERIES = {
    "Lead": "SELECT Id, Name, Company, CreatedDate, SystemModstamp, OwnerId, Status, "
    "IsConverted, ConvertedDate, ConvertedContactId, IsDeleted, Region__c FROM Lead",
    "LeadHistory": "SELECT Id, LeadId, Field, DataType, OldValue, NewValue, CreatedDate, "
    "CreatedById FROM LeadHistory",
    "Task": "SELECT Id, WhoId, OwnerId, CreatedDate, SystemModstamp, IsDeleted FROM Task",
}


def random_ids(count: int, seed: int = 7) -> pd.Series:
    """``count`` random 15-character Ids (letters and digits) as an object Series."""
    codes = np.frombuffer(ALNUM.encode(), dtype=np.uint8)
    rng = np.random.default_rng(seed)
    raw = codes[rng.integers(0, len(ALNUM), size=(count, 15))]
    return pd.Series(raw.view("S15").ravel().astype("U15").astype(object))


def backfill_org(leads: int) -> Org:
    """An emulator org of ``leads`` leads owned by 50 reps, three owner-history rows and one
    task per lead (so ``leads``, ``3 * leads`` and ``leads`` rows in a backfill)."""
    org = Org()
    org.add_field("Lead", "Region__c", "picklist")
    reps = [org.add_user(f"Rep {i}") for i in range(50)]
    lead_ids = [new_id("00Q", i + 1) for i in range(leads)]
    org.insert_many("Lead", ({
        "Id": lead_ids[i], "LastName": f"Lead {i}", "Name": f"Lead {i}", "Company": "Acme",
        "OwnerId": reps[i % 50], "Status": "Working - Contacted", "Region__c": "EMEA",
        "CreatedDate": T0 + timedelta(seconds=10 * i)} for i in range(leads)))
    org.insert_many("LeadHistory", ({
        "Id": new_id("017", i + 1), "LeadId": lead_ids[i // 3], "Field": "Owner",
        "DataType": "EntityId", "OldValue": reps[0], "NewValue": reps[1],
        "CreatedDate": T0 + timedelta(seconds=3 * i), "CreatedById": reps[0]}
        for i in range(3 * leads)))
    org.insert_many("Task", ({
        "Id": new_id("00T", i + 1), "WhoId": lead_ids[i], "OwnerId": reps[i % 50],
        "Subject": "Call", "CreatedDate": T0 + timedelta(seconds=10 * i + 60)}
        for i in range(leads)))
    return org


@contextmanager
def bulk2_client(org: Org) -> Iterator[object]:
    """simple-salesforce connected to the HTTPS emulator serving ``org``."""
    from simple_salesforce import Salesforce

    previous = os.environ.get("REQUESTS_CA_BUNDLE")
    with SalesforceEmulator(org) as emulator:
        os.environ["REQUESTS_CA_BUNDLE"] = str(emulator.ca_path)
        try:
            yield Salesforce(
                instance_url=emulator.url, session_id=emulator.access_token, version="62.0"
            )
        finally:
            if previous is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = previous


def backfill_row_counts(sf: object) -> dict[str, int]:
    """Rows per object of a Bulk API 2.0 backfill (CSV lines minus the header)."""
    rows = {}
    for sobject, soql in BACKFILL_QUERIES.items():
        pages = getattr(sf.bulk2, sobject).query_all(soql, wait=0)  # type: ignore[attr-defined]
        rows[sobject] = sum(page.count("\n") - 1 for page in pages)
    return rows


def _timed(call: Callable[[], object]) -> tuple[object, float]:
    began = time.perf_counter()
    result = call()
    return result, time.perf_counter() - began


def _record(name: str, seconds: float, target: float, **detail: object) -> dict:
    return {
        "name": name,
        "seconds": round(seconds, 4),
        "target_seconds": target,
        "verdict": "met" if seconds <= target else "MISSED",
        "detail": detail,
    }


def run(scale: str = "full") -> list[dict]:
    from routing_health.lib.sfid import to_18_series
    from routing_health.sandbox.synthetic import generate_org

    divisor = SCALE[scale]
    records = []

    ids = random_ids(1_000_000 // divisor)
    _, seconds = _timed(lambda: to_18_series(ids))
    records.append(_record(f"sfid_to_18_series_{len(ids)}", seconds, 2.0 / divisor,
                           ids=len(ids)))

    leads = 200_000 // divisor
    org, seconds = _timed(lambda: generate_org(leads=leads, now=NOW))
    records.append(_record(f"synthetic_org_{leads}", seconds, 20.0 / divisor, leads=leads,
                           rows=org.facts["counts"]))  # type: ignore[attr-defined]

    big = backfill_org(leads)
    with bulk2_client(big) as sf:
        rows, seconds = _timed(lambda: backfill_row_counts(sf))
    records.append(_record(f"emulator_bulk2_backfill_{leads}", seconds, 30.0 / divisor,
                           rows=rows))
    return records


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, default=str))
