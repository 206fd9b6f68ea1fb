"""Loaders: stored Salesforce data → the lean DataFrames the metric engine reads.

Only the columns the engine needs are read, through one SQL statement per table fetched in
chunks; repeated strings (owners, regions, tiers, statuses) become categoricals. History and
activities are restricted to the loaded leads with a sub-select, so a window of days reads
only that window's rows.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import connection

from routing_health.config.model import DataQuality
from routing_health.lib.sql import sql_datetime
from routing_health.lib.upsert import logged_copy
from routing_health.metrics.columns import (
    ACTIVITY_COLUMNS,
    LEAD_COLUMNS,
    OWNER_CHANGE_COLUMNS,
    STATUS_CHANGE_COLUMNS,
)
from routing_health.metrics.inputs import (
    FIELD_CHANGE_COLUMNS,
    input_columns,
    values_at_creation,
)
from routing_health.models import (
    Activity,
    FieldChange,
    Lead,
    OwnerChange,
    Queue,
    SalesforceUser,
    StatusChange,
)

CHUNK = 100_000  # rows per fetch
ID_CHUNK = 2000  # Ids per IN (…) list: far below the parameter limits of SQLite and PostgreSQL
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
    as_of: datetime | None = None,
    lead_ids: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    data_quality: DataQuality | None = None,
) -> Frames:
    """Load leads created in the half-open window ``[created_from, created_to)`` (aware
    instants; either side may be open), at or before ``as_of`` when given, or with the given
    ids (the window and ``as_of`` still apply to them).

    ``extra`` names configured extra Lead fields (API names) to add as columns for grouping;
    ``Company`` comes from its own column, others from the raw configured fields. Any number of
    ``lead_ids`` may be given: they are read ``ID_CHUNK`` at a time, owner names once.
    With ``data_quality`` listing fields, the leads also get ``metrics.inputs.INPUT_COLUMNS``
    (the source and the missing or invalid fields at creation, from the stored field history).
    """
    window, chunks, quality = _selection(created_from, created_to, as_of, lead_ids,
                                         data_quality)
    parts = [_load_part(window, chunk, extra, quality) for chunk in chunks]
    return Frames(
        leads=_concat([p[0] for p in parts]),
        owner_changes=_concat([p[1] for p in parts]),
        status_changes=_concat([p[2] for p in parts]),
        activities=_concat([p[3] for p in parts]),
        owner_names=owner_names(),
    )


def concat_frames(parts: Sequence[Frames]) -> Frames:
    """Several loads as one: rows in order, each Id once (its first row), the first part's
    owner names; repeated strings stay categoricals."""
    if len(parts) == 1:
        return parts[0]
    return Frames(
        leads=_concat([p.leads for p in parts], unique=True),
        owner_changes=_concat([p.owner_changes for p in parts], unique=True),
        status_changes=_concat([p.status_changes for p in parts], unique=True),
        activities=_concat([p.activities for p in parts], unique=True),
        owner_names=parts[0].owner_names,
    )


def concat_leads(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """``load_leads`` frames as one, like ``concat_frames``' leads: each Id once."""
    return _concat(list(parts), unique=True)


def local_days_utc(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local days ``start``..``end`` (inclusive) in ``tz`` as the UTC instants ``[from, to)``:
    ``start``'s local midnight and the local midnight after ``end``."""
    return (
        datetime.combine(start, time.min, tz).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time.min, tz).astimezone(UTC),
    )


@dataclass(frozen=True)
class _Window:
    created_from: datetime | None
    created_to: datetime | None  # exclusive
    as_of: datetime | None  # inclusive


def load_leads(
    *,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    as_of: datetime | None = None,
    lead_ids: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    data_quality: DataQuality | None = None,
) -> pd.DataFrame:
    """The ``leads`` frame of ``load_frames`` with the same arguments, without the history and
    activities (``rollups.stored`` reads the stored facts for the rest)."""
    window, chunks, quality = _selection(created_from, created_to, as_of, lead_ids,
                                         data_quality)
    return _concat([_load_leads(window, chunk, extra, quality)[0] for chunk in chunks])


