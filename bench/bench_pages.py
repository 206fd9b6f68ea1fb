"""Page-timing benchmark: the server time of every dashboard page, 10,000 vs 1,000,000 leads.

Two PostgreSQL databases, one per size (``routing_health_pages_bench`` and
``routing_health_pages_bench_large``, created when missing), are each filled straight from the
metric engine's synthetic org (``bench.frames``), the way
``compute_metrics``' full run writes: the leads' facts through ``lead_facts`` and
``rollups.fact_frame`` / ``store_facts`` (COPY), the rollups by ``rollups.write_rollups`` and
``ops_rollups.write_queue_rollups``; then one ``Lead`` row per lead (COPY), owners' names, a few
firing alert incidents, flow version changes and a fresh sync run. The org is shifted by whole
days so its "as of" is today: every page is requested with its default filters (the last 7
complete days). Each database keeps its load, so a later run measures without reloading.

Each page is requested in-process with Django's test ``Client`` (a signed-in user), twice per
size to warm up, then ``REQUESTS`` times per size, alternating between the two databases
request by request (small, large, then large, small, …): both sizes are measured over the same
seconds, so a burst of background work on this shared 2-core machine lands on both rather than
on whichever size happened to be timed then. The time of ``client.get`` is the server time (no
network). Then ``REQUESTS`` more per size with Django's cache cleared before each: the metric
pages cache their merged rollups until the next ``compute_metrics``, so the "cold" figures are
the first view after a compute (the other pages are unaffected unless they cache too). Each
size has its own connection, cache and session.
Targets: p95 ≤ 300 ms at 1M leads, and p95(1M) ≤ 1.5 × p95(10k) (the pages read rollups, so
their cost must not grow with the number of leads).

Run: ``python -m bench.run --only pages`` (``--scale small``: 10k vs 100k).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.support import database_name, drop_database, ensure_database

BENCH_DB = os.environ.get(
    "PAGES_BENCH_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/routing_health_pages_bench",
)
LARGE_BENCH_DB = os.environ.get("PAGES_BENCH_LARGE_DATABASE_URL", f"{BENCH_DB}_large")
PAGES = ("/", "/trends", "/segments", "/queues", "/failures", "/reps", "/alerts", "/health",
         "/leads")
MINE = frozenset({"/", "/trends", "/segments"})
# Heavier variants of the metric pages, reported but not part of the verdict.
EXTRA = ("/trends?split=region&grain=week", "/?clock=business", "/segments?start={month}")
REQUESTS = 20
WARMUP = 2
TARGET_P95_MS = 300.0
TARGET_RATIO = 1.5
FACT_CHUNK = 100_000
SIZES = {"full": (10_000, 1_000_000), "small": (10_000, 100_000)}
# Marks a database loaded by this version of ``_populate``; bump it when the stored rollups
# change, so an older load is rebuilt rather than measured with tables left empty.
LOAD_MARK = "bench-2-"


def _valid_id(prefix15: str) -> str:
    from routing_health.lib.sfid import to_18

    return to_18(prefix15)


def _config_toml(holding: tuple[str, str], fallback: tuple[str, str]) -> str:
    week = "\n".join(f'{day} = ["09:00-17:00"]' for day in
                     ("monday", "tuesday", "wednesday", "thursday", "friday"))
    calendars = "\n\n".join(
        f'[calendars.{name}]\ntimezone = "{zone}"\n{week}'
        for name, zone in (("amer", "America/New_York"), ("emea", "Europe/Berlin"),
                           ("apac", "Asia/Singapore"))
    )
    return f"""
[report]
timezone = "America/New_York"

[lead_fields]
region = "Region__c"
tier = "Rating"
failed_node = "Routing_Failed_Node__c"
extra = ["LeadSource"]

[owners]
holding = ["{holding[0]}", "{holding[1]}"]
fallback = ["{fallback[0]}", "{fallback[1]}"]

[statuses]
accepted = ["Working - Contacted"]
rejected = ["Closed - Not Converted"]
closed = ["Closed - Converted", "Closed - Not Converted"]

[regions.calendars]
AMER = "amer"
EMEA = "emea"
APAC = "apac"

[tiers]
default = "standard"

