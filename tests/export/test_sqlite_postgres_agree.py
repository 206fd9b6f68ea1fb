"""``export_metrics`` on the demo org prints the same bytes on SQLite and on PostgreSQL.

The demo-scenario org (with its incident), plus leads created exactly at the report
timezone's midnights that bound the exported days, is served by the HTTPS emulator; two fresh
databases, one SQLite file and one PostgreSQL database on the server the suite uses, are each
migrated, synced and exported by ``manage.py`` in subprocesses, as an operator would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bench.support import drop_database, ensure_database
from routing_health.config import parse_config
from routing_health.sandbox.org import Org
from routing_health.sandbox.serve import build_org
from tests.conftest import serve_salesforce

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START, END = "2026-11-09", "2026-11-18"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
EXPORTS = (("--by", "region,tier"), ("--by", "day"), ())

pytestmark = pytest.mark.slow


def _postgres_url() -> str:
    """A fresh database's URL on the PostgreSQL server of the suite (``DATABASE_URL`` when it
    is PostgreSQL, else the local server ``make test`` uses); unique per process."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_POSTGRES
    return f"{url.rsplit('/', 1)[0]}/rh_export_agree_{os.getpid()}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    url = _postgres_url()
    try:
        ensure_database(url)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL does not answer: {exc}")
    yield url
    drop_database(url)


def _midnight_leads(org: Org, config_text: str) -> None:
    """Leads created exactly at the local midnights that start the first exported day, start
    a day inside the range, and follow the last day (outside the range)."""
    config = parse_config(config_text)
    zone = ZoneInfo(config.report.timezone)
    holding = min(owner for owner in config.owners.holding if owner.startswith("00G"))
    days = (START, "2026-11-12", "2026-11-19")
    for n, day in enumerate(days):
        midnight = datetime.combine(datetime.fromisoformat(day).date(), time.min, zone)
        org.insert(
            "Lead",
            {
                "LastName": f"Midnight {n}",
                "Company": "Boundary Inc",
                "OwnerId": holding,
                "Status": "Open - Not Contacted",
                "CreatedDate": midnight.astimezone(UTC),
            },
        )


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _exports(database_url: str, base: dict[str, str]) -> list[str]:
    env = {**base, "DATABASE_URL": database_url}
    _manage(env, "migrate", "--noinput")
    _manage(env, "sync_salesforce")
    as_of = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        _manage(env, "export_metrics", "--start", START, "--end", END, "--as-of", as_of, *by)
        for by in EXPORTS
    ]


@pytest.mark.parametrize("shadow", [False, True], ids=["plain", "shadow"])
def test_export_metrics_prints_the_same_bytes_on_sqlite_and_postgresql(
    tmp_path, postgres_url, monkeypatch, shadow
):
    # With the shadow story (issue 17) the candidate is read from the stored raw fields.
    org, synthetic = build_org(leads=300, seed=11, now=NOW, scenario="demo", days=21,
                               shadow=shadow)
    _midnight_leads(org, synthetic.config_toml)
    config_path = tmp_path / "routing_health.toml"
    config_path.write_text(synthetic.config_toml)
    with serve_salesforce(org, monkeypatch) as emulator:
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_URL", "SALESFORCE_", "SLACK_", "ROUTING_"))
        }
        base |= {
            "DJANGO_SECRET_KEY": "test-only-secret-key",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), base.get("PYTHONPATH")])),
            "ROUTING_HEALTH_DATA_DIR": str(tmp_path / "data"),
            "ROUTING_HEALTH_CONFIG": str(config_path),
            "SALESFORCE_INSTANCE_URL": emulator.url,
            "SALESFORCE_ACCESS_TOKEN": emulator.access_token,
            "SALESFORCE_BULK_POLL_SECONDS": "0.01",
            "REQUESTS_CA_BUNDLE": str(emulator.ca_path),
        }
        on_sqlite = _exports(f"sqlite:///{tmp_path / 'agree.sqlite3'}", base)
        on_postgres = _exports(postgres_url, base)
    assert '"leads": ' in on_sqlite[2]
    assert ('"shadow_agreement_rate": ' in on_sqlite[2]) is shadow
    for by, sqlite_text, postgres_text in zip(EXPORTS, on_sqlite, on_postgres, strict=True):
        assert sqlite_text == postgres_text, by
