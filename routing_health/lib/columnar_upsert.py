"""Rows given as columns, written without a Python object per row (issue 18): upserts of the
Bulk backfill's pages (``upsert_columns``) and the full recompute's facts (``insert_frame``).

``routing_health.lib.upsert.upsert`` takes model instances, one Python object per row and a
conversion per value; the backfill parses a page column by column
(``routing_health.sync.columns``) and hands the columns over as they are. The semantics are
``upsert``'s: keyed by primary key, the last of duplicate keys wins, inside the caller's
transaction (so the rows commit with the watermark that covers them); PostgreSQL gets
``COPY`` into a temporary table and one ``INSERT … SELECT … ON CONFLICT DO UPDATE``, other
databases ``executemany`` of ``INSERT … ON CONFLICT DO UPDATE``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import connection, models
from django.utils import timezone

from routing_health.lib.upsert import logged_copy, on_conflict, staged_upsert

COPY_BATCH = 200_000  # rows per COPY payload or executemany (bounded memory)


def upsert_columns(model: type[models.Model], columns: Mapping[str, Any]) -> int:
    """``upsert`` for rows given as columns (one array per field ``attname``), as the
    Bulk backfill builds them (``routing_health.sync.columns``): no model instance, no call
    per value. Fields not given take their default (``auto_now`` ones: now). Datetime columns
    are ``pandas`` UTC instants, date columns ``date`` or None, the rest Python values (JSON
    fields as their JSON text). PostgreSQL gets the rows as one CSV written by ``pyarrow``
    and ``COPY``; other databases ``executemany`` of rows zipped from the columns.
    """
    return _write(model, columns, upsert=True)


def insert_frame(model: type[models.Model], frame: pd.DataFrame) -> int:
    """Plain ``INSERT`` of every row of ``frame`` (columns named by ``model``'s attnames; none
    of its keys may be stored yet), converted column by column as ``upsert_columns`` does: the
    full recompute's facts (``rollups.partitions``). Fields ``frame`` lacks take their
    default; NaN and NaT are NULL; datetimes are truncated to the microsecond, as the ORM
    truncates them. Written ``COPY_BATCH`` rows at a time, in the caller's transaction."""
    written = 0
    for start in range(0, len(frame), COPY_BATCH):
        part = frame.iloc[start : start + COPY_BATCH]
        written += _write(model, {name: part[name] for name in part.columns}, upsert=False)
    return written


def _write(model: type[models.Model], columns: Mapping[str, Any], *, upsert: bool) -> int:
    pk = model._meta.pk
    keys = pd.Series(np.asarray(columns[pk.attname], dtype=object))
    if keys.empty:
        return 0
    last = ~keys.duplicated(keep="last").to_numpy()  # the last of duplicate keys wins
    # In key order: the primary key's B-tree then grows at one end rather than at random
    # places (a backfill into an empty table is much cheaper that way).
    keep = np.flatnonzero(last)[np.argsort(keys.to_numpy()[last], kind="stable")]
    n = len(keep)
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    prepared = []
    for field in fields:
        if field.attname in columns:
            values = columns[field.attname]
            if isinstance(field, models.DateTimeField):
                values = pd.DatetimeIndex(pd.to_datetime(values, utc=True))[keep]
            else:
                values = np.asarray(values, dtype=object if not _is_bool(field) else bool)[keep]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values = pd.DatetimeIndex([now] * n)
        elif isinstance(field, models.DateTimeField):
            default = field.get_default()
            values = pd.DatetimeIndex([pd.NaT if default is None else default] * n, tz="UTC")
        else:
            values = np.full(n, field.get_default(), dtype=object)
        prepared.append(values)
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    conflict = on_conflict(fields) if upsert else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            payload = _csv_payload(fields, prepared)

            def fill(target: str) -> None:
                statement = f"COPY {target} ({column_list}) FROM STDIN WITH (FORMAT csv)"
                with logged_copy(cursor, statement), cursor.cursor.copy(statement) as copy:
                    copy.write(payload)

            if upsert:
                staged_upsert(cursor, table, column_list, conflict, fill)
            else:
                fill(table)
        else:
            lists = [_sqlite_column(field, values) for field, values in zip(fields, prepared,
                                                                            strict=True)]
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}){conflict}",
                zip(*lists, strict=True),
            )
    return n


def _is_bool(field: models.Field) -> bool:
    return isinstance(field, models.BooleanField)


def _csv_payload(fields: Sequence[models.Field], columns: Sequence[Any]) -> bytes:
    """The rows as PostgreSQL's CSV ``COPY`` reads them: null unquoted-empty, text quoted."""
    arrays = []
    for field, values in zip(fields, columns, strict=True):
        if isinstance(field, models.DateTimeField):
            arrays.append(_timestamp_text(values))
        elif isinstance(field, models.DateField):
            arrays.append(pa.array(values, pa.date32(), from_pandas=True))
        elif _is_bool(field):
            arrays.append(pa.array(values, pa.bool_()))
        elif isinstance(field, models.IntegerField | models.FloatField):
            arrays.append(pa.array(values, from_pandas=True))
        else:
            arrays.append(pa.array(values, pa.string(), from_pandas=True))
    out = io.BytesIO()
    pa_csv.write_csv(
        pa.table(arrays, names=[f.attname for f in fields]),
        out,
        pa_csv.WriteOptions(include_header=False),
    )
    return out.getvalue()


def _timestamp_text(values: Any, *, separator: str = "T", zone: str = "Z") -> Any:
    """UTC instants as ISO text, ``zone`` appended (numpy formats them far faster than the
    CSV writer, a cast or pandas would); null for NaT."""
    instants = _utc_naive(values).to_numpy(dtype="datetime64[us]")
    text = pa.array(np.datetime_as_string(instants, unit="us"))
    if separator != "T":
        text = pc.replace_substring(text, pattern="T", replacement=separator, max_replacements=1)
    if zone:
        text = pc.binary_join_element_wise(text, pa.scalar(zone), "")
    return pc.if_else(pa.array(np.isnat(instants)), pa.scalar(None, pa.string()), text)


def _utc_naive(values: Any) -> Any:
    """``values`` (aware instants) as naive UTC."""
    return pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None)


def _sqlite_column(field: models.Field, values: Any) -> list[object]:
    """A column as SQLite takes it from Django: datetimes naive UTC text (``str`` of the
    datetime, so no fraction when it is zero), dates ISO text, booleans ``bool``."""
    if isinstance(field, models.DateTimeField):
        # ``str`` of the naive UTC datetime: a space before the time, no zero fraction.
        text = _timestamp_text(values, separator=" ", zone="")
        text = pc.replace_substring_regex(text, pattern=r"\.000000$", replacement="")
        return text.to_pylist()
    if isinstance(field, models.DateField):
        return pa.array(values, pa.date32(), from_pandas=True).cast(pa.string()).to_pylist()
    if isinstance(field, models.FloatField):
        return pa.array(values, pa.float64(), from_pandas=True).to_pylist()  # NaN: None
    return values.tolist()
