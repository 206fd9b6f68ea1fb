"""Scale benchmark (issue 18): the real commands, as processes, on a 1M- and a 100k-lead org.

What is measured, and how:

- **The org.** One HTTPS Salesforce emulator per size (``routing_health.sandbox.serve``, scenario
  ``plain``: about 3.95 LeadHistory rows and 1.2 activities per lead, the volumes of the issue's
  1M org; generation + load time is in the JSON as ``emulator.seconds_to_start``), with its
  "now" fixed by ``--now``: ``NOW`` below is that org's now. The emulator is started through
  ``python -m bench.bench_scale --child emulator``, which runs ``serve.main`` unchanged and only
  adds a bench hook: on SIGUSR1 it reassigns 1,000 existing leads (``Org.change_owner``, which
  writes the two LeadHistory rows and moves SystemModstamp, as Salesforce does), because the
  emulator's REST API has no record update.
- **Per database** (a SQLite file in a temporary folder, then the PostgreSQL database
  ``routing_health_scale`` dropped and recreated), each a separate ``manage.py`` process:
  ``migrate``; ``sync_salesforce`` (the first backfill); ``compute_metrics --full --as-of NOW``;
  ``export_metrics --start --end --by region,tier --as-of NOW`` over the 42 local days ending
  the day before NOW (JSON to a file); then the incremental cycle: the emulator changes 1,000
  leads, and ``sync_salesforce`` + ``compute_metrics`` + ``evaluate_alerts`` run with
  ``--as-of`` the instant after the change (wall-clock time, later than NOW).
- **Scale-out** (issue 18 item 6; PostgreSQL only, right after ``compute_metrics --full``):
  ``compute_metrics --full --partition-leads P`` in process (P = leads / 8, or
  ``BENCH_SCALE_PARTITION_LEADS``: its peak is the memory bound of a partition; what it stores
  is the reference), then for K = 1 and K = 2: K separate ``manage.py qcluster`` processes
  with ``Q_WORKERS=1`` (K "machines" sharing the database and one Redis database of the
  bench's own, ``BENCH_SCALE_REDIS``/``BENCH_SCALE_REDIS_DB``, default
  ``redis://127.0.0.1:6379`` db 13, flushed before and after), started and waited for
  (django-q2's "running." log line; start-up is outside the timing), then the timed
  ``compute_metrics --full --tasks --partition-leads P``, then SIGTERM to each cluster and
  ``os.wait4``: CPU and peak RSS of each cluster's process tree. Per K: each partition's
  ``seconds`` and ``worker_peak_rss_mb`` from its task result in ``django_q_task`` (the
  newest ``compute-…`` group), and whether the stored facts and rollups equal the in-process
  run's (counts and sums, ``same_as_in_process``; md5 of every row, ``identical_rows``).
  Speed-up = wall(K=1) / wall(K=2). On a 2-core machine shared with PostgreSQL and the
  coordinator, two workers can at best be about twice as fast; on a busy one, less (the
  load averages before and after each run are in the JSON).
- **Each process** is started with ``subprocess.Popen`` and reaped with ``os.wait4``: wall is
  monotonic time from spawn to reap, CPU is that child's ``ru_utime + ru_stime``, peak memory
  its ``ru_maxrss``. A failing command is recorded (exit code, last stderr lines), not raised.
- **Serving floor**: a child process pulls the sync's own Bulk API 2.0 backfill queries (built
  from ``routing_health.sync.objects.OBJECTS`` for the org's configuration, ``queryAll`` where
  the sync includes deleted rows) through simple-salesforce's ``bulk2`` and discards the CSV.
  The time of those pulls (the child's interpreter and Django start-up left out) is how fast
  anything can read this emulator: the floor; the backfill's target is 1.5 × that.
- **DuckDB**, in a child process per database after its backfill: (a) *load*: the rows the
  export reads (leads created in the window at or before NOW, their owner and status changes
  and activities, users and queues) fetched with ``sqlite3``/``psycopg`` into ``pyarrow``
  tables, then ``to_pandas`` (times parsed) and ``bench.duckdb_reference.register_frames``
  (DuckDB scans those frames in place; the ``sqlite_scanner`` extension is used by nobody: it
  is not installed offline); (b) *query*: ``reference_metrics`` by region, tier as of NOW. The
  same for every lead of the org, as the reference of ``compute_metrics --full``. The
  reference computes the spec's section 5 metrics only (no business hours, duplicates or
  availability counts), so it does less than the export: the ratio flatters DuckDB.

Targets (reported, not asserted, for every size): backfill CPU ≤ 120 s and wall ≤ 1.5 × floor;
``compute_metrics --full`` ≤ 20 s and peak ≤ 1.5 GB; ``export_metrics`` ≤ 1.5 × DuckDB's load +
query, peak ≤ 600 MB; incremental cycle ≤ 10 s; on PostgreSQL, the partitioned run as tasks on
2 one-worker clusters ≥ 1.6 × faster than on 1, storing what the in-process run stores.
Not part of ``make test``; run with ``make bench-scale`` or
``python -m bench.run --only scale [--scale small]``.
Environment: ``BENCH_SCALE_LEADS=20000`` (one size, for a quick check),
``BENCH_SCALE_DATABASES=sqlite`` (or ``postgresql``; default both),
``BENCH_SCALE_PARTITION_LEADS`` (the scale-out's P), ``BENCH_SCALE_DATABASE_URL``
(default ``postgres://postgres@127.0.0.1:5432/routing_health_scale``;
dropped again after its run), ``BENCH_SCALE_TIMEOUT`` (seconds per command, default 3600),
``BENCH_SCALE_KEEP=1`` (keep the work directory: the SQLite database, configuration, logs).
The emulator holds the whole org in memory: about 1.1 GB at 100k leads, so expect 11-12 GB at 1M.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.support import drop_database, ensure_database

ROOT = Path(__file__).resolve().parents[1]
MANAGE = str(ROOT / "manage.py")
SIZES = {"full": (1_000_000, 100_000), "small": (100_000,)}
PG_URL = os.environ.get(
    "BENCH_SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/routing_health_scale"
)
DATABASES = ("sqlite", "postgresql")
CHANGED_LEADS = 1_000
WINDOW_DAYS = 42
BY = ("region", "tier")
BULK_POLL_SECONDS = "0.05"
"""The sync's Bulk API 2.0 poll interval (as in bench_sync), so polling does not count."""
STDERR_TAIL = 15
COMMAND_TIMEOUT = float(os.environ.get("BENCH_SCALE_TIMEOUT", "3600"))
"""Seconds after which a command is killed (and recorded as failed), so one hang does not
stall the whole run."""
TARGETS = {
    "backfill_cpu_s": 120.0,
    "backfill_wall_over_floor": 1.5,
    "compute_full_wall_s": 20.0,
    "compute_full_peak_rss_mb": 1536.0,
    "export_over_duckdb": 1.5,
    "export_peak_rss_mb": 600.0,
    "incremental_cycle_wall_s": 10.0,
    "scale_out_speedup": 1.6,
}
SCALE_OUT_PARTITIONS = 8
"""The scale-out step cuts the org in about this many partitions (leads / 8 per partition)."""
SCALE_OUT_CLUSTERS = (1, 2)
REDIS_BASE = os.environ.get("BENCH_SCALE_REDIS", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("BENCH_SCALE_REDIS_DB", "13"))
"""The bench's own Redis database, flushed before and after each scale-out run."""


