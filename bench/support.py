"""What several benchmarks share."""

from __future__ import annotations


def database_name(url: str) -> str:
    """The database name of a ``postgres://…/name`` URL."""
    return url.rsplit("/", 1)[1]


def _admin(url: str) -> str:
    """The same server's ``postgres`` database, to create or drop the one of ``url``."""
    return url.rsplit("/", 1)[0] + "/postgres"


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it does not exist yet."""
    import psycopg

    name = database_name(url)
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database of ``url`` (closing its other sessions) if it exists."""
    import psycopg

    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')
