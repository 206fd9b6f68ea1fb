"""Metrics benchmark: the pandas engine against a DuckDB SQL reference, and ``compute_metrics``.

On one synthetic org (``bench.frames.synthetic_frames``: 1,000,000 leads
at scale "full", about 1.8 owner and 1.2 status changes and 1 activity per lead; 100,000 at
"small"), in one ``make bench`` run:

1. **pandas engine**: ``lead_facts`` + ``group_metrics`` by (region, tier) and by day, timed in
   a fresh subprocess that first loads the input frames (pickled by a builder subprocess).
   Peak memory is that process's peak RSS (``VmHWM``) while computing, its inputs included:
   the high-water mark is reset (``/proc/self/clear_refs``) after the inputs are loaded, so
   unpickling does not count; ``ru_maxrss`` of the whole process is reported too.
2. **DuckDB reference** (``bench.duckdb_reference``): the same facts and groupings in SQL over
   the same frames, in another fresh subprocess (registration included in its time), then an
   agreement check against the engine's output: every metric of every group (counts exact,
   floats within 1e-9 relative, null against null) and every per-lead fact.
3. **compute_metrics on PostgreSQL** (``BENCH_DATABASE_URL``): the same org COPYed into the
   synced tables, ``compute_metrics(full=True)``, then 1,000 leads changed (a new status change
   and a re-sync stamp) and an incremental ``compute_metrics`` at the same ``as_of``; twice:
   1,000 leads spread over all days, and 1,000 leads created in the last two days.

The steps run one after another, never concurrently. Targets (2-core machine): full compute
≤ 30 s, peak memory ≤ 3 GB, pandas/DuckDB ≤ 3, incremental after 1,000 changed leads ≤ 5 s.
Usage: ``python -m bench.run --only metrics [--scale small]`` or ``python -m bench.bench_metrics``.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from bench.support import ensure_database

LEADS = {"full": 1_000_000, "small": 100_000}
ROUNDS = 2
"""Engine and DuckDB runs alternate this many times (fresh processes); the best time counts,
the highest peak memory counts, and every round's agreement check must pass."""
GROUPINGS = (("region", "tier"), ("day",))
CHANGED_LEADS = 1_000
TARGET_SECONDS = 30.0
TARGET_PEAK_MB = 3 * 1024
TARGET_RATIO = 3.0
TARGET_INCREMENTAL_SECONDS = 5.0
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/routing_health_bench"
)
# The bench org's holding/fallback Ids are not valid 18-character Ids (their checksum), which
# the configuration file rejects; the PostgreSQL copy uses their valid forms.
VALID_ID = {
    "005HOLDING00000001": "005HOLDING00000Y5A",
    "00GHOLDING00000001": "00GHOLDING0000025A",
    "00GFALLBACK0000001": "00GFALLBACK000025B",
    "005DEFAULTOWNER001": "005DEFAULTOWNERY55",
}
CONFIG_TOML = """
[report]
timezone = "America/New_York"

[lead_fields]
extra = ["LeadSource"]

[owners]
holding = ["005HOLDING00000Y5A", "00GHOLDING0000025A"]
fallback = ["00GFALLBACK000025B", "005DEFAULTOWNERY55"]

[statuses]
accepted = ["Working - Contacted"]
rejected = ["Closed - Not Converted"]
closed = ["Closed - Converted", "Closed - Not Converted"]

[tiers]
default = "standard"
[tiers.by_value]
Hot = "hot"
Warm = "warm"
[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15
[tiers.sla.warm]
assign_minutes = 60
touch_minutes = 240
[tiers.sla.standard]
assign_minutes = 240
touch_minutes = 1440
"""


# --- measuring helpers ------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    """Reset this process's peak RSS (VmHWM) to its current RSS; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _process_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _save_inputs(org: Any, workdir: Path) -> None:
    """Pickle a ``SyntheticOrg`` (its params as plain fields: mapping proxies do not pickle)."""
    params = {f.name: getattr(org.params, f.name) for f in fields(org.params)}
    params = {k: dict(v) if isinstance(v, MappingProxyType) else v for k, v in params.items()}
    state = {f.name: getattr(org, f.name) for f in fields(org)}
    state["params"] = params
    with open(workdir / "org.pickle", "wb") as handle:
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _load_inputs(workdir: Path) -> Any:
    from bench.frames import SyntheticOrg
    from routing_health.metrics import MetricParams

    with open(workdir / "org.pickle", "rb") as handle:
        state = pickle.load(handle)
    state["params"] = MetricParams(**state["params"])
    return SyntheticOrg(**state)


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- children ---------------------------------------------------------------------------------