# --- measuring ----------------------------------------------------------------------------------


def measure(
    label: str, argv: Sequence[str], env: dict[str, str], workdir: Path, stdout: Path | None = None
) -> dict[str, Any]:
    """Run ``argv`` as a child; its wall, CPU and peak RSS from ``os.wait4`` (never raises)."""
    out_path = stdout or workdir / f"{label}.out"
    err_path = workdir / f"{label}.err"
    record: dict[str, Any] = {"command": list(argv)}
    started = time.monotonic()
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(list(argv), env=env, stdout=out, stderr=err, cwd=ROOT)
            watchdog = threading.Timer(COMMAND_TIMEOUT, proc.kill)
            watchdog.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                watchdog.cancel()
        wall = time.monotonic() - started
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # reaped here: Popen must not wait for it again
    except OSError as exc:
        return record | {"exit": None, "error": f"could not run: {exc}"}
    record |= {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "exit": code,
    }
    if code != 0:
        lines = err_path.read_text(errors="replace").strip().splitlines()
        record["stderr_tail"] = lines[-STDERR_TAIL:]
        if wall >= COMMAND_TIMEOUT:
            record["error"] = f"killed after {COMMAND_TIMEOUT:g} s"
    return record


def _say(line: str) -> None:
    print(line, flush=True)


def _show(prefix: str, label: str, r: dict[str, Any]) -> None:
    if r.get("exit") == 0:
        _say(f"  {prefix} {label:<22} wall {r['wall_s']:>8.2f} s  cpu {r['cpu_s']:>8.2f} s  "
             f"peak {r['peak_rss_mb']:>6} MB")
    else:
        tail = (r.get("stderr_tail") or [r.get("error", "")])[-1:]
        _say(f"  {prefix} {label:<22} FAILED (exit {r.get('exit')}): {' '.join(tail)}")


def _child(part: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "bench.bench_scale", "--child", part, *args]


def _proc_usage(pid: int) -> dict[str, Any]:
    """A live process's peak RSS (VmHWM) and CPU seconds so far, from /proc."""
    usage: dict[str, Any] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                usage["peak_rss_mb"] = round(int(line.split()[1]) / 1024)
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        usage["cpu_s"] = round((int(stat[11]) + int(stat[12])) / ticks, 2)
    except (OSError, ValueError, IndexError):
        pass
    return usage


# --- the emulator ---------------------------------------------------------------------------------


def _start_emulator(leads: int, now: datetime, workdir: Path) -> tuple[subprocess.Popen, dict]:
    info_file = workdir / "emulator.json"
    argv = _child(
        "emulator", "--leads", str(leads), "--scenario", "plain", "--now", now.isoformat(),
        "--workdir", str(workdir), "--info-file", str(info_file),
    )
    started = time.monotonic()
    with open(workdir / "emulator.log", "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 3600
    while not info_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = (workdir / "emulator.log").read_text(errors="replace").splitlines()[-10:]
            raise RuntimeError(f"the emulator did not start: {' '.join(tail)}")
        time.sleep(0.2)
    info = json.loads(info_file.read_text())
    info["wall_to_ready_s"] = round(time.monotonic() - started, 2)
    info["command"] = argv
    return proc, info


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _change_leads(proc: subprocess.Popen, workdir: Path, count: int, seed: int) -> dict:
    """Ask the emulator (SIGUSR1) to reassign ``count`` leads; waits for its answer."""
    done = workdir / "change-done.json"
    done.unlink(missing_ok=True)
    (workdir / "change-request.json").write_text(json.dumps({"count": count, "seed": seed}))
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGUSR1)
    while not done.exists():
        if proc.poll() is not None or time.monotonic() - started > 300:
            raise RuntimeError("the emulator did not change the leads")
        time.sleep(0.05)
    time.sleep(0.05)  # the file is written in one call; let it land
    return json.loads(done.read_text())


def _apply_change(org: Any, workdir: Path) -> None:
    """In the emulator process: reassign existing, live, unconverted leads owned by a user to
    another user who owns leads (never a holding or fallback owner of the configuration)."""
    request = json.loads((workdir / "change-request.json").read_text())
    config = tomllib.loads((workdir / "routing_health.toml").read_text())
    owners_cfg = config.get("owners", {})
    excluded = {*owners_cfg.get("holding", []), *owners_cfg.get("fallback", [])}
    started = time.monotonic()
    with org.lock:
        leads = [
            (r["Id"], r["OwnerId"]) for r in org.records("Lead")
            if not r.get("IsDeleted") and not r.get("IsConverted")
            and str(r.get("OwnerId") or "").startswith("005") and r["OwnerId"] not in excluded
        ]
        reps = sorted({owner for _, owner in leads})
        rng = random.Random(request["seed"])
        chosen = rng.sample(leads, min(request["count"], len(leads)))
        at = org.now()
        rows = 0
        for lead_id, owner in chosen:
            new_owner = reps[(reps.index(owner) + 1) % len(reps)]
            rows += len(org.change_owner(lead_id, new_owner, at))
    result = {
        "changed": len(chosen), "history_rows": rows, "at": at.isoformat(),
        "seconds": round(time.monotonic() - started, 3),
    }
    (workdir / "change-done.json").write_text(json.dumps(result))


