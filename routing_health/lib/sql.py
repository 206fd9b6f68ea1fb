"""The one adapter for datetimes that reach raw SQL (``cursor.execute``, ``executemany``, COPY).

The ORM stores a ``DateTimeField`` through ``connection.ops.adapt_datetimefield_value``: on
PostgreSQL an aware datetime bound as ``timestamptz``; on SQLite naive UTC text such as
``'2026-11-01 04:00:00'`` (``'.500000'`` appended when there are microseconds). Bound as is,
an aware datetime reaches SQLite as ``'2026-11-01 04:00:00+00:00'``, which compares as text
*above* the stored value of the same instant: ``created_at >= %s`` then drops a lead created
exactly at the bound. Every datetime parameter of hand-written SQL goes through
``sql_datetime`` so that it compares like the stored values on each backend.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

NAIVE_DATETIME = "{name} must be a timezone-aware datetime for SQL, got {value!r}"


def sql_datetime(value: datetime, *, name: str = "datetime") -> object:
    """``value`` (aware) as the database stores a ``DateTimeField`` of that instant: the aware
    datetime on PostgreSQL, naive UTC text on SQLite. ``name`` labels the error for a naive
    value (its instant would be a guess)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(NAIVE_DATETIME.format(name=name, value=value))
    return connection.ops.adapt_datetimefield_value(value)