def _child_build(workdir: Path, leads: int) -> dict[str, Any]:
    from bench.frames import synthetic_frames

    started = time.perf_counter()
    org = synthetic_frames(leads)
    _save_inputs(org, workdir)
    return {
        "build_seconds": round(time.perf_counter() - started, 2),
        "leads": len(org.leads),
        "owner_changes": len(org.owner_changes),
        "status_changes": len(org.status_changes),
        "activities": len(org.activities),
        "history_rows": len(org.owner_changes) + len(org.status_changes),
    }


def _child_engine(workdir: Path) -> dict[str, Any]:
    from routing_health.metrics import group_metrics, lead_facts_of

    org = _load_inputs(workdir)
    inputs_mb = _status_mb("VmRSS")
    reset = _reset_peak()
    started = time.perf_counter()
    facts = lead_facts_of(org, org.params, org.as_of)
    facts_done = time.perf_counter()
    grouped = [group_metrics(facts, list(by), org.params) for by in GROUPINGS]
    seconds = time.perf_counter() - started
    peak_mb = _status_mb("VmHWM") if reset else _process_peak_mb()
    with open(workdir / "engine.pickle", "wb") as handle:
        pickle.dump({"facts": facts, "grouped": grouped}, handle, pickle.HIGHEST_PROTOCOL)
    return {
        "seconds": seconds,
        "lead_facts_seconds": facts_done - started,
        "group_seconds": seconds - (facts_done - started),
        "facts_rows": len(facts),
        "groups": [len(g) for g in grouped],
        "inputs_rss_mb": inputs_mb,
        "peak_mb": peak_mb,
        "peak_method": "VmHWM reset after loading inputs" if reset else "ru_maxrss",
        "process_peak_mb": _process_peak_mb(),
    }


def _child_duckdb(workdir: Path) -> dict[str, Any]:
    import duckdb

    from bench.duckdb_reference import (
        build_facts,
        compare_facts,
        compare_metrics,
        fetch_facts,
        group_facts,
        register_frames,
    )

    org = _load_inputs(workdir)
    inputs_mb = _status_mb("VmRSS")
    reset = _reset_peak()
    started = time.perf_counter()
    con = duckdb.connect()
    register_frames(
        con, org.leads, org.owner_changes, org.status_changes, org.activities, org.owner_names
    )
    extras = build_facts(con, org.params, org.as_of)
    grouped = [group_facts(con, list(by), org.params, extras) for by in GROUPINGS]
    seconds = time.perf_counter() - started
    peak_mb = _status_mb("VmHWM") if reset else _process_peak_mb()
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]

    with open(workdir / "engine.pickle", "rb") as handle:
        engine = pickle.load(handle)
    problems: list[str] = []
    for by, ours, theirs in zip(GROUPINGS, engine["grouped"], grouped, strict=True):
        problems += [f"by {','.join(by)}: {p}" for p in compare_metrics(ours, theirs, by)]
    fact_cells, fact_notes = compare_facts(engine["facts"], fetch_facts(con))
    return {
        "seconds": seconds,
        "threads": int(threads),
        "duckdb_version": duckdb.__version__,
        "inputs_rss_mb": inputs_mb,
        "peak_mb": peak_mb,
        "metric_mismatches": len(problems),
        "metric_mismatch_examples": problems[:20],
        "fact_mismatch_cells": fact_cells,
        "fact_mismatch_examples": fact_notes,
        "groups_compared": [len(g) for g in grouped],
    }


# --- PostgreSQL --------------------------------------------------------------------------------


def _valid_ids(values: pd.Series) -> pd.Series:
    return values.astype(object).replace(VALID_ID).fillna("")