def _child_emulator(argv: list[str]) -> int:
    """``serve.main`` as is, plus the SIGUSR1 hook of ``_apply_change``."""
    from routing_health.sandbox import serve

    workdir = Path(argv[argv.index("--workdir") + 1])
    captured: dict[str, Any] = {}

    class Captured(serve.SalesforceEmulator):  # type: ignore[misc, valid-type]
        def start(self) -> Any:
            captured["emulator"] = self
            return super().start()

    serve.SalesforceEmulator = Captured  # type: ignore[misc]

    def on_signal(_signum: int, _frame: Any) -> None:
        org = captured["emulator"].org
        threading.Thread(target=_apply_change, args=(org, workdir), daemon=True).start()

    signal.signal(signal.SIGUSR1, on_signal)
    return serve.main(argv)


# --- the floor: a plain Bulk API 2.0 client -----------------------------------------------------


def _child_floor(info_path: Path, out: Path) -> int:
    info = json.loads(info_path.read_text())
    os.environ["REQUESTS_CA_BUNDLE"] = info["ca_path"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "routing_health.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["DATABASE_URL"] = f"sqlite:///{out.parent / 'floor-unused.sqlite3'}"
    import django

    django.setup()  # the object registry imports the models (no database is opened)
    from simple_salesforce import Salesforce

    from routing_health.config import load_config
    from routing_health.sync.objects import OBJECTS

    config = load_config(info["config_path"])
    sf = Salesforce(instance_url=info["url"], session_id=info["access_token"], version="62.0")
    rows: dict[str, Any] = {}
    started = time.monotonic()
    for spec in OBJECTS.values():
        spec = spec.for_config(config)
        if spec is None or spec.watermark_field is None:
            continue  # read through REST in full by the sync: small
        where = spec.where_for(config) if spec.where_for else spec.where
        soql = f"SELECT {', '.join(spec.fields(config))} FROM {spec.sobject}"
        soql += f" WHERE {' AND '.join(where)}" if where else ""
        bulk = getattr(sf.bulk2, spec.sobject)
        query = bulk.query_all if spec.include_deleted else bulk.query
        try:
            rows[spec.name] = sum(
                page.count("\n") - 1 for page in query(soql, max_records=50_000, wait=0)
            )
        except Exception as exc:  # an optional object the org lacks: recorded, not fatal
            rows[spec.name] = f"error: {str(exc)[:200]}"
    seconds = time.monotonic() - started
    out.write_text(json.dumps({"rows": rows, "pull_s": round(seconds, 2)}))
    return 0


# --- DuckDB -----------------------------------------------------------------------------------


LEAD_SELECT = (
    "id", "name", "company", "created_at", "owner_id", "status", "is_converted",
    "converted_date", "converted_contact_id", "is_deleted", "region", "tier", "failed_node",
    "rejection_reason",
)
FETCH_ROWS = 100_000
RELATED = {
    "owner_changes": ("routing_health_ownerchange",
                      ("id", "lead_id", "created_at", "old_owner_id", "new_owner_id")),
    "status_changes": ("routing_health_statuschange",
                       ("id", "lead_id", "created_at", "old_status", "new_status")),
    "activities": ("routing_health_activity",
                   ("id", "lead_id", "owner_id", "created_at", "is_deleted")),
}


def _fetch_arrow(cursor: Any, sql: str, params: Sequence[Any], columns: Sequence[str]) -> Any:
    """Rows of ``sql`` as a pyarrow Table, built FETCH_ROWS rows at a time from the DB-API
    cursor (so a million rows never sit in memory as Python tuples all at once)."""
    import pyarrow as pa

    cursor.execute(sql, list(params))
    batches = []
    while rows := cursor.fetchmany(FETCH_ROWS):
        data = zip(*rows, strict=True)
        batches.append(pa.Table.from_pydict(
            {c: pa.array(list(v)) for c, v in zip(columns, data, strict=True)}))
    if not batches:
        return pa.Table.from_pydict({c: pa.array([]) for c in columns})
    # A batch where a column is all null types it as null: promoted to the others' type.
    return pa.concat_tables(batches, promote_options="default")


def _frame(table: Any, times: Sequence[str], bools: Sequence[str] = ()) -> Any:
    import pandas as pd

    frame = table.to_pandas()
    for column in times:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    for column in bools:
        frame[column] = frame[column].fillna(False).astype(bool)
    return frame


def _child_duckdb(args: argparse.Namespace) -> int:
    import duckdb
    import pandas as pd

    from bench.duckdb_reference import reference_metrics, register_frames
    from routing_health.config import load_config
    from routing_health.facts.params import params_from_config

    params = params_from_config(load_config(args.config))
    as_of = datetime.fromisoformat(args.as_of)
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    tz = ZoneInfo(params.report_timezone)
    bounds: list[datetime] = [as_of]
    where = " WHERE created_at <= {p}"
    if not args.all_leads:
        created_from = datetime.combine(start, datetime.min.time(), tz).astimezone(UTC)
        created_to = datetime.combine(end + timedelta(days=1), datetime.min.time(), tz)
        bounds = [created_from, created_to.astimezone(UTC), as_of]
        where = " WHERE created_at >= {p} AND created_at < {p} AND created_at <= {p}"

    started = time.perf_counter()
    if args.database.startswith("postgres"):
        import psycopg

        conn: Any = psycopg.connect(args.database)
        placeholder, values = "%s", bounds
    else:
        conn = sqlite3.connect(args.database)
        # Django stores a DateTimeField on SQLite as naive UTC text.
        placeholder = "?"
        values = [b.astimezone(UTC).replace(tzinfo=None).isoformat(" ") for b in bounds]
    where = where.format(p=placeholder)
    cursor = conn.cursor()
    tables = {"leads": _fetch_arrow(
        cursor, f"SELECT {', '.join(LEAD_SELECT)} FROM routing_health_lead{where}", values,
        LEAD_SELECT)}
    for name, (table, columns) in RELATED.items():
        sql = (f"SELECT {', '.join(columns)} FROM {table} WHERE lead_id IN "
               f"(SELECT id FROM routing_health_lead{where})")
        tables[name] = _fetch_arrow(cursor, sql, values, columns)
    names = _fetch_arrow(
        cursor, "SELECT id, name FROM routing_health_salesforceuser UNION ALL "
        "SELECT id, name FROM routing_health_queue", [], ("id", "name"))
    conn.close()
    fetched = time.perf_counter()
    leads = _frame(tables["leads"], ["created_at"], ["is_converted", "is_deleted"])
    leads["converted_date"] = pd.to_datetime(leads["converted_date"]).dt.date
    for column in ("region", "tier", "failed_node", "rejection_reason", "converted_contact_id"):
        leads[column] = leads[column].fillna("")
    frames = {
        "leads": leads,
        "owner_changes": _frame(tables["owner_changes"], ["created_at"]),
        "status_changes": _frame(tables["status_changes"], ["created_at"]),
        "activities": _frame(tables["activities"], ["created_at"], ["is_deleted"]),
        "owner_names": dict(zip(names["id"].to_pylist(), names["name"].to_pylist(),
                                strict=True)),
    }
    con = duckdb.connect()
    register_frames(con, **frames)
    loaded = time.perf_counter()
    cohort = None if args.all_leads else (start, end)
    result = reference_metrics(con, params, as_of, list(BY), cohort)
    done = time.perf_counter()
    Path(args.out).write_text(json.dumps({
        "load_s": round(loaded - started, 3),
        "fetch_s": round(fetched - started, 3),
        "query_s": round(done - loaded, 3),
        "rows": {name: t.num_rows for name, t in tables.items()} | {"owners": names.num_rows},
        "groups": len(result),
        "duckdb_version": duckdb.__version__,
        "threads": int(con.execute("SELECT current_setting('threads')").fetchone()[0]),
    }))
    return 0


# --- one size, one database ----------------------------------------------------------------------


def _env(info: dict, database_url: str, workdir: Path) -> dict[str, str]:
    base = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("SALESFORCE_", "SLACK_", "EMAIL_", "REDIS_", "DATABASE_URL"))
    }
    return base | {
        "DJANGO_SETTINGS_MODULE": "routing_health.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only"),
        "DATABASE_URL": database_url,
        "ROUTING_HEALTH_DATA_DIR": str(workdir),
        "ROUTING_HEALTH_CONFIG": info["config_path"],
        "SALESFORCE_INSTANCE_URL": info["url"],
        "SALESFORCE_ACCESS_TOKEN": info["access_token"],
        "SALESFORCE_BULK_POLL_SECONDS": BULK_POLL_SECONDS,
        "REQUESTS_CA_BUNDLE": info["ca_path"],
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }


