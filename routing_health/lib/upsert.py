"""Fast idempotent upserts keyed by primary key, for the sync's large pages.

Django's ``bulk_create(update_conflicts=True)`` builds one huge parameterised statement per
batch, which costs more than the sync's whole parsing. Here PostgreSQL gets ``COPY`` into a
temporary table and one ``INSERT … SELECT … ON CONFLICT DO UPDATE``; other databases get
``executemany`` of ``INSERT … ON CONFLICT DO UPDATE`` (SQLite ≥ 3.24). Both run inside the
caller's transaction, so the rows commit together with the watermark that covers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext

from django.db import connection, models

from routing_health.lib.sql import sql_datetime


def upsert(model: type[models.Model], rows: Sequence[models.Model]) -> int:
    """Insert or update ``rows`` by primary key; the last of duplicate keys wins."""
    if not rows:
        return 0
    pk = model._meta.pk
    by_key = {getattr(row, pk.attname): row for row in rows}
    fields = list(model._meta.concrete_fields)
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for row in by_key.values():
                field.pre_save(row, add=True)
    attnames = [field.attname for field in fields]
    values = _db_values(fields, [[getattr(row, a) for a in attnames] for row in by_key.values()])
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    conflict = on_conflict(fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staged_upsert(cursor, table, column_list, conflict,
                          lambda staging: _copy_rows(cursor, staging, column_list, values))
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}){conflict}", values
            )
    return len(values)


def _converter(field: models.Field):
    """How a Python value reaches the database: natively where the driver adapts it."""
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if connection.vendor == "postgresql":
        # psycopg binds dates, times and aware datetimes (``sql_datetime`` is the identity
        # there): no per-value call on the sync's large pages.
        return None
    if isinstance(field, models.DateTimeField):
        return lambda value: sql_datetime(value, name=field.attname)
    if isinstance(field, (models.DateField, models.TimeField)):
        # SQLite stores dates and times as text in Django's format.
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _db_values(
    fields: Sequence[models.Field], rows: Sequence[Sequence[object]]
) -> Sequence[Sequence[object]]:
    """``rows`` (values in ``fields`` order) as the driver takes them (``_converter``)."""
    converters = [_converter(field) for field in fields]
    if not any(converters):
        return rows
    return [
        [
            convert(value) if convert is not None and value is not None else value
            for convert, value in zip(converters, row, strict=True)
        ]
        for row in rows
    ]


def logged_copy(cursor, statement: str, params: Sequence[object] | None = None):
    """A ``COPY`` on the raw psycopg cursor bypasses Django's wrapper: log it as the wrapper
    logs a query (``connection.queries``, the ``django.db.backends`` logger, the test suite's
    query counts) when the connection logs queries."""
    debug = getattr(cursor, "debug_sql", None)
    return debug(statement, params) if debug is not None else nullcontext()


def _copy_rows(cursor, table: str, column_list: str, rows: Sequence[Sequence[object]]) -> None:
    """``COPY`` ``rows`` into ``table`` (PostgreSQL; ``cursor`` is Django's wrapper)."""
    statement = f"COPY {table} ({column_list}) FROM STDIN"
    with logged_copy(cursor, statement), cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def on_conflict(fields: Sequence[models.Field]) -> str:
    """``ON CONFLICT (pk) DO UPDATE SET`` every other column (quoted), for an upsert."""
    quote = connection.ops.quote_name
    pk = next(field for field in fields if field.primary_key)
    updates = ", ".join(
        f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in fields if not f.primary_key
    )
    return f" ON CONFLICT ({quote(pk.column)}) DO UPDATE SET {updates}"


def staged_upsert(cursor, table: str, column_list: str, conflict: str,
                  fill: Callable[[str], None]) -> None:
    """PostgreSQL: ``fill`` COPYs the rows into a temporary table shaped like ``table``
    (given its name), then one ``INSERT … SELECT … {conflict}`` moves them over."""
    staging = "rh_upsert_staging"
    cursor.execute(f"DROP TABLE IF EXISTS {staging}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    fill(staging)
    cursor.execute(
        f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {staging}{conflict}"
    )
    cursor.execute(f"DROP TABLE {staging}")


def insert_rows(
    model: type[models.Model], attnames: Sequence[str], rows: Sequence[Sequence[object]]
) -> int:
    """Plain ``INSERT`` of ``rows`` (tuples in ``attnames`` order) into ``model``'s table, for
    rollups rewritten whole: ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    if not rows:
        return 0
    fields = [model._meta.get_field(name) for name in attnames]
    rows = _db_values(fields, rows)
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_rows(cursor, table, column_list, rows)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", rows
            )
    return len(rows)


@contextmanager
def bulk_load(model: type[models.Model]) -> Iterator[None]:
    """Around a bulk insert into ``model``'s emptied table, inside a transaction: on SQLite,
    drop the table's secondary indexes and build each once afterwards (far cheaper than
    keeping seven indexes in step row by row; SQLite's DDL is transactional and WAL readers
    keep reading the committed table and indexes). Elsewhere nothing: on PostgreSQL a dropped
    index would lock the pages' readers out until the commit."""
    if connection.vendor != "sqlite":
        yield
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield  # on an error the caller's rollback brings the dropped indexes back
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)
