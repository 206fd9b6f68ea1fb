"""Loaders: stored Salesforce data → the lean DataFrames the metric engine reads.

Only the columns the engine needs are read, through one SQL statement per table fetched in
chunks; repeated strings (owners, regions, tiers, statuses) become categoricals. History and
activities are restricted to the loaded leads with a sub-select, so a window of days reads
only that window's rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from django.db import connection

from routing_health.metrics.columns import (
    ACTIVITY_COLUMNS,
    LEAD_COLUMNS,
    OWNER_CHANGE_COLUMNS,
    STATUS_CHANGE_COLUMNS,
)
from routing_health.models import (
    Activity,
    Lead,
    OwnerChange,
    Queue,
    SalesforceUser,
    StatusChange,
)

CHUNK = 100_000
_CATEGORICAL = {
    "owner_id",
    "status",
    "region",
    "tier",
    "failed_node",
    "rejection_reason",
    "old_owner_id",
    "new_owner_id",
    "old_status",
    "new_status",
}
_BOOLEAN = {"is_converted", "is_deleted"}
_DATETIME = {"created_at"}


@dataclass(frozen=True)
class Frames:
    leads: pd.DataFrame
    owner_changes: pd.DataFrame
    status_changes: pd.DataFrame
    activities: pd.DataFrame
    owner_names: pd.Series


def load_frames(
    *,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    lead_ids: Sequence[str] | None = None,
    extra: Sequence[str] = (),
) -> Frames:
    """Load leads created in ``[created_from, created_to]`` (UTC) or with the given ids.

    ``extra`` names configured extra Lead fields (API names) to add as columns for grouping;
    ``Company`` comes from its own column, others from the raw configured fields.
    """
    where, params = _lead_filter(created_from, created_to, lead_ids)
    lead_table = Lead._meta.db_table
    lead_cols = [c for c in LEAD_COLUMNS if c != "converted_date"] + ["converted_date"]
    needs_raw = [name for name in extra if name != "Company"]
    select_cols = lead_cols + (["raw_fields"] if needs_raw else [])
    leads = _read(f"SELECT {', '.join(select_cols)} FROM {lead_table}{where}", params, select_cols)
    leads["converted_date"] = pd.to_datetime(leads["converted_date"]).dt.date
    for name in extra:
        if name == "Company":
            leads[name] = leads["company"]
        else:
            leads[name] = _raw_field(leads["raw_fields"], name)
    if needs_raw:
        leads = leads.drop(columns=["raw_fields"])

    sub = f"lead_id IN (SELECT id FROM {lead_table}{where})" if where else ""

    def related(model: type, columns: Sequence[str]) -> pd.DataFrame:
        cond = f" WHERE {sub}" if sub else ""
        sql = f"SELECT {', '.join(columns)} FROM {model._meta.db_table}{cond}"
        return _read(sql, params, list(columns))

    return Frames(
        leads=leads,
        owner_changes=related(OwnerChange, OWNER_CHANGE_COLUMNS),
        status_changes=related(StatusChange, STATUS_CHANGE_COLUMNS),
        activities=related(Activity, ACTIVITY_COLUMNS),
        owner_names=owner_names(),
    )


def owner_names() -> pd.Series:
    """Current names of users and queues, by 18-character Id."""
    pairs = list(SalesforceUser.objects.values_list("id", "name"))
    pairs += list(Queue.objects.values_list("id", "name"))
    return pd.Series(dict(pairs), dtype="object")


def _lead_filter(
    created_from: datetime | None, created_to: datetime | None, lead_ids: Sequence[str] | None
) -> tuple[str, list]:
    clauses, params = [], []
    if created_from is not None:
        clauses.append("created_at >= %s")
        params.append(created_from)
    if created_to is not None:
        clauses.append("created_at <= %s")
        params.append(created_to)
    if lead_ids is not None:
        ids = list(lead_ids) or [""]
        clauses.append(f"id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


def _read(sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            chunks.append(pd.DataFrame.from_records(rows, columns=columns))
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=columns)
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column in _DATETIME:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        elif column in _BOOLEAN:
            frame[column] = frame[column].astype(bool)
        elif column in _CATEGORICAL:
            frame[column] = frame[column].fillna("").astype("category")
        elif column in {"id", "lead_id", "name", "company", "converted_contact_id"}:
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def _raw_field(raw: pd.Series, name: str) -> pd.Series:
    parsed = raw.map(lambda v: json.loads(v) if isinstance(v, str) else (v or {}))
    return parsed.map(lambda d: d.get(name)).astype("object")