def _synced_rows(stdout: Path) -> dict[str, int]:
    """``Object: N rows upserted`` lines of ``sync_salesforce``'s output."""
    rows = {}
    for line in stdout.read_text(errors="replace").splitlines():
        name, sep, rest = line.partition(": ")
        if sep and rest.split(" ", 2)[1:2] == ["rows"] and rest.split()[0].isdigit():
            rows[name.strip()] = int(rest.split()[0])
    return rows


def _stored_rows(database_url: str) -> dict[str, int]:
    tables = ("lead", "ownerchange", "statuschange", "activity", "salesforceuser", "queue",
              "leadfact")
    try:
        if database_url.startswith("postgres"):
            import psycopg

            conn: Any = psycopg.connect(database_url)
        else:
            conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        with conn:
            cursor = conn.cursor()
            counts = {}
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM routing_health_{table}")
                counts[table] = cursor.fetchone()[0]
        conn.close()
        return counts
    except Exception as exc:  # the counts are a detail: never fail the run for them
        return {"error": str(exc)[:200]}


# --- scale-out: the partitions as django-q2 tasks on K one-worker clusters (PostgreSQL) --------


def _redis_flush(url: str) -> str | None:
    """Empty the bench's own Redis database (never another): None, or why it could not."""
    try:
        import redis

        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
        return None
    except Exception as exc:  # recorded: the scale-out step then reports the failure
        return str(exc)[:200]


def _start_cluster(name: str, env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, Path]:
    """``manage.py qcluster`` as a child (its own "machine"); the log is its stderr."""
    log_path = workdir / f"{name}.log"
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, MANAGE, "qcluster"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, cwd=ROOT)
    return proc, log_path


