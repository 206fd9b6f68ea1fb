"""Build the engine's input frames from short Python records (test helpers).

Only the columns a test cares about need to be given; the others get neutral defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from routing_health.metrics.columns import (
    ACTIVITY_COLUMNS,
    LEAD_COLUMNS,
    OWNER_CHANGE_COLUMNS,
    STATUS_CHANGE_COLUMNS,
)

LEAD_DEFAULTS: Mapping[str, Any] = {
    "name": "",
    "company": "",
    "status": "Open - Not Contacted",
    "is_converted": False,
    "converted_date": None,
    "converted_contact_id": "",
    "is_deleted": False,
    "region": "AMER",
    "tier": "hot",
    "failed_node": "",
    "rejection_reason": "",
}


def sfid(prefix: str, number: int | str) -> str:
    """An 18-character Id: a 3-character key prefix then the number, zero padded."""
    return f"{prefix}{str(number).rjust(15, '0')}"


def at(text: str) -> datetime:
    """'2026-01-05 10:00:00' (UTC) -> an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _frame(
    records: Iterable[Mapping[str, Any]],
    columns: tuple[str, ...],
    defaults: Mapping[str, Any],
    times: tuple[str, ...],
) -> pd.DataFrame:
    rows = [{**defaults, **record} for record in records]
    extra = [c for row in rows for c in row if c not in columns]
    ordered = list(columns) + list(dict.fromkeys(extra))
    frame = pd.DataFrame(rows, columns=ordered)
    for column in times:
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.as_unit("ns")
    for column in ("is_converted", "is_deleted"):
        if column in frame.columns:
            frame[column] = frame[column].astype(bool)
    return frame


def leads_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    return _frame(records, LEAD_COLUMNS, LEAD_DEFAULTS, ("created_at",))


def owner_changes_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    return _frame(records, OWNER_CHANGE_COLUMNS, {}, ("created_at",))


def status_changes_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    return _frame(records, STATUS_CHANGE_COLUMNS, {}, ("created_at",))


def activities_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    return _frame(records, ACTIVITY_COLUMNS, {"is_deleted": False}, ("created_at",))
