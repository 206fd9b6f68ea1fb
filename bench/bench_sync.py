"""Sync benchmark: backfill a synthetic org from the HTTPS emulator into PostgreSQL.

The emulator runs in its own process; the time our process spends waiting on HTTP (request,
emulator work, transfer) is measured at the transport and subtracted, so ``own_rows_per_s``
is the project's share: parsing, normalising and upserting. Target: ≥ 20,000 rows/s.
Peak memory is this process's maximum RSS and ``cpu_seconds`` this process's CPU time, setup
included (the emulator is not counted). ``BENCH_DATABASE_URL`` may name a SQLite file
(``sqlite:////tmp/bench.sqlite3``) to measure the other path of the upsert.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from bench.support import ensure_database

BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/routing_health_bench"
)
TARGET_ROWS_PER_S = 20_000


class TimedAdapter(HTTPAdapter):
    """Counts the seconds spent in HTTP round trips (including reading the body)."""

    seconds = 0.0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        try:
            return super().send(request, **kwargs)
        finally:
            TimedAdapter.seconds += time.perf_counter() - started


def _start_emulator(leads: int, workdir: Path) -> tuple[subprocess.Popen, dict]:
    info_file = workdir / "emulator.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "routing_health.sandbox.serve",
            "--leads",
            str(leads),
            "--scenario",
            "plain",
            "--workdir",
            str(workdir),
            "--info-file",
            str(info_file),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not info_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the emulator did not start")
        time.sleep(0.2)
    return proc, json.loads(info_file.read_text())


def run(scale: str = "full") -> dict:
    leads = 200_000 if scale == "full" else 20_000
    os.environ["DATABASE_URL"] = BENCH_DB
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "routing_health.settings"
    sqlite = BENCH_DB.startswith("sqlite")
    if not sqlite:
        ensure_database(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from routing_health.config import load_config
    from routing_health.salesforce import ConnectionSettings, SalesforceClient
    from routing_health.sync.service import sync_salesforce

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        tables = [
            t for t in connection.introspection.table_names() if t.startswith("routing_health_")
        ]
        if sqlite:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
        else:
            cursor.execute("TRUNCATE " + ", ".join(tables))

    with tempfile.TemporaryDirectory() as tmp:
        proc, info = _start_emulator(leads, Path(tmp))
        try:
            session = requests.Session()
            session.verify = info["ca_path"]
            session.mount("https://", TimedAdapter())
            os.environ["REQUESTS_CA_BUNDLE"] = info["ca_path"]
            client = SalesforceClient(
                ConnectionSettings(
                    instance_url=info["url"],
                    access_token=info["access_token"],
                    bulk_poll_seconds=0.05,
                ),
                session=session,
            )
            config = load_config(info["config_path"])
            per_object = []
            total_rows = total_seconds = total_own = 0.0
            for name in (
                "User",
                "Group",
                "LeadStatus",
                "FlowDefinitionView",
                "Lead",
                "LeadHistory",
                "Task",
                "Event",
            ):
                TimedAdapter.seconds = 0.0
                started = time.perf_counter()
                outcome = sync_salesforce(client=client, config=config, objects=[name])
                seconds = time.perf_counter() - started
                result = outcome.objects[-1]
                if result.error:
                    raise RuntimeError(result.error)
                own = max(seconds - TimedAdapter.seconds, 1e-9)
                per_object.append(
                    {
                        "object": name,
                        "rows_fetched": result.fetched,
                        "rows_stored": result.upserted,
                        "mode": result.mode,
                        "seconds": round(seconds, 3),
                        "http_seconds": round(TimedAdapter.seconds, 3),
                        "own_rows_per_s": round(result.fetched / own),
                    }
                )
                total_rows += result.fetched
                total_seconds += seconds
                total_own += own
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    own_rate = total_rows / total_own
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    for row in per_object:
        print(
            f"  {row['object']:<20} {row['rows_fetched']:>9,} rows  {row['mode']:<4} "
            f"{row['seconds']:>7.2f}s (http {row['http_seconds']:.2f}s)  "
            f"own {row['own_rows_per_s']:>9,} rows/s"
        )
    return {
        "name": f"sync_backfill_{leads // 1000}k",
        "leads": leads,
        "database": connection.vendor,
        "rows": int(total_rows),
        "seconds": round(total_seconds, 2),
        "own_seconds": round(total_own, 2),
        "own_rows_per_s": round(own_rate),
        "peak_rss_mb": round(peak_mb),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "target_own_rows_per_s": TARGET_ROWS_PER_S,
        "verdict": "met" if own_rate >= TARGET_ROWS_PER_S else "MISSED",
        "per_object": per_object,
    }