def _wait_cluster_up(proc: subprocess.Popen, log_path: Path, limit: float) -> float | None:
    """Seconds until django-q2 logs ``Q Cluster … running.`` (its workers are spawned and the
    pusher reads the broker), or None when it died or did not within ``limit``."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if "running." in log_path.read_text(errors="replace"):
            return round(time.monotonic() - started, 2)
        if proc.poll() is not None:
            return None
        time.sleep(0.1)
    return None


def _stop_cluster(proc: subprocess.Popen, log_path: Path) -> dict[str, Any]:
    """SIGTERM (django-q2 stops its sentinel, which joins its worker, pusher and monitor),
    then ``os.wait4``: the CPU of the whole process tree (every descendant was reaped by its
    parent) and the largest RSS any process of it reached."""
    started = time.monotonic()
    record: dict[str, Any] = {"pid": proc.pid}
    if proc.returncode is not None:  # died earlier, already reaped by poll(): no rusage left
        return record | {"exit": proc.returncode, "error": "exited before it was stopped",
                         "log_tail": _tail(log_path)}
    proc.send_signal(signal.SIGTERM)
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    record |= {
        "stop_s": round(time.monotonic() - started, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "exit": code,
    }
    if code != 0:
        record["log_tail"] = _tail(log_path)
    return record


def _tail(path: Path) -> list[str]:
    return path.read_text(errors="replace").strip().splitlines()[-STDERR_TAIL:]


def _fact_digest(database_url: str) -> dict[str, Any]:
    """What a full run stored, to compare two runs: counts and sums of the facts and of the
    daily rollups, and an md5 of every row of each (the rollups' serial ids left out)."""
    import psycopg

    queries = {
        "facts": "SELECT count(*), sum(tta_minutes), sum(first_touch_minutes), "
                 "count(*) FILTER (WHERE outcome = 'failed') FROM routing_health_leadfact",
        "daily_rollups": "SELECT count(*), sum(leads), sum(failed), sum(assigned) "
                         "FROM routing_health_dailyrollup",
        "rep_rollups": "SELECT count(*) FROM routing_health_reprollup",
        "facts_md5": "SELECT md5(string_agg(t::text, '|' ORDER BY lead_id)) "
                     "FROM routing_health_leadfact t",
        "daily_rollups_md5": "SELECT md5(string_agg(r, '|' ORDER BY r)) FROM "
                             "(SELECT (to_jsonb(d) - 'id')::text AS r "
                             "FROM routing_health_dailyrollup d) s",
    }
    digest: dict[str, Any] = {}
    with psycopg.connect(database_url) as conn:
        for name, sql in queries.items():
            row = conn.execute(sql).fetchone()
            values = [round(v, 6) if isinstance(v, float) else v for v in row]
            digest[name] = values[0] if len(values) == 1 else values
    return digest


def _task_results(database_url: str) -> dict[str, Any]:
    """The newest ``compute-…`` group of ``django_q_task``: each partition task's result (the
    dict ``run_partition_task`` returns) and, in seconds after the first was enqueued, when it
    finished and (finished less its own ``seconds``) about when its work began. django-q2's
    ``started`` is the enqueue time, not when a worker took the task."""
    import base64
    import pickle
    import zlib

    import psycopg

    with psycopg.connect(database_url) as conn:
        newest = conn.execute(
            "SELECT \"group\" FROM django_q_task WHERE \"group\" LIKE 'compute-%' "
            "ORDER BY stopped DESC LIMIT 1").fetchone()
        if newest is None:
            return {"error": "no compute-… task group in django_q_task"}
        rows = conn.execute(
            "SELECT name, success, result, started, stopped FROM django_q_task "
            "WHERE \"group\" = %s ORDER BY started", (newest[0],)).fetchall()
    first = min(r[3] for r in rows)
    tasks = []
    for name, success, raw, began, stopped in rows:
        data = base64.b64decode(raw) if raw else b""
        try:
            result: Any = pickle.loads(data) if data else None  # our own run's rows
        except pickle.UnpicklingError:
            result = pickle.loads(zlib.decompress(data))
        task = {"name": name, "success": success,
                "enqueued_s": round((began - first).total_seconds(), 2),
                "finished_s": round((stopped - first).total_seconds(), 2)}
        task |= result if isinstance(result, dict) else {"result": str(result)}
        if isinstance(task.get("seconds"), (int, float)):
            task["began_s"] = round(task["finished_s"] - task["seconds"], 2)
        tasks.append(task)
    ok = [t for t in tasks if t["success"]]
    return {
        "group": newest[0],
        "tasks": tasks,
        "partitions": len(tasks),
        "failed": len(tasks) - len(ok),
        "partition_seconds": [t.get("seconds") for t in ok],
        "partition_seconds_sum": round(sum(t.get("seconds", 0) for t in ok), 2),
        "partition_seconds_max": max((t.get("seconds", 0) for t in ok), default=None),
        # A worker's peak so far when the task ended: the max is the peak of the worker that
        # ran the heaviest partition, i.e. the peak memory of one partition.
        "worker_peak_rss_mb_max": max((t.get("worker_peak_rss_mb", 0) for t in ok),
                                      default=None),
        # From the first enqueue to the last task's end: the parallel part of the run (the
        # coordinator's start-up, planning and final rollups are outside it).
        "span_s": round(max((t["finished_s"] for t in tasks), default=0), 2),
    }


def _scale_out_run(
    k: int, base_env: dict[str, str], redis_url: str, workdir: Path, partition_leads: int,
    now: datetime, step: Any, database_url: str, reference: dict[str, Any],
) -> dict[str, Any]:
    """K clusters of one worker each, then the timed ``compute_metrics --full --tasks``."""
    run: dict[str, Any] = {"clusters": k, "load_average_before": os.getloadavg()}
    flush_error = _redis_flush(redis_url)
    if flush_error:
        return run | {"error": f"Redis: {flush_error}"}
    env = base_env | {"REDIS_URL": redis_url}
    clusters = [_start_cluster(f"qcluster_k{k}_{i + 1}", env | {"Q_WORKERS": "1"}, workdir)
                for i in range(k)]
    try:
        run["seconds_to_up"] = [_wait_cluster_up(p, log, 180) for p, log in clusters]
        if None in run["seconds_to_up"]:
            run["error"] = "a cluster did not start"
        else:
            run["coordinator"] = step(
                f"compute_tasks_k{k}",
                [sys.executable, MANAGE, "compute_metrics", "--full", "--tasks",
                 "--partition-leads", str(partition_leads), "--as-of", _iso(now)],
                env=env)
    finally:
        run["cluster_processes"] = [_stop_cluster(p, log) for p, log in clusters]
        _redis_flush(redis_url)
    run["load_average_after"] = os.getloadavg()
    run["clusters_cpu_s"] = round(sum(c.get("cpu_s", 0) for c in run["cluster_processes"]), 2)
    run["clusters_peak_rss_mb"] = max(
        (c.get("peak_rss_mb", 0) for c in run["cluster_processes"]), default=None)
    if run.get("coordinator", {}).get("exit") == 0:
        run["tasks"] = _task_results(database_url)
        if "span_s" in run["tasks"]:  # the serial part: start-up, planning, final rollups
            run["outside_tasks_s"] = round(run["coordinator"]["wall_s"] - run["tasks"]["span_s"], 2)
        run["stored"] = _fact_digest(database_url)
        keys = ("facts", "daily_rollups", "rep_rollups")
        # Sums of a million floats depend on the order PostgreSQL adds them in (the last
        # digits moved at 1M leads with byte-identical rows): compared to 1e-9 relative.
        run["same_as_in_process"] = all(
            _close(run["stored"][n], reference.get(n)) for n in keys)
        run["identical_rows"] = all(
            run["stored"][n] == reference.get(n) for n in ("facts_md5", "daily_rollups_md5"))
    return run


def _close(a: Any, b: Any) -> bool:
    """Equal, floats within 1e-9 relative (lists compared item by item)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return b is not None and abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)
    return a == b


def scale_out(
    leads: int, env: dict[str, str], workdir: Path, now: datetime, step: Any, database_url: str,
    prefix: str,
) -> dict[str, Any]:
    """Issue 18 item 6: the in-process partitioned run (the reference and its peak), then the
    same partitions as django-q2 tasks on K = 1 and K = 2 one-worker clusters sharing this
    PostgreSQL database and the bench's own Redis database; speed-up = wall(1) / wall(2)."""
    partition_leads = int(os.environ.get("BENCH_SCALE_PARTITION_LEADS", "0")) or max(
        1, leads // SCALE_OUT_PARTITIONS)
    redis_url = f"{REDIS_BASE}/{REDIS_DB}"
    out: dict[str, Any] = {"partition_leads": partition_leads, "redis_url": redis_url,
                           "cores": os.cpu_count()}
    in_process = step("compute_full_partitioned",
                      [sys.executable, MANAGE, "compute_metrics", "--full", "--partition-leads",
                       str(partition_leads), "--as-of", _iso(now)])
    out["in_process"] = {k: in_process.get(k) for k in ("wall_s", "cpu_s", "peak_rss_mb", "exit")}
    if in_process.get("exit") != 0:
        return out | {"error": "the in-process partitioned run failed"}
    reference = _fact_digest(database_url)
    out["in_process"]["stored"] = reference
    for k in SCALE_OUT_CLUSTERS:
        _say(f"  {prefix} scale-out: {k} cluster(s) of 1 worker, partitions of "
             f"{partition_leads:,} leads ...")
        run = _scale_out_run(k, env, redis_url, workdir, partition_leads, now, step,
                             database_url, reference)
        out[f"k{k}"] = run
        tasks = run.get("tasks", {})
        _say(f"  {prefix} scale-out k={k}: {tasks.get('partitions')} partitions, seconds "
             f"{tasks.get('partition_seconds')}, worker peak "
             f"{tasks.get('worker_peak_rss_mb_max')} MB, clusters cpu "
             f"{run.get('clusters_cpu_s')} s, same as in process: "
             f"{run.get('same_as_in_process')} {run.get('error', '')}")
    walls = [out.get(f"k{k}", {}).get("coordinator", {}) for k in SCALE_OUT_CLUSTERS]
    ok = all(w.get("exit") == 0 for w in walls)
    out["speedup_2_over_1"] = _ratio(walls[0]["wall_s"], walls[1]["wall_s"]) if ok else None
    spans = [out.get(f"k{k}", {}).get("tasks", {}).get("span_s") for k in SCALE_OUT_CLUSTERS]
    out["tasks_span_speedup_2_over_1"] = _ratio(spans[0], spans[1])  # for reading, no target
    out["target_speedup"] = TARGETS["scale_out_speedup"]
    out["same_as_in_process"] = ok and all(
        out[f"k{k}"].get("same_as_in_process") for k in SCALE_OUT_CLUSTERS)
    out["verdict"] = "met" if (
        out["same_as_in_process"] and out["speedup_2_over_1"] is not None
        and out["speedup_2_over_1"] >= TARGETS["scale_out_speedup"]) else "MISSED"
    _say(f"  {prefix} scale-out: speed-up 2 over 1 = {out['speedup_2_over_1']} "
         f"(target {TARGETS['scale_out_speedup']}, {out['cores']} cores): {out['verdict']}")
    return out


def _ceil_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_database(
    db: str, leads: int, info: dict, emulator: subprocess.Popen, floor: dict, now: datetime,
    window: tuple[date, date], root: Path, seed: int,
) -> dict[str, Any]:
    """Every command of one size on one database; the JSON record."""
    label = f"{leads // 1000}k"
    prefix = f"[scale {label} {db}]"
    workdir = root / db
    workdir.mkdir()
    if db == "sqlite":
        path = workdir / "routing_health.sqlite3"
        url, reader = f"sqlite:///{path}", str(path)
    else:
        drop_database(PG_URL)
        ensure_database(PG_URL)
        url = reader = PG_URL
    env = _env(info, url, workdir)
    python = sys.executable
    commands: dict[str, dict[str, Any]] = {}

    def step(
        name: str, argv: list[str], stdout: Path | None = None, env: dict[str, str] = env
    ) -> dict[str, Any]:
        _say(f"  {prefix} {name} ...")
        result = measure(name, argv, env, workdir, stdout)
        commands[name] = result
        _show(prefix, name, result)
        return result

    start, end = window
    step("migrate", [python, MANAGE, "migrate", "--noinput"])
    step("sync_backfill", [python, MANAGE, "sync_salesforce"])
    synced = _synced_rows(workdir / "sync_backfill.out")
    step("compute_full", [python, MANAGE, "compute_metrics", "--full", "--as-of", _iso(now)])
    stored = _stored_rows(url)
    scaled: dict[str, Any] | None = None
    if db == "postgresql" and commands["compute_full"].get("exit") == 0:
        try:
            scaled = scale_out(leads, env, workdir, now, step, url, prefix)
        except Exception as exc:  # recorded; the export and the cycle still run
            _say(f"  {prefix} scale-out FAILED: {exc!r}")
            scaled = {"error": repr(exc)}
    export_file = workdir / "export.json"
    step("export", [python, MANAGE, "export_metrics", "--start", start.isoformat(),
                    "--end", end.isoformat(), "--by", ",".join(BY), "--as-of", _iso(now)],
         stdout=export_file)
    export_rows = None
    if commands["export"].get("exit") == 0:
        try:
            export_rows = len(json.loads(export_file.read_text())["rows"])
        except (ValueError, KeyError):
            export_rows = None

    duck: dict[str, Any] = {}
    for scope in ("window", "all_leads"):
        out = workdir / f"duckdb_{scope}.json"
        argv = _child("duckdb", "--database", reader, "--config", info["config_path"],
                      "--as-of", _iso(now), "--start", start.isoformat(),
                      "--end", end.isoformat(), "--out", str(out))
        argv += ["--all-leads"] if scope == "all_leads" else []
        process = step(f"duckdb_{scope}", argv)
        duck[scope] = {"process": process}
        if process.get("exit") == 0 and out.exists():
            duck[scope] |= json.loads(out.read_text())

    cycle: dict[str, Any] = {}
    try:
        _say(f"  {prefix} changing {CHANGED_LEADS:,} leads in the emulator ...")
        cycle["change"] = _change_leads(emulator, root, CHANGED_LEADS, seed)
        as_of_cycle = _ceil_second(datetime.now(UTC))
        cycle["as_of"] = _iso(as_of_cycle)
        step("sync_incremental", [python, MANAGE, "sync_salesforce"])
        cycle["synced_rows"] = _synced_rows(workdir / "sync_incremental.out")
        step("compute_incremental", [python, MANAGE, "compute_metrics", "--as-of",
                                     _iso(as_of_cycle)])
        step("evaluate_alerts", [python, MANAGE, "evaluate_alerts", "--as-of",
                                 _iso(as_of_cycle)])
        cycle["compute_output"] = (
            (workdir / "compute_incremental.out").read_text(errors="replace").splitlines()[-3:]
        )
    except RuntimeError as exc:
        cycle["error"] = str(exc)
    if db != "sqlite":
        drop_database(PG_URL)  # up to a few GB at 1M leads, on a shared machine

    return _record(db, leads, info, floor, now, window, commands, synced, stored, export_rows,
                   duck, cycle, scaled)


def _ok(commands: dict[str, dict[str, Any]], *names: str) -> bool:
    return all(commands.get(n, {}).get("exit") == 0 for n in names)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _record(
    db: str, leads: int, info: dict, floor: dict, now: datetime, window: tuple[date, date],
    commands: dict[str, dict[str, Any]], synced: dict, stored: dict, export_rows: int | None,
    duck: dict[str, Any], cycle: dict[str, Any], scaled: dict[str, Any] | None = None,
) -> dict[str, Any]:
    def wall(name: str) -> float | None:
        return commands[name]["wall_s"] if _ok(commands, name) else None

    win = duck.get("window", {})
    every = duck.get("all_leads", {})
    duck_window = (win["load_s"] + win["query_s"]) if "load_s" in win else None
    duck_all = (every["load_s"] + every["query_s"]) if "load_s" in every else None
    # The floor is the pull itself, without the child's interpreter and Django start-up
    # (which the sync process does pay): the stricter reading.
    floor_s = floor.get("pull_s") if floor.get("exit") == 0 else None
    duck_process = win.get("process", {}).get("wall_s") if "load_s" in win else None
    cycle_names = ("sync_incremental", "compute_incremental", "evaluate_alerts")
    cycle_wall = (
        round(sum(commands[n]["wall_s"] for n in cycle_names), 2)
        if _ok(commands, *cycle_names) else None
    )
    backfill = commands.get("sync_backfill", {})
    compute = commands.get("compute_full", {})
    export = commands.get("export", {})
    ratios = {
        "backfill_wall_over_floor": _ratio(wall("sync_backfill"), floor_s),
        "export_over_duckdb_load_query": _ratio(wall("export"), duck_window),
        "compute_full_over_duckdb_all_leads": _ratio(wall("compute_full"), duck_all),
        # Both as whole processes (interpreter and imports included), for small orgs where
        # the export's Django start-up weighs.
        "export_over_duckdb_process": _ratio(wall("export"), duck_process),
    }
    ok_backfill, ok_compute, ok_export = (
        _ok(commands, "sync_backfill"), _ok(commands, "compute_full"), _ok(commands, "export"))
    checks = {
        "backfill_cpu_s": ok_backfill and backfill["cpu_s"] <= TARGETS["backfill_cpu_s"],
        "backfill_wall_over_floor": ratios["backfill_wall_over_floor"] is not None
        and ratios["backfill_wall_over_floor"] <= TARGETS["backfill_wall_over_floor"],
        "compute_full_wall_s": ok_compute
        and compute["wall_s"] <= TARGETS["compute_full_wall_s"],
        "compute_full_peak_rss_mb": ok_compute
        and compute["peak_rss_mb"] <= TARGETS["compute_full_peak_rss_mb"],
        "export_over_duckdb": ratios["export_over_duckdb_load_query"] is not None
        and ratios["export_over_duckdb_load_query"] <= TARGETS["export_over_duckdb"],
        "export_peak_rss_mb": ok_export
        and export["peak_rss_mb"] <= TARGETS["export_peak_rss_mb"],
        "incremental_cycle_wall_s": cycle_wall is not None
        and cycle_wall <= TARGETS["incremental_cycle_wall_s"],
    }
    if scaled is not None:  # PostgreSQL only
        checks["scale_out_speedup"] = scaled.get("verdict") == "met"
    failed = [n for n, r in commands.items() if r.get("exit") != 0]
    return {
        "name": f"scale_{leads // 1000}k_{db}",
        "leads": leads,
        "database": db,
        "backfill_wall_s": wall("sync_backfill"),
        "backfill_cpu_s": backfill.get("cpu_s"),
        "floor_wall_s": floor_s,
        "compute_full_wall_s": wall("compute_full"),
        "export_wall_s": wall("export"),
        "duckdb_load_query_s": round(duck_window, 3) if duck_window is not None else None,
        "incremental_cycle_wall_s": cycle_wall,
        "failed_commands": failed,
        "now": _iso(now),
        "export_window": [window[0].isoformat(), window[1].isoformat()],
        "export_groups": export_rows,
        "rows_synced": synced,
        "rows_stored": stored,
        "commands": commands,
        "emulator": {k: info.get(k) for k in (
            "seconds_to_start", "wall_to_ready_s", "scenario", "command", "rows", "usage_at_end")},
        "floor": floor,
        "duckdb": duck,
        "incremental": cycle,
        "scale_out": scaled,
        "ratios": ratios,
        "targets": TARGETS,
        "checks": checks,
        "verdict": "met" if all(checks.values()) and not failed else "MISSED",
    }


# --- the benchmark ----------------------------------------------------------------------------


def _window(now: datetime, config_path: str) -> tuple[date, date]:
    """The 42 local days (report timezone) ending the day before ``now``."""
    config = tomllib.loads(Path(config_path).read_text())
    tz = ZoneInfo(config.get("report", {}).get("timezone", "UTC"))
    end = now.astimezone(tz).date() - timedelta(days=1)
    return end - timedelta(days=WINDOW_DAYS - 1), end


@contextlib.contextmanager
def _workdir(label: str) -> Iterator[str]:
    """A temporary directory, kept (and named) with ``BENCH_SCALE_KEEP=1``: the SQLite
    database, the configuration and the logs of the run, for profiling a command after it."""
    if os.environ.get("BENCH_SCALE_KEEP") == "1":
        kept = tempfile.mkdtemp(prefix=f"bench_scale_{label}_")
        _say(f"[scale {label}] BENCH_SCALE_KEEP=1: the work directory {kept} is kept")
        yield kept
        return
    with tempfile.TemporaryDirectory(prefix=f"bench_scale_{label}_") as tmp:
        yield tmp


def run_size(leads: int, databases: Sequence[str]) -> list[dict[str, Any]]:
    """One emulator, the floor, then every database in turn."""
    label = f"{leads // 1000}k"
    # serve.py takes a second off --now; NOW is the org's now, a whole second.
    now = datetime.now(UTC).replace(microsecond=0)
    records = []
    with _workdir(label) as tmp:
        root = Path(tmp)
        _say(f"[scale {label}] starting the emulator ({leads:,} leads, scenario plain) ...")
        emulator, info = _start_emulator(leads, now + timedelta(seconds=1), root)
        try:
            facts = json.loads(Path(info["facts_path"]).read_text())
            info["scenario"] = "plain"
            info["rows"] = {k: v for k, v in facts.get("counts", {}).items()
                            if k in ("Lead", "LeadHistory", "Task", "Event", "User", "Group")}
            _say(f"  [scale {label}] emulator ready in {info['wall_to_ready_s']} s "
                 f"(generation + load {info['seconds_to_start']} s): {info['rows']}")
            window = _window(now, info["config_path"])
            floor_out = root / "floor.json"
            _say(f"  [scale {label}] serving floor (bulk2 pull) ...")
            floor = measure("floor", _child("floor", "--info", str(root / "emulator.json"),
                                            "--out", str(floor_out)), dict(os.environ), root)
            if floor.get("exit") == 0:
                floor |= json.loads(floor_out.read_text())
            _show(f"[scale {label}]", "floor", floor)
            _say(f"  [scale {label}] floor: the pulls took {floor.get('pull_s')} s: "
                 f"{floor.get('rows')}")
            for i, db in enumerate(databases):
                try:
                    records.append(run_database(db, leads, info, emulator, floor, now, window,
                                                root, seed=11 + i))
                except Exception as exc:  # e.g. PostgreSQL down: the other database still runs
                    _say(f"  [scale {label} {db}] FAILED: {exc!r}")
                    records.append(_failed_record(db, leads, now, exc))
                    continue
                info["usage_at_end"] = _proc_usage(emulator.pid)
                records[-1]["emulator"]["usage_at_end"] = info["usage_at_end"]
                _print_row(records[-1])
        finally:
            _stop(emulator)
    return records


def _failed_record(db: str, leads: int, now: datetime, exc: Exception) -> dict[str, Any]:
    return {
        "name": f"scale_{leads // 1000}k_{db}",
        "leads": leads,
        "database": db,
        "error": repr(exc),
        "now": _iso(now),
        "targets": TARGETS,
        "verdict": "MISSED",
    }


def _print_row(r: dict[str, Any]) -> None:
    def f(value: Any) -> str:
        return "-" if value is None else f"{value}"

    ratios = r["ratios"]
    scaled = (f"scale-out {f(r['scale_out'].get('speedup_2_over_1'))} x faster on 2 workers; "
              if r.get("scale_out") else "")
    _say(f"  {r['name']}: backfill {f(r['backfill_wall_s'])} s (cpu {f(r['backfill_cpu_s'])} s, "
         f"{f(ratios['backfill_wall_over_floor'])} x floor {f(r['floor_wall_s'])} s); compute "
         f"{f(r['compute_full_wall_s'])} s; export {f(r['export_wall_s'])} s "
         f"({f(ratios['export_over_duckdb_load_query'])} x duckdb "
         f"{f(r['duckdb_load_query_s'])} s); cycle {f(r['incremental_cycle_wall_s'])} s; "
         f"{scaled}{r['verdict']} {[k for k, v in r['checks'].items() if not v]}")


def run(scale: str = "full") -> list[dict[str, Any]]:
    override = os.environ.get("BENCH_SCALE_LEADS")
    sizes = (int(override),) if override else SIZES[scale]
    wanted = os.environ.get("BENCH_SCALE_DATABASES", ",".join(DATABASES))
    databases = [d.strip() for d in wanted.split(",") if d.strip() in DATABASES]
    records: list[dict[str, Any]] = []
    for leads in sizes:
        records += run_size(leads, databases)
    _print_table(records)
    return records


def _print_table(records: Sequence[dict[str, Any]]) -> None:
    """Seconds of wall time per record (backfill CPU in brackets), then the verdict."""
    columns = ("floor", "backfill", "compute", "export", "duckdb", "cycle")
    _say(f"  {'record':<22}" + "".join(f"{c:>17}" for c in columns) + "  verdict")
    for r in records:
        cells = [r.get("floor_wall_s"),
                 f"{r.get('backfill_wall_s')} ({r.get('backfill_cpu_s')})",
                 r.get("compute_full_wall_s"), r.get("export_wall_s"),
                 r.get("duckdb_load_query_s"), r.get("incremental_cycle_wall_s")]
        _say(f"  {r['name']:<22}" + "".join(f"{c!s:>17}" for c in cells)
             + f"  {r['verdict']}")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["--child", "emulator"]:
        return _child_emulator(argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=("floor", "duckdb"))
    parser.add_argument("--info", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--database")
    parser.add_argument("--config")
    parser.add_argument("--as-of", dest="as_of")
    parser.add_argument("--start")
    parser.add_argument("--end")
    parser.add_argument("--all-leads", action="store_true")
    parser.add_argument("--scale", choices=sorted(SIZES), default="small")
    args = parser.parse_args(argv)
    if args.child == "floor":
        return _child_floor(args.info, args.out)
    if args.child == "duckdb":
        return _child_duckdb(args)
    print(json.dumps(run(args.scale), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