def _copy_frame(cursor: Any, table: str, frame: pd.DataFrame, nullable: tuple[str, ...]) -> None:
    """COPY a frame (columns named as the table's) as CSV, in chunks of 200,000 rows."""
    columns = list(frame.columns)
    not_null = [
        c
        for c in columns
        if c not in nullable
        and (frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype))
    ]
    force = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})"
    raw = cursor.cursor
    for start in range(0, len(frame), 200_000):
        buffer = io.StringIO()
        frame.iloc[start : start + 200_000].to_csv(buffer, header=False, index=False)
        with raw.copy(sql) as copy:
            copy.write(buffer.getvalue())


def _times(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def _load_postgres(org: Any, synced: pd.Timestamp) -> dict[str, float]:
    from django.db import connection, transaction

    from routing_health.models import (
        Activity,
        Lead,
        OwnerChange,
        Queue,
        SalesforceUser,
        StatusChange,
    )

    leads = org.leads
    names = {VALID_ID.get(k, k): v for k, v in org.owner_names.items()}
    users = [k for k in names if k.startswith("005")]
    queues = [k for k in names if k.startswith("00G")]
    frames = {
        SalesforceUser: pd.DataFrame(
            {
                "id": users,
                "name": [names[k] for k in users],
                "is_active": True,
                "time_zone_sid_key": "America/New_York",
                "user_role_id": "",
                "system_modstamp": synced,
            }
        ),
        Queue: pd.DataFrame(
            {
                "id": queues,
                "name": [names[k] for k in queues],
                "developer_name": [names[k].replace(" ", "_") for k in queues],
                "system_modstamp": synced,
            }
        ),
        Lead: pd.DataFrame(
            {
                "id": leads["id"].astype(object),
                "name": leads["name"].astype(object),
                "company": leads["company"].astype(object),
                "created_at": _times(leads["created_at"]),
                "system_modstamp": _times(leads["created_at"]),
                "owner_id": _valid_ids(leads["owner_id"]),
                "status": leads["status"].astype(object),
                "is_converted": leads["is_converted"].astype(bool),
                "converted_date": leads["converted_date"],
                "converted_contact_id": leads["converted_contact_id"].astype(object),
                "is_deleted": leads["is_deleted"].astype(bool),
                "region": leads["region"].astype(object).fillna(""),
                "tier": leads["tier"].astype(object).fillna(""),
                "failed_node": leads["failed_node"].astype(object).fillna(""),
                "rejection_reason": leads["rejection_reason"].astype(object).fillna(""),
                "raw_fields": '{"LeadSource": "' + leads["LeadSource"].astype(str) + '"}',
                "synced_at": synced,
            }
        ),
        OwnerChange: pd.DataFrame(
            {
                "id": org.owner_changes["id"].astype(object),
                "lead_id": org.owner_changes["lead_id"].astype(object),
                "created_at": _times(org.owner_changes["created_at"]),
                "created_by_id": "",
                "old_owner_id": _valid_ids(org.owner_changes["old_owner_id"]),
                "new_owner_id": _valid_ids(org.owner_changes["new_owner_id"]),
                "synced_at": synced,
            }
        ),
        StatusChange: pd.DataFrame(
            {
                "id": org.status_changes["id"].astype(object),
                "lead_id": org.status_changes["lead_id"].astype(object),
                "created_at": _times(org.status_changes["created_at"]),
                "created_by_id": "",
                "old_status": org.status_changes["old_status"].astype(object),
                "new_status": org.status_changes["new_status"].astype(object),
                "synced_at": synced,
            }
        ),
        Activity: pd.DataFrame(
            {
                "id": org.activities["id"].astype(object),
                "kind": "Task",
                "who_id": org.activities["lead_id"].astype(object),
                "lead_id": org.activities["lead_id"].astype(object),
                "owner_id": _valid_ids(org.activities["owner_id"]),
                "created_at": _times(org.activities["created_at"]),
                "system_modstamp": _times(org.activities["created_at"]),
                "subject": "Call",
                "is_deleted": org.activities["is_deleted"].astype(bool),
                "synced_at": synced,
            }
        ),
    }
    seconds: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for model, frame in frames.items():
            started = time.perf_counter()
            _copy_frame(cursor, model._meta.db_table, frame, nullable=("converted_date",))
            seconds[model.__name__] = round(time.perf_counter() - started, 2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return seconds


def _change_leads(ids: list[str], at: pd.Timestamp, tag: str) -> None:
    """Re-sync ``ids`` with a new status change into an accepted status at ``at``."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    rows = pd.DataFrame(
        {
            "id": [f"017{tag}{i:014d}"[:18] for i in range(len(ids))],
            "lead_id": ids,
            "created_at": at,
            "created_by_id": "",
            "old_status": "Open",
            "new_status": "Working - Contacted",
            "synced_at": now,
        }
    )
    with transaction.atomic(), connection.cursor() as cursor:
        _copy_frame(cursor, "routing_health_statuschange", rows, nullable=())
        cursor.execute(
            "UPDATE routing_health_lead SET synced_at = %s, status = 'Working - Contacted' "
            "WHERE id = ANY(%s)",
            [now, ids],
        )


def _child_postgres(workdir: Path) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = BENCH_DB
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "routing_health.settings"
    ensure_database(BENCH_DB)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from routing_health.config import parse_config
    from routing_health.facts.params import params_from_config
    from routing_health.models import LeadFact
    from routing_health.rollups.service import compute_metrics

    org = _load_inputs(workdir)
    config = parse_config(CONFIG_TOML, source="bench")
    params = params_from_config(config)
    same = {
        name: getattr(params, name) == getattr(org.params, name)
        for name in (
            "accepted_statuses",
            "rejected_statuses",
            "closed_statuses",
            "routing_grace_minutes",
            "bounce_hours",
            "accept_hours",
            "queue_age_limit_hours",
            "tier_sla",
            "default_tier_sla",
            "report_timezone",
        )
    }
    if not all(same.values()) or params.holding != {VALID_ID[h] for h in org.params.holding}:
        raise RuntimeError(f"the bench configuration does not match the org's params: {same}")

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        tables = [
            t for t in connection.introspection.table_names() if t.startswith("routing_health_")
        ]
        cursor.execute("TRUNCATE " + ", ".join(tables))
    started = time.perf_counter()
    copy_seconds = _load_postgres(org, pd.Timestamp(timezone.now()))
    load_seconds = time.perf_counter() - started

    # The changed leads are drawn now, so the inputs can be dropped before compute_metrics
    # runs: its peak memory is then its own (plus the interpreter and Django).
    rng = np.random.default_rng(3)
    live = org.leads[~org.leads["is_deleted"] & (org.leads["created_at"] <= org.as_of)]
    spread = rng.choice(live["id"].to_numpy(dtype=object), CHANGED_LEADS, replace=False)
    recent_pool = live[live["created_at"] > org.as_of - pd.Timedelta(days=2)]["id"]
    recent = rng.choice(recent_pool.to_numpy(dtype=object), CHANGED_LEADS, replace=False)
    as_of_stamp = org.as_of
    as_of = as_of_stamp.to_pydatetime()
    del org, live, recent_pool
    gc.collect()

    rss_before = _status_mb("VmRSS")
    reset = _reset_peak()
    full = _timed_compute(compute_metrics, config=config, as_of=as_of, full=True)
    full["peak_mb"] = _status_mb("VmHWM") if reset else None
    full["rss_before_mb"] = rss_before
    facts_stored = LeadFact.objects.count()

    runs = {}
    for tag, ids in (("spread", spread), ("recent", recent)):
        _change_leads([str(i) for i in ids], as_of_stamp - pd.Timedelta(minutes=1), tag[:1].upper())
        runs[tag] = _timed_compute(compute_metrics, config=config, as_of=as_of)
    return {
        "load_seconds": load_seconds,
        "copy_seconds": copy_seconds,
        "full_compute_metrics_seconds": full["seconds"],
        "full": full,
        "facts_stored": facts_stored,
        "incremental": runs,
        "process_peak_mb": _process_peak_mb(),
    }


def _timed_compute(compute: Any, **kwargs: Any) -> dict[str, Any]:
    """Run ``compute_metrics`` and split its time with its progress messages: choosing the
    leads, loading + ``lead_facts``, storing facts + rewriting the daily rollups."""
    marks: list[float] = []
    started = time.perf_counter()
    outcome = compute(progress=lambda _message: marks.append(time.perf_counter()), **kwargs)
    seconds = time.perf_counter() - started
    phases = {}
    if len(marks) >= 3:
        phases = {
            "select_leads": round(marks[0] - started, 2),
            "load_and_facts": round(marks[1] - marks[0], 2),
            "store_and_rollups": round(marks[-1] - marks[1], 2),
        }
    return {
        "seconds": seconds,
        "mode": outcome.mode,
        "leads_recomputed": outcome.leads_recomputed,
        "rollup_rows_written": outcome.rollup_rows_written,
        "phases_seconds": phases,
    }


CHILDREN = {
    "build": _child_build,
    "engine": _child_engine,
    "duckdb": _child_duckdb,
    "postgres": _child_postgres,
}


def _spawn(part: str, workdir: Path, leads: int) -> dict[str, Any]:
    out = workdir / f"{part}.json"
    command = [sys.executable, "-m", "bench.bench_metrics", "--child", part]
    command += ["--workdir", str(workdir), "--leads", str(leads)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=Path(__file__).resolve().parents[1], check=False)
    if done.returncode != 0 or not out.exists():
        return {"error": f"{part} child exited with {done.returncode}"}
    result = json.loads(out.read_text())
    result["child_wall_seconds"] = round(time.perf_counter() - started, 2)
    return result


# --- the benchmark ----------------------------------------------------------------------------


def run(scale: str = "full", *, postgres: bool = True) -> list[dict[str, Any]]:
    leads = LEADS[scale]
    label = "1m" if leads == 1_000_000 else f"{leads // 1000}k"
    load_before = _loadavg()
    with tempfile.TemporaryDirectory(prefix="bench_metrics_") as tmp:
        workdir = Path(tmp)
        built = _spawn("build", workdir, leads)
        if "error" in built:
            raise RuntimeError(built["error"])
        engines, ducks = [], []
        for _ in range(ROUNDS):
            engines.append(_spawn("engine", workdir, leads))
            ducks.append(_spawn("duckdb", workdir, leads))
        pg = _spawn("postgres", workdir, leads) if postgres else {"error": "skipped"}
    load_after = _loadavg()

    engine = _best(engines)
    duck = _best(ducks)
    pandas_s = engine.get("seconds")
    duck_s = duck.get("seconds")
    ratio = pandas_s / duck_s if pandas_s and duck_s else None
    agree = (
        "error" not in duck and duck["metric_mismatches"] == 0 and duck["fact_mismatch_cells"] == 0
    )
    incremental = pg.get("incremental", {})
    spread = incremental.get("spread", {}).get("seconds")
    recent = incremental.get("recent", {}).get("seconds")
    checks = {
        "full_compute_seconds": pandas_s is not None and pandas_s <= TARGET_SECONDS,
        "peak_mb": engine.get("peak_mb") is not None and engine["peak_mb"] <= TARGET_PEAK_MB,
        "ratio": ratio is not None and ratio <= TARGET_RATIO,
        "agree": agree,
        "incremental_seconds_1000": spread is not None and spread <= TARGET_INCREMENTAL_SECONDS,
        "incremental_seconds_1000_recent": (
            recent is not None and recent <= TARGET_INCREMENTAL_SECONDS
        ),
    }
    record = {
        "name": f"metrics_{label}",
        "leads": leads,
        "history_rows": built["history_rows"],
        "activities": built["activities"],
        "pandas_seconds": _round(pandas_s),
        "pandas_peak_mb": _round(engine.get("peak_mb"), 0),
        "duckdb_seconds": _round(duck_s),
        "ratio": _round(ratio),
        "agree": agree,
        "incremental_seconds_1000": _round(spread),
        "incremental_seconds_1000_recent": _round(recent),
        "full_compute_metrics_seconds": _round(pg.get("full_compute_metrics_seconds")),
        "target_seconds": TARGET_SECONDS,
        "target_peak_mb": TARGET_PEAK_MB,
        "target_ratio": TARGET_RATIO,
        "target_incremental_seconds": TARGET_INCREMENTAL_SECONDS,
        "checks": checks,
        "verdict": "met" if all(checks.values()) else "MISSED",
        "load_average_before_after": [load_before, load_after],
        "cpus": os.cpu_count(),
        "pandas_seconds_rounds": [_round(e.get("seconds")) for e in engines],
        "duckdb_seconds_rounds": [_round(d.get("seconds")) for d in ducks],
        "detail": {"build": built, "engine": engine, "duckdb": duck, "postgres": pg},
    }
    _print_summary(record)
    return [record]


def _best(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest round, with the highest peak memory and the worst agreement of all."""
    done = [r for r in rounds if "error" not in r]
    if not done:
        return rounds[0]
    best = dict(min(done, key=lambda r: r["seconds"]))
    best["peak_mb"] = max(r["peak_mb"] for r in done)
    for key, examples in (
        ("metric_mismatches", "metric_mismatch_examples"),
        ("fact_mismatch_cells", "fact_mismatch_examples"),
    ):
        if key in best:
            worst = max(done, key=lambda r, key=key: r[key])
            best[key], best[examples] = worst[key], worst[examples]
    if len(done) < len(rounds):
        best["failed_rounds"] = len(rounds) - len(done)
    return best


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _print_summary(r: dict[str, Any]) -> None:
    d = r["detail"]
    engine, duck, pg = d["engine"], d["duckdb"], d["postgres"]

    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    c = r["checks"]
    lines = [
        f"  metrics benchmark: {r['leads']:,} leads, {r['history_rows']:,} history rows, "
        f"{r['activities']:,} activities ({r['cpus']} CPUs, load {r['load_average_before_after']})",
        f"  pandas engine   {r['pandas_seconds']} s (lead_facts "
        f"{_round(engine.get('lead_facts_seconds'))} s + groups "
        f"{_round(engine.get('group_seconds'))} s; rounds {r['pandas_seconds_rounds']})  "
        f"target ≤ {TARGET_SECONDS:g} s  {mark(c['full_compute_seconds'])}",
        f"  pandas peak     {r['pandas_peak_mb']} MB ({engine.get('peak_method')}; inputs "
        f"{_round(engine.get('inputs_rss_mb'), 0)} MB)  target ≤ {TARGET_PEAK_MB} MB  "
        f"{mark(c['peak_mb'])}",
        f"  duckdb          {r['duckdb_seconds']} s ({duck.get('threads')} threads, peak "
        f"{_round(duck.get('peak_mb'), 0)} MB; rounds {r['duckdb_seconds_rounds']})",
        f"  ratio pandas/duckdb {r['ratio']}  target ≤ {TARGET_RATIO:g}  {mark(c['ratio'])}",
        f"  agreement       {mark(c['agree'])}: {duck.get('metric_mismatches')} metric and "
        f"{duck.get('fact_mismatch_cells')} per-lead fact mismatches",
    ]
    for example in (duck.get("metric_mismatch_examples") or [])[:5]:
        lines.append(f"      {example}")
    for example in (duck.get("fact_mismatch_examples") or [])[:5]:
        lines.append(f"      {example}")
    if "error" in pg:
        lines.append(f"  compute_metrics: {pg['error']}")
    else:
        inc, full = pg["incremental"], pg["full"]
        lines += [
            f"  PostgreSQL load {_round(pg['load_seconds'])} s; compute_metrics full "
            f"{r['full_compute_metrics_seconds']} s ({pg['facts_stored']:,} facts, peak "
            f"{_round(full.get('peak_mb'), 0)} MB from {_round(full.get('rss_before_mb'), 0)} MB, "
            f"phases {full['phases_seconds']})",
            f"  incremental, {CHANGED_LEADS:,} leads over all days: "
            f"{r['incremental_seconds_1000']} s "
            f"({inc['spread']['leads_recomputed']} leads, "
            f"{inc['spread']['rollup_rows_written']} rollup rows, "
            f"phases {inc['spread']['phases_seconds']})"
            f"  target ≤ {TARGET_INCREMENTAL_SECONDS:g} s  {mark(c['incremental_seconds_1000'])}",
            f"  incremental, {CHANGED_LEADS:,} leads of the last 2 days: "
            f"{r['incremental_seconds_1000_recent']} s ({inc['recent']['leads_recomputed']} leads, "
            f"{inc['recent']['rollup_rows_written']} rollup rows, "
            f"phases {inc['recent']['phases_seconds']})  "
            f"{mark(c['incremental_seconds_1000_recent'])}",
        ]
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--leads", type=int, default=LEADS["full"])
    parser.add_argument("--scale", choices=sorted(LEADS), default="full")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        child = CHILDREN[args.child]
        result = child(args.workdir, args.leads) if args.child == "build" else child(args.workdir)
        (args.workdir / f"{args.child}.json").write_text(json.dumps(result, default=str))
        return 0
    print(json.dumps(run(args.scale, postgres=not args.no_postgres), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