[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15

[tiers.sla.warm]
assign_minutes = 60
touch_minutes = 240

[tiers.sla.standard]
assign_minutes = 240
touch_minutes = 1440

{calendars}
"""


@dataclass
class _Database:
    """One size's database, with its own connection, cache and signed-in client."""

    url: str
    connection: Any
    cache: Any
    client: Any = None

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this database and cache Django's default ones for the block."""
        from django.core.cache import caches
        from django.db import connections

        previous = connections["default"], caches["default"]
        connections["default"], caches["default"] = self.connection, self.cache
        try:
            yield
        finally:
            connections["default"], caches["default"] = previous


def _setup(workdir: Path) -> tuple[dict[str, str], _Database, _Database]:
    """Django with a routing configuration matching the synthetic org, and the two sizes'
    databases (migrated)."""
    from bench.frames import FALLBACK, HOLDING

    owners = {
        HOLDING[0]: _valid_id("005HOLDINGUSER1"),
        HOLDING[1]: _valid_id("00GHOLDINGQUEU1"),
        FALLBACK[0]: _valid_id("00GFALLBACKQUE1"),
        FALLBACK[1]: _valid_id("005DEFAULTOWNE1"),
    }
    config_path = workdir / "routing_health.toml"
    config_path.write_text(
        _config_toml((owners[HOLDING[0]], owners[HOLDING[1]]),
                     (owners[FALLBACK[0]], owners[FALLBACK[1]])),
        encoding="utf-8",
    )
    os.environ.update(
        {
            "DATABASE_URL": BENCH_DB,
            "DJANGO_SETTINGS_MODULE": "routing_health.settings",
            "ROUTING_HEALTH_CONFIG": str(config_path),
            "ROUTING_HEALTH_DATA_DIR": str(workdir),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
        }
    )
    os.environ.pop("REDIS_URL", None)  # one in-process cache per size, not a shared Redis
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    import django

    django.setup()
    from django.core.cache.backends.locmem import LocMemCache
    from django.db import connections

    base = connections["default"]

    def database(url: str, label: str) -> _Database:
        settings = copy.deepcopy(base.settings_dict)
        settings["NAME"] = database_name(url)
        db = _Database(url, base.__class__(settings, alias="default"),
                       LocMemCache(f"pages-bench-{label}", {}))
        with db.active():
            _migrate(url)
        return db

    return owners, database(BENCH_DB, "small"), database(LARGE_BENCH_DB, "large")


def _migrate(url: str) -> None:
    """Create and migrate the active database; start it afresh if its schema is outdated."""
    from django.core.management import call_command
    from django.db import connection

    ensure_database(url)
    call_command("migrate", verbosity=0)
    if not _schema_matches():
        # A migration edited after this database applied it: start the database afresh.
        connection.close()
        drop_database(url)
        ensure_database(url)
        call_command("migrate", verbosity=0)


def _schema_matches() -> bool:
    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        for model in apps.get_app_config("routing_health").get_models():
            table = model._meta.db_table
            try:
                found = {c.name for c in connection.introspection.get_table_description(
                    cursor, table)}
            except Exception:
                return False
            if {f.column for f in model._meta.concrete_fields} - found:
                return False
    return True


def _loaded_size() -> int:
    from routing_health.models import Lead, MetricsState

    state = MetricsState.objects.filter(pk=1).first()
    if state is None or not state.config_fingerprint.startswith(LOAD_MARK):
        return 0
    wanted = int(state.config_fingerprint.removeprefix(LOAD_MARK))
    return wanted if Lead.objects.count() == wanted else 0


def _populate(leads: int, owners: dict[str, str]) -> dict[str, float]:
    """Replace the bench data with a synthetic org of ``leads`` leads; seconds per step."""
    import pandas as pd
    from django.db import connection, transaction

    from bench.frames import AS_OF, synthetic_frames
    from routing_health.facts.params import params_from_config
    from routing_health.metrics import lead_facts
    from routing_health.models import MetricsState
    from routing_health.rollups import service as rollups
    from routing_health.rollups.ops import write_queue_rollups
    from routing_health.salesforce import runtime

    steps: dict[str, float] = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        tables = [
            t for t in connection.introspection.table_names() if t.startswith("routing_health_")
        ]
        cursor.execute("TRUNCATE " + ", ".join(tables))
    org = synthetic_frames(leads, seed=7)
    now = datetime.now(UTC)
    shift = pd.Timedelta(days=(now - AS_OF.to_pydatetime()).days)
    as_of = (AS_OF + shift).to_pydatetime()
    frames = {}
    for name in ("leads", "owner_changes", "status_changes", "activities"):
        frame = getattr(org, name).copy()
        frame["created_at"] = frame["created_at"] + shift
        for column in ("owner_id", "old_owner_id", "new_owner_id"):
            if column in frame:
                frame[column] = frame[column].astype(object).replace(owners).astype("str")
        frames[name] = frame
    converted = frames["leads"]["converted_date"]
    frames["leads"]["converted_date"] = converted.map(
        lambda d: None if d is None else d + timedelta(days=shift.days)
    )
    names = {owners.get(k, k): v for k, v in org.owner_names.items()}
    steps["build_s"] = time.perf_counter() - started

    config = runtime.routing_config()
    params = params_from_config(config)
    mark = time.perf_counter()
    facts = lead_facts(frames["leads"], frames["owner_changes"], frames["status_changes"],
                       frames["activities"], names, params, as_of)
    steps["lead_facts_s"] = time.perf_counter() - mark

    # As compute_metrics' full run does: LeadFact rows (COPY, in chunks to bound memory),
    # then the rollups from the same facts.
    mark = time.perf_counter()
    inputs = []
    for i in range(0, len(facts), FACT_CHUNK):
        frame = rollups.fact_frame(facts.iloc[i : i + FACT_CHUNK], params, as_of,
                                   source="LeadSource")
        inputs.append(frame[list(rollups.FACT_INPUT)])
        with transaction.atomic():
            rollups.store_facts(frame)
    steps["facts_write_s"] = time.perf_counter() - mark

    mark = time.perf_counter()
    with transaction.atomic():
        rollups.write_rollups(pd.concat(inputs, ignore_index=True))
        write_queue_rollups(as_of, params.queue_age_limit_hours)
        MetricsState.objects.update_or_create(
            pk=1,
            defaults={"as_of": as_of, "config_fingerprint": f"{LOAD_MARK}{leads}",
                      "computed_seconds": time.perf_counter() - started},
        )
    steps["rollups_s"] = time.perf_counter() - mark

    mark = time.perf_counter()
    _copy_leads(frames["leads"], now)
    _context_rows(names, as_of, now)
    with connection.cursor() as cursor:
        # Settle the bulk load before timing: statistics, visibility map (index-only scans)
        # and dirty buffers written out, as on a database that is not mid-load; otherwise
        # autovacuum and the checkpointer run during the first size's requests.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    steps["leads_and_context_s"] = time.perf_counter() - mark
    steps["total_s"] = time.perf_counter() - started
    return {k: round(v, 1) for k, v in steps.items()}


def _copy_leads(leads: Any, now: datetime) -> None:
    """One ``Lead`` row per synthetic lead (``columnar_upsert.insert_frame``: COPY, column by
    column; the fields not given, such as the e-mail and website, take their defaults)."""
    import numpy as np
    import pandas as pd
    from django.db import transaction

    from routing_health.lib.columnar_upsert import insert_frame
    from routing_health.models import Lead

    source = leads["LeadSource"].astype(str)
    frame = pd.DataFrame({
        "id": leads["id"].astype(str),
        "name": leads["name"].astype(str),
        "company": leads["company"].astype(str),
        "created_at": leads["created_at"],
        "system_modstamp": leads["created_at"],
        "owner_id": leads["owner_id"].astype(str),
        "status": leads["status"].astype(str),
        "is_converted": leads["is_converted"].astype(bool),
        "converted_date": leads["converted_date"],
        "is_deleted": leads["is_deleted"].astype(bool),
        "region": leads["region"].astype(str),
        "tier": leads["tier"].astype(str),
        "failed_node": leads["failed_node"].astype(str),
        # JSON text, as the backfill writes it (the sources are plain words).
        "raw_fields": np.where(source != "", '{"LeadSource": "' + source + '"}', "{}"),
        "synced_at": pd.Timestamp(now),
    })
    with transaction.atomic():
        insert_frame(Lead, frame)


def _context_rows(names: dict[str, str], as_of: datetime, now: datetime) -> None:
    """Owners' names, firing incidents, flow version changes and a fresh sync run."""
    from routing_health.models import (
        AlertIncident,
        FlowVersionChange,
        Queue,
        SalesforceUser,
        SyncRun,
    )

    SalesforceUser.objects.bulk_create(
        SalesforceUser(id=i, name=n, system_modstamp=now) for i, n in names.items()
        if i.startswith("005")
    )
    Queue.objects.bulk_create(
        Queue(id=i, name=n, system_modstamp=now) for i, n in names.items() if i.startswith("00G")
    )
    incidents = [
        ("assignment_success", "EMEA", "hot", "", 0.962, 0.995, "<"),
        ("routing_failures", "EMEA", "hot", "Route > Territory", 14.0, 1.0, ">="),
        ("tta_p95", "APAC", "warm", "", 143.0, 60.0, ">"),
        ("queue_aging", "AMER", "hot", "", 61.5, 24.0, ">"),
    ]
    AlertIncident.objects.bulk_create(
        AlertIncident(
            fingerprint=f"bench-{n}", rule=rule, region=region, tier=tier,
            failure_reason=reason, state="firing", first_seen=as_of - timedelta(hours=5 + n),
            last_seen=as_of, current_value=value, threshold=threshold, comparison=comparison,
            sample=40,
        )
        for n, (rule, region, tier, reason, value, threshold, comparison) in enumerate(incidents)
    )
    FlowVersionChange.objects.bulk_create(
        FlowVersionChange(flow_api_name=api, label=label, new_active_version_id=version,
                          changed_at=as_of - timedelta(days=days))
        for api, label, version, days in (
            ("Lead_Router", "Lead Router", "3018d000OZBh9AIAYZ", 3),
            ("Lead_Enrichment", "Lead Enrichment", "3018d000xLDY52XAQT", 5),
        )
    )
    SyncRun.objects.create(object_name="Lead", mode="rest", status="succeeded",
                           started_at=now - timedelta(seconds=20), finished_at=now)


def _time_pages(paths: tuple[str, ...], dbs: dict[int, _Database]) -> dict[int, dict]:
    """Per size and page: ``REQUESTS`` timed requests as they come (``median_ms``/``p95_ms``: a
    page's cache, if any, is warm after the first view), then ``REQUESTS`` with every cache
    cleared before each (``cold_*``: the first view after a ``compute_metrics``); queries of a
    cold request. The sizes take turns request by request, each starting every other round."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for db in dbs.values():
        with db.active():
            user, _ = get_user_model().objects.get_or_create(username="bench")
            db.client = Client()
            db.client.force_login(user)
    sizes = list(dbs)
    results: dict[int, dict[str, dict[str, Any]]] = {size: {} for size in sizes}

    def get(size: int, path: str) -> float:
        with dbs[size].active():
            started = time.perf_counter()
            response = dbs[size].client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code} at {size:,} leads")
        return elapsed

    def timed(path: str, *, cold: bool) -> dict[int, list[float]]:
        samples: dict[int, list[float]] = {size: [] for size in sizes}
        for turn in range(REQUESTS):
            for size in sizes if turn % 2 == 0 else reversed(sizes):
                if cold:
                    dbs[size].cache.clear()
                samples[size].append(get(size, path))
        return samples

    for path in paths:
        try:
            queries = {}
            for size in sizes:
                for _ in range(WARMUP):
                    get(size, path)
                dbs[size].cache.clear()
                with dbs[size].active():
                    with CaptureQueriesContext(connection) as captured:
                        dbs[size].client.get(path)
                    queries[size] = len(captured)  # now: later requests reset the query log
            warm, cold = timed(path, cold=False), timed(path, cold=True)
            for size in sizes:
                results[size][path] = {
                    "status": 200,
                    "median_ms": round(float(np.median(warm[size])), 1),
                    "p95_ms": round(float(np.percentile(warm[size], 95)), 1),
                    "cold_median_ms": round(float(np.median(cold[size])), 1),
                    "cold_p95_ms": round(float(np.percentile(cold[size], 95)), 1),
                    "queries": queries[size],
                }
        except Exception as exc:  # another page may be mid-change: report, do not stop
            for size in sizes:
                results[size][path] = {
                    "status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]
                }
    return results


def run(scale: str = "full") -> dict[str, Any]:
    small, large = SIZES.get(scale, SIZES["full"])
    with tempfile.TemporaryDirectory(prefix="rh-pages-bench-") as tmp:
        owners, small_db, large_db = _setup(Path(tmp))
        month = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
        paths = PAGES + tuple(p.format(month=month) for p in EXTRA)
        dbs = {small: small_db, large: large_db}
        loads: dict[int, dict[str, float]] = {}
        for size, db in dbs.items():
            with db.active():
                if _loaded_size() != size:
                    print(f"  loading {size:,} leads into {database_name(db.url)} …", flush=True)
                    loads[size] = _populate(size, owners)
                    print(f"  loaded: {loads[size]}", flush=True)
        timings = _time_pages(paths, dbs)
        for db in dbs.values():
            db.connection.close()
    rows = [_row(path, timings[small][path], timings[large][path], small, large)
            for path in paths]
    _print(rows, small, large)
    judged = [r for r in rows if r["in_verdict"]]
    mine = [r for r in judged if r["owner"] == "metric pages"]
    big = f"p95_ms_{large // 1000}k"
    return {
        "name": f"pages_{small // 1000}k_vs_{large // 1000}k",
        "leads": [small, large],
        "pages_met": sum(r["met"] for r in judged),
        "pages_checked": len(judged),
        "metric_pages_met": all(r["met"] for r in mine),
        "metric_pages_cold_met": all(r["cold_met"] for r in mine),
        "worst_p95_ms_large": max((r[big] or 0) for r in judged),
        "worst_ratio": max((r["ratio_p95"] or 0) for r in judged),
        "target_p95_ms": TARGET_P95_MS,
        "target_ratio": TARGET_RATIO,
        "requests_per_page": REQUESTS,
        "database": "postgresql",
        "interleaved": True,
        "loads": {str(k): v for k, v in loads.items()},
        "verdict": "met" if all(r["met"] for r in judged) else "MISSED",
        "pages": rows,
        "note": "in-process Django test Client, signed in, default filters (last 7 days); "
        "p95 over 20 requests as they come, cold_* with the cache cleared before each; "
        "one database per size, requests alternating between them; "
        "a 2-core machine shared with other work",
    }


def _row(path: str, a: dict[str, Any], b: dict[str, Any], small: int, large: int) -> dict:
    """One page's figures at both sizes, and whether it meets the targets (as it comes and
    cold)."""
    ok = a.get("status") == 200 and b.get("status") == 200

    def judge(key: str) -> tuple[float | None, bool]:
        if not ok or not a[key]:
            return None, False
        ratio = b[key] / a[key]
        return ratio, b[key] <= TARGET_P95_MS and ratio <= TARGET_RATIO

    ratio, met = judge("p95_ms")
    cold_ratio, cold_met = judge("cold_p95_ms")
    s, g = f"{small // 1000}k", f"{large // 1000}k"
    return {
        "page": path,
        "owner": "metric pages" if path.split("?")[0] in MINE else "other pages",
        "in_verdict": path in PAGES,
        f"median_ms_{s}": a.get("median_ms"),
        f"p95_ms_{s}": a.get("p95_ms"),
        f"median_ms_{g}": b.get("median_ms"),
        f"p95_ms_{g}": b.get("p95_ms"),
        "ratio_p95": None if ratio is None else round(ratio, 2),
        f"cold_p95_ms_{s}": a.get("cold_p95_ms"),
        f"cold_p95_ms_{g}": b.get("cold_p95_ms"),
        "cold_ratio_p95": None if cold_ratio is None else round(cold_ratio, 2),
        "queries": b.get("queries"),
        "met": met,
        "cold_met": cold_met,
        "error": a.get("error") or b.get("error") or "",
    }


def _print(rows: list[dict[str, Any]], small: int, large: int) -> None:
    s, b = f"{small // 1000}k", f"{large // 1000}k"
    print(f"  {'page':<36} {'med ' + s:>9} {'p95 ' + s:>9} {'med ' + b:>9} {'p95 ' + b:>9} "
          f"{'ratio':>6} │ {'cold p95 ' + s:>13} {'cold p95 ' + b:>14} {'ratio':>6} {'q':>3}  "
          "verdict")

    def cell(r: dict[str, Any], key: str) -> str:
        value = r.get(key)
        return "—" if value is None else f"{value:.1f}"

    for r in rows:
        verdict = ("met" if r["met"] else "MISSED") if r["in_verdict"] else "(extra)"
        verdict += f" / cold {'met' if r['cold_met'] else 'MISSED'}"
        if r["error"]:
            verdict += f"  {r['error'][:60]}"
        print(f"  {r['page']:<36} {cell(r, 'median_ms_' + s):>9} {cell(r, 'p95_ms_' + s):>9} "
              f"{cell(r, 'median_ms_' + b):>9} {cell(r, 'p95_ms_' + b):>9} "
              f"{cell(r, 'ratio_p95'):>6} │ {cell(r, 'cold_p95_ms_' + s):>13} "
              f"{cell(r, 'cold_p95_ms_' + b):>14} {cell(r, 'cold_ratio_p95'):>6} "
              f"{r['queries'] or '—':>3}  {verdict}")


if __name__ == "__main__":
    print(json.dumps(run(os.environ.get("BENCH_SCALE", "full")), indent=2, default=str))
