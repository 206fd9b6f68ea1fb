"""The sync lease: short, renewed by a heartbeat while the run lives, free soon after a crash.

Real processes: each run is ``jobs.run_sync`` in its own Python process against the HTTPS
emulator and a database every process shares (a SQLite file, or the PostgreSQL test database).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from routing_health.sandbox.server import SalesforceEmulator
from tests.conftest import serve_salesforce
from tests.orgs import build_tiny_org, tiny_config_text

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3
RUN_SYNC = """
import json, django
django.setup()
from routing_health.jobs import tasks as jobs
print(json.dumps(jobs.run_sync(chain=False)))
"""
PROBE = """
import json, django
django.setup()
from django.utils import timezone
from routing_health.models import JobLock, Lead
row = JobLock.objects.filter(name="sync").first()
print(json.dumps({
    "leads": Lead.objects.count(),
    "owner": row.owner if row else None,
    "seconds_left": (row.expires_at - timezone.now()).total_seconds() if row else None,
}))
"""


class Processes:
    """Starts Python snippets with the shared database, the emulator and a short lease."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def start(self, code: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", code],
            env=self.env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, code: str) -> dict:
        process = self.start(code)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


def _database_url(tmp_path: Path, env: dict[str, str]) -> str:
    """The PostgreSQL test database (committed rows: a transactional test), or a migrated
    SQLite file (the in-memory SQLite test database is invisible to other processes)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or "5432"
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'lease.sqlite3'}"
    migrated = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0"],
        env={**env, "DATABASE_URL": url},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stderr
    return url


@pytest.fixture
def slow_org(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SalesforceEmulator, Processes]]:
    tiny = build_tiny_org()
    now = datetime.now(UTC)
    tiny.org.clock = lambda: now
    config = tmp_path / "routing_health.toml"
    config.write_text(tiny_config_text(tiny))
    with serve_salesforce(tiny.org, monkeypatch) as emulator:
        env = {
            **os.environ,
            "PYTHONPATH": str(settings.BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "ROUTING_HEALTH_CONFIG": str(config),
            "SALESFORCE_INSTANCE_URL": emulator.url,
            "SALESFORCE_ACCESS_TOKEN": emulator.access_token,
            "SALESFORCE_BULK_POLL_SECONDS": "0.01",
            "REQUESTS_CA_BUNDLE": str(emulator.ca_path),
            "SYNC_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        env["DATABASE_URL"] = _database_url(tmp_path, env)
        # A slow Salesforce: every data call takes half a second, so a sync lasts ~20 s.
        emulator.faults.add("slow", path="/services/data/", times=None, delay=0.5)
        yield emulator, Processes(env)


def _wait_for_requests(emulator: SalesforceEmulator, count: int) -> None:
    deadline = time.monotonic() + 60
    while len(emulator.requests_log) < count:
        assert time.monotonic() < deadline, "the sync never reached Salesforce"
        time.sleep(0.05)


def test_a_run_after_a_sigkilled_sync_proceeds_once_the_short_lease_runs_out(slow_org):
    emulator, processes = slow_org
    victim = processes.start(RUN_SYNC)
    _wait_for_requests(emulator, 6)  # it holds the lock and is mid-run
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    killed_at = time.monotonic()
    emulator.faults.clear()

    held = processes.run(PROBE)
    assert held["owner"] is not None  # the dead worker's lease is still there ...
    assert held["seconds_left"] <= LEASE_SECONDS  # ... but a short one
    time.sleep(max(0.0, LEASE_SECONDS + 0.5 - (time.monotonic() - killed_at)))

    result = processes.run(RUN_SYNC)

    assert result["status"] == "ok", result
    assert processes.run(PROBE) == {"leads": 12, "owner": None, "seconds_left": None}


def test_a_live_sync_longer_than_its_lease_keeps_it_so_a_second_run_is_skipped(slow_org):
    emulator, processes = slow_org
    first = processes.start(RUN_SYNC)
    _wait_for_requests(emulator, 1)
    time.sleep(LEASE_SECONDS + 1)  # longer than the lease: only the heartbeat keeps it

    second = processes.run(RUN_SYNC)
    held = processes.run(PROBE)
    out, err = first.communicate(timeout=180)

    assert second == {"job": "sync", "status": "skipped", "detail": "already running"}
    assert held["owner"] is not None and 0 < held["seconds_left"] <= LEASE_SECONDS
    assert first.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["status"] == "ok"
