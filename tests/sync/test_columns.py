"""The column parsers of a Bulk page (``routing_health.sync.columns``) give the record
parsers' values and messages, values in and out of Salesforce's usual forms."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from routing_health.sync.columns import Columns


def page(**columns: list[str | None]) -> Columns:
    return Columns(pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}))


def test_datetimes_in_any_form_and_the_first_problem_of_each_row():
    c = page(
        Id=["a", "b", "c", "d"],
        CreatedDate=[
            "2026-01-05T10:11:12.000Z",
            "2026-13-05T10:11:12.000Z",  # canonical-looking, no date
            "2026-01-05T11:11:12+01:00",  # an offset: the record parser reads it
            None,
        ],
    )
    created = c.datetimes("CreatedDate")
    assert created[0] == datetime(2026, 1, 5, 10, 11, 12, tzinfo=UTC)
    assert created[2] == datetime(2026, 1, 5, 10, 11, 12, tzinfo=UTC)
    assert created[1] is None or str(created[1]) == "NaT"
    assert c.problems == {
        1: "CreatedDate '2026-13-05T10:11:12.000Z' is not a Salesforce datetime",
        3: "CreatedDate is missing",
    }
    assert c.ok().tolist() == [True, False, True, False]


def test_ids_eighteen_kept_fifteen_extended_missing_and_bad_named():
    c = page(
        Id=["00Q000000000001AAA", "0050000000000aB", None, "not-an-id"],
        OwnerId=[None, None, None, None],
    )
    ids = c.ids("Id")
    owners = c.ids("OwnerId", required=False)
    # 0050000000000aB: chunks 00500 (no capitals) 00000 (none) 000aB (B at offset 4: 16 → Q)
    assert ids.tolist()[:2] == ["00Q000000000001AAA", "0050000000000aBAAQ"]
    assert owners.tolist() == ["", "", "", ""]
    assert c.problems == {2: "Id is missing", 3: "Id 'not-an-id' is not a Salesforce Id"}