def _selection(
    created_from: datetime | None,
    created_to: datetime | None,
    as_of: datetime | None,
    lead_ids: Sequence[str] | None,
    data_quality: DataQuality | None,
) -> tuple[_Window, list[Sequence[str] | None], DataQuality | None]:
    """``load_frames``' and ``load_leads``' arguments as the window, the Id chunks (``ID_CHUNK``
    at a time; None: no Id filter) and the data-quality settings when they list fields."""
    if lead_ids is None or len(lead_ids) <= ID_CHUNK:
        chunks: list[Sequence[str] | None] = [lead_ids]
    else:
        ids = list(dict.fromkeys(lead_ids))  # a repeated Id must not load its lead twice
        chunks = [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]
    quality = data_quality if data_quality is not None and data_quality.enabled else None
    return _Window(created_from, created_to, as_of), chunks, quality


def _load_part(
    window: _Window,
    lead_ids: Sequence[str] | None,
    extra: Sequence[str],
    quality: DataQuality | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    leads, related = _load_leads(window, lead_ids, extra, quality)
    return (
        leads,
        related(OwnerChange, OWNER_CHANGE_COLUMNS),
        related(StatusChange, STATUS_CHANGE_COLUMNS),
        related(Activity, ACTIVITY_COLUMNS),
    )


def _load_leads(
    window: _Window,
    lead_ids: Sequence[str] | None,
    extra: Sequence[str],
    quality: DataQuality | None = None,
) -> tuple[pd.DataFrame, Callable[[type, Sequence[str]], pd.DataFrame]]:
    """The leads frame of the selection, and a reader of a related table's rows for them."""
    where, params = _lead_filter(window, lead_ids)
    lead_table = Lead._meta.db_table
    lead_cols = [c for c in LEAD_COLUMNS if c != "converted_date"] + ["converted_date"]
    raw_names = [name for name in extra if name != "Company"]
    if quality is not None:
        raw_names += [n for n in quality.api_names() if n not in raw_names]
    raw_cols = [f"raw_{i}" for i in range(len(raw_names))]
    selects = lead_cols + [
        f"{_raw_field_sql(name)} AS {alias}"
        for name, alias in zip(raw_names, raw_cols, strict=True)
    ]
    leads = _read(f"SELECT {', '.join(selects)} FROM {lead_table}{where}", params,
                  lead_cols + raw_cols)
    leads["converted_date"] = pd.to_datetime(leads["converted_date"]).dt.date
    raw = dict(zip(raw_names, raw_cols, strict=True))
    for name in extra:
        if name == "Company":
            leads[name] = leads["company"]
        else:
            leads[name] = _raw_values(leads[raw[name]])

    sub = f"lead_id IN (SELECT id FROM {lead_table}{where})" if where else ""

    def related(model: type, columns: Sequence[str]) -> pd.DataFrame:
        cond = f" WHERE {sub}" if sub else ""
        sql = f"SELECT {', '.join(columns)} FROM {model._meta.db_table}{cond}"
        return _read(sql, params, list(columns))

    if quality is not None:
        names = list(quality.api_names())
        current = pd.DataFrame({"id": leads["id"]})
        for name in names:
            current[name] = _raw_values(leads[raw[name]])
        changes = related(FieldChange, FIELD_CHANGE_COLUMNS)
        at_creation = values_at_creation(current, changes, names)
        inputs = input_columns(at_creation, quality.fields, quality.source_field)
        leads["lead_source"] = inputs["lead_source"].to_numpy(dtype=object)
        leads["input_missing_fields"] = inputs["input_missing_fields"].to_numpy(dtype=object)
    return leads.drop(columns=raw_cols), related


def owner_names() -> pd.Series:
    """Current names of users and queues, by 18-character Id."""
    pairs = list(SalesforceUser.objects.values_list("id", "name"))
    pairs += list(Queue.objects.values_list("id", "name"))
    return pd.Series(dict(pairs), dtype="object")


def _lead_filter(window: _Window, lead_ids: Sequence[str] | None) -> tuple[str, list]:
    clauses: list[str] = []
    params: list[object] = []
    bounds = (
        ("created_at >= %s", window.created_from, "created_from"),
        ("created_at < %s", window.created_to, "created_to"),
        ("created_at <= %s", window.as_of, "as_of"),
    )
    for clause, bound, name in bounds:
        if bound is not None:
            clauses.append(clause)
            params.append(sql_datetime(bound, name=name))
    if lead_ids is not None:
        ids = list(lead_ids) or [""]
        clauses.append(f"id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


def _read(sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    """The rows of ``sql`` as a typed frame (``read_rows``, then ``_typed``)."""
    return _typed(read_rows(sql, params, columns))


def read_rows(
    sql: str,
    params: list,
    columns: list[str],
    transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    chunk: int = CHUNK,
) -> pd.DataFrame:
    """The rows of ``sql`` as a frame of ``columns``, as the database gives them: on
    PostgreSQL through ``COPY … TO STDOUT`` parsed by Arrow's CSV reader (no Python object per
    value); elsewhere fetched in chunks. ``transform`` is applied to each chunk as it arrives
    (to the whole frame on PostgreSQL), so a caller typing the rows never holds them all as
    Python values (``chunk`` rows at a time)."""
    if connection.vendor == "postgresql":
        frame = _read_copy(sql, params, columns)
        return transform(frame) if transform else frame
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            part = pd.DataFrame.from_records(rows, columns=columns)
            chunks.append(transform(part) if transform else part)
    if not chunks:
        empty = pd.DataFrame(columns=columns)
        return transform(empty) if transform else empty
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def read_table(
    sql: str, params: list, columns: list[str], types: dict[str, pa.DataType] | None = None
) -> pa.Table | None:
    """PostgreSQL: the rows of ``sql`` as an Arrow table (``COPY … TO STDOUT``, CSV; NULL
    unquoted-empty, '' quoted), each column of ``types`` or text; None when there are none."""
    statement = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    with connection.cursor() as cursor, logged_copy(cursor, statement, params), \
            cursor.cursor.copy(statement, params or None) as copy:
        data = b"".join(bytes(block) for block in copy)
    if not data:
        return None
    types = types or {}
    return pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(column_names=columns),
        convert_options=pa_csv.ConvertOptions(
            column_types={c: types.get(c, pa.string()) for c in columns},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )


def _read_copy(sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    """PostgreSQL: ``sql``'s rows (``read_table``), every column as text (``_typed``
    converts), booleans from ``t``/``f``."""
    table = read_table(sql, params, columns)
    if table is None:
        return pd.DataFrame(columns=columns)
    frame = table.to_pandas()
    for column in _BOOLEAN & set(columns):
        frame[column] = frame[column] == "t"
    return frame


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


def _concat(frames: list[pd.DataFrame], *, unique: bool = False) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    if len(frames) == 1:
        frame = frames[0]
    else:
        frame = pd.concat(frames, ignore_index=True)
        for column in frame.columns:  # parts with different categories concatenate as objects
            if column in _CATEGORICAL and not isinstance(frame[column].dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype("category")
    return frame.drop_duplicates(subset="id", ignore_index=True) if unique else frame


_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _raw_field_sql(name: str) -> str:
    """SQL reading one configured field from the stored ``raw_fields`` JSON (its values are
    text or null: ``sync.objects``), in the database: no JSON parsing per lead in Python."""
    if not _API_NAME.match(name):
        raise ValueError(f"{name!r} is not a Salesforce field API name")
    if connection.vendor == "postgresql":
        return f"(raw_fields ->> '{name}')"
    return f"json_extract(raw_fields, '$.\"{name}\"')"


def _raw_values(values: pd.Series) -> pd.Series:
    """A raw field's column as the engine reads it: objects, None for a missing value."""
    return values.astype("object").where(values.notna(), None)
