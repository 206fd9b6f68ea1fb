"""Incremental, idempotent, resumable sync of Salesforce objects into our tables.

Per object a watermark (``SyncState``) says how far the committed data reaches. A run reads
from the watermark minus an overlap window (to catch rows committed late in Salesforce),
upserts by Id, and moves the watermark in the *same transaction* as the rows it covers, so
the watermark never passes uncommitted data and a killed run resumes where it stopped:

- REST increments are ordered by the watermark field and the watermark advances per page;
- Bulk API 2.0 jobs (first backfill, ``--full``, or large increments) return rows in no
  particular order, so their watermark advances only once the whole job is committed.

A data query that Salesforce stops with ``QUERY_TIMEOUT`` is read again over a window half as
wide (down to ``WINDOW_FLOOR``), then window after window up to the present. An object that
fails does not stop the objects after it, unless the failure concerns the whole org (API
limit, authentication, Salesforce unavailable).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from django.db import connection, transaction
from django.utils import timezone

from routing_health.config import RoutingConfig
from routing_health.models import SyncRun, SyncState
from routing_health.salesforce import (
    SalesforceAuthError,
    SalesforceClient,
    SalesforceError,
    SalesforceLimitError,
    SalesforcePermissionError,
    SalesforceQueryError,
    SalesforceQueryTimeout,
    SalesforceUnavailable,
    soql_datetime,
)
from routing_health.sync.objects import OBJECTS, ObjectSpec, PageResult
from routing_health.sync.outcome import ObjectOutcome, SyncAborted, SyncOutcome
from routing_health.sync.records import ObjectProblem

log = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=10)
BULK_THRESHOLD = 5_000  # an increment estimated above this many rows goes through Bulk API 2.0
REST_BATCH = 2_000
BULK_PAGE = 50_000
# The narrowest window a timed-out query is split down to before the object fails.
WINDOW_FLOOR = timedelta(minutes=1)
# Lower end of the window when a backfill (no watermark) times out: no org's data is older.
EARLIEST = datetime(1999, 1, 1, tzinfo=UTC)
# Errors about the whole org: the objects after the failing one would fail the same way.
RUN_STOPPING = (SalesforceLimitError, SalesforceAuthError, SalesforceUnavailable)

# An optional object the integration user cannot see or read: synced without it.
NOT_VISIBLE = frozenset({"INVALID_TYPE", "INSUFFICIENT_ACCESS"})
RUN_LEVEL = "Salesforce"  # SyncRun.object_name of a run that failed before any object
Progress = Callable[[str], None]


def sync_salesforce(
    *,
    client: SalesforceClient,
    config: RoutingConfig,
    objects: Sequence[str] | None = None,
    full: bool = False,
    overlap: timedelta = DEFAULT_OVERLAP,
    progress: Progress | None = None,
    stop_on_error: bool = True,
) -> SyncOutcome:
    """Sync the given objects (all, in dependency order, by default).

    ``stop_on_error``: stop after an object fails with an error about the whole org (API
    limit, authentication, Salesforce unavailable); any other failure of one object never
    keeps the later objects from syncing.
    """
    say = progress or (lambda _msg: None)
    specs = [s for s in (spec.for_config(config) for spec in _select(objects)) if s is not None]
    _close_interrupted_runs()
    outcome = SyncOutcome()
    try:
        client.refresh_usage()
        if client.usage_warning:
            say(f"{RUN_LEVEL}: warning: {client.usage_warning}")
        # Every object costs at least a describe, a count, a query and a page: refuse a run
        # that would take the org past the allowed share before touching anything.
        client.ensure_budget(4 * len(specs), what="the sync run")
    except SalesforceError as exc:
        outcome.objects.append(_record_run_failure(str(exc), client))
        say(f"{RUN_LEVEL}: FAILED: {exc}")
        return outcome
    for spec in specs:
        result = _sync_object(
            spec, client=client, config=config, full=full, overlap=overlap, say=say
        )
        outcome.objects.append(result)
        if result.stops_run and stop_on_error and not spec.optional:
            break
    return outcome


def _record_run_failure(error: str, client: SalesforceClient) -> ObjectOutcome:
    """A run that could not start (login, limits) is recorded, so freshness checks see it."""
    now = timezone.now()
    usage = client.usage
    SyncRun.objects.create(
        object_name=RUN_LEVEL,
        status=SyncRun.Status.FAILED,
        started_at=now,
        finished_at=now,
        error=error,
        warning=client.usage_warning,
        api_usage_used=usage.used if usage else None,
        api_usage_max=usage.max if usage else None,
    )
    log.error("sync run could not start: %s", error)
    return ObjectOutcome(object_name=RUN_LEVEL, mode="", error=error)


def _select(objects: Sequence[str] | None) -> list[ObjectSpec]:
    if not objects:
        return list(OBJECTS.values())
    unknown = [name for name in objects if name not in OBJECTS]
    if unknown:
        raise SyncAborted(
            f"unknown object(s) {', '.join(unknown)}; choose from {', '.join(OBJECTS)}"
        )
    return [spec for name, spec in OBJECTS.items() if name in objects]


def _close_interrupted_runs() -> None:
    """A run left 'running' by a killed process is marked failed; its data stays committed."""
    SyncRun.objects.filter(status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error="interrupted (the process stopped before the run finished)",
    )


def _sync_object(
    spec: ObjectSpec,
    *,
    client: SalesforceClient,
    config: RoutingConfig,
    full: bool,
    overlap: timedelta,
    say: Progress,
) -> ObjectOutcome:
    state, _ = SyncState.objects.get_or_create(object_name=spec.name)
    since = None
    if spec.watermark_field and not full and state.watermark is not None:
        since = state.watermark - overlap
    run = SyncRun.objects.create(
        object_name=spec.name,
        started_at=timezone.now(),
        watermark_from=state.watermark,
        warning=client.usage_warning,
    )
    result = ObjectOutcome(object_name=spec.name, mode="")
    started = time.monotonic()
    try:
        plan = _plan(spec, client, config, since)
        result.mode = run.mode = plan.mode
        run.save(update_fields=["mode"])
        pages = _windowed_pages(spec, client, plan, say)
        _consume(spec, pages, config=config, run=run, result=result, say=say, mode=plan.mode)
    except SalesforceQueryError as exc:
        if spec.optional and exc.code in NOT_VISIBLE:
            result.mode = "skipped"
            result.note = f"not available to this user ({exc.code}); synced without it"
        else:
            result.error = str(exc)
    except SalesforcePermissionError as exc:
        if spec.optional:
            result.mode = "skipped"
            result.note = "not readable by this user (INSUFFICIENT_ACCESS); synced without it"
        else:
            result.error = str(exc)
    except SalesforceError as exc:
        result.error = str(exc)
        result.stops_run = isinstance(exc, RUN_STOPPING)
    except ObjectProblem as exc:
        result.error = f"{spec.sobject}: {exc}"
    except BaseException as exc:  # recorded as failed (even on Ctrl-C), then propagated
        _finish(run, result, started, client, error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(run, result, started, client, error=result.error)
    if result.error:
        log.error("sync object=%s failed: %s", spec.name, result.error)
        say(f"{spec.name}: FAILED: {result.error}")
    elif result.note:
        say(f"{spec.name}: skipped: {result.note}")
    else:
        rate = result.upserted / result.seconds if result.seconds else 0.0
        say(
            f"{spec.name}: {result.upserted} rows upserted, {result.skipped} skipped, "
            f"{result.pages} page(s), {result.mode}, {rate:,.0f} rows/s"
        )
    return result


@dataclass
class _Plan:
    """How one object is read: its query for any window of the incremental key, and the API."""

    select: str
    where: list[str]
    mode: str
    key: str | None
    since: datetime | None

    def soql(self, lower: datetime | None, upper: datetime | None) -> str:
        where = list(self.where)
        if self.key and lower is not None:
            where.append(f"{self.key} >= {soql_datetime(lower)}")
        if self.key and upper is not None:
            where.append(f"{self.key} < {soql_datetime(upper)}")
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        order = f" ORDER BY {self.key} ASC, Id ASC" if self.mode == "rest" else ""
        return f"{self.select}{condition}{order}"


def _plan(
    spec: ObjectSpec, client: SalesforceClient, config: RoutingConfig, since: datetime | None
) -> _Plan:
    select = f"SELECT {', '.join(spec.fields(config))} FROM {spec.sobject}"
    spec_where = spec.where_for(config) if spec.where_for else spec.where
    key = spec.watermark_field
    since = since if key else None
    if key is None:
        client.ensure_budget(3, what=f"{spec.name} sync")
        return _Plan(select, list(spec_where), "full", None, None)
    count = _Plan(f"SELECT COUNT() FROM {spec.sobject}", list(spec_where), "count", key, since)
    try:
        estimate: int | None = client.count(
            count.soql(since, None), include_deleted=spec.include_deleted
        )
    except SalesforceQueryTimeout:
        # Only the choice of API hangs on the estimate: a count too slow to finish means many
        # rows, which is what Bulk API 2.0 is for.
        log.warning("sync object=%s COUNT() timed out: reading through Bulk API 2.0", spec.name)
        estimate = None
    if since is None or estimate is None or estimate > BULK_THRESHOLD:
        pages = (estimate or 0) // BULK_PAGE
        client.ensure_budget(5 + pages, what=f"{spec.name} {'sync' if since else 'backfill'}")
        return _Plan(select, list(spec_where), "bulk", key, since)
    client.ensure_budget(2 + estimate // REST_BATCH, what=f"{spec.name} sync")
    return _Plan(select, list(spec_where), "rest", key, since)


def _windowed_pages(
    spec: ObjectSpec, client: SalesforceClient, plan: _Plan, say: Progress
) -> Iterator[list[dict] | pa.Table]:
    """The plan's pages; a query that times out is read again over narrower windows.

    The first query covers everything from ``plan.since``. On ``QUERY_TIMEOUT`` the window
    is halved (its end is now, for an open window) and read again; after a window succeeds
    the next one starts where it ended, twice as wide, and the last one is open-ended, so no
    row modified meanwhile is missed. Windows narrower than ``WINDOW_FLOOR`` are not tried:
    the object fails with an error naming the window.
    """
    lower, upper = plan.since, None
    width: timedelta | None = None
    while True:
        soql = plan.soql(lower, upper)
        try:
            yield from _pages(spec, client, soql, plan.mode)
        except SalesforceQueryTimeout:
            if plan.key is None:
                raise
            start = lower or EARLIEST
            end = upper or max(timezone.now(), start)
            half = timedelta(seconds=int((end - start).total_seconds() // 2))
            if half < WINDOW_FLOOR:
                raise SalesforceQueryTimeout(
                    f"{spec.name}: Salesforce timed out (QUERY_TIMEOUT) reading {plan.key} from "
                    f"{_stamp(start)} to {_stamp(end)}, a window already at the "
                    f"{_minutes(WINDOW_FLOOR)} floor; rows before this window are committed and "
                    "the watermark does not pass it",
                    soql=soql,
                ) from None
            lower, upper, width = start, start + half, half
            log.warning(
                "sync object=%s query timed out: reading %s to %s", spec.name,
                _stamp(lower), _stamp(upper),
            )
            say(f"{spec.name}: query timed out, reading {_stamp(lower)} to {_stamp(upper)}")
            continue
        if upper is None:
            return
        assert width is not None
        width *= 2
        lower = upper
        upper = lower + width if lower + width < timezone.now() else None


def _stamp(value: datetime) -> str:
    return soql_datetime(value)


def _minutes(value: timedelta) -> str:
    minutes = value.total_seconds() / 60
    return f"{minutes:g} minute{'s' if minutes != 1 else ''}"


def _pages(
    spec: ObjectSpec, client: SalesforceClient, soql: str, mode: str
) -> Iterable[list[dict] | pa.Table]:
    if mode == "bulk" and spec.write_table is not None:
        # The large objects: each page parsed and written as columns (issue 18).
        return client.bulk_query_tables(
            spec.sobject, soql, include_deleted=spec.include_deleted, page_size=BULK_PAGE
        )
    if mode == "bulk":
        return client.bulk_query_pages(
            spec.sobject, soql, include_deleted=spec.include_deleted, page_size=BULK_PAGE
        )
    return client.query_pages(
        soql, sobject=spec.sobject, include_deleted=spec.include_deleted, batch_size=REST_BATCH
    )


def _consume(
    spec: ObjectSpec,
    pages: Iterable[list[dict] | pa.Table],
    *,
    config: RoutingConfig,
    run: SyncRun,
    result: ObjectOutcome,
    say: Progress,
    mode: str,
) -> None:
    """Write page after page; move the watermark with the rows it covers."""
    started = time.monotonic()
    bulk_max: datetime | None = None
    if mode == "bulk":
        _sqlite_page_cache()
    for records in pages:
        with transaction.atomic():
            if isinstance(records, pa.Table):
                assert spec.write_table is not None
                page: PageResult = spec.write_table(records, config)
            else:
                page = spec.write_page(records, config)
            # REST pages arrive in watermark order: the page's maximum commits with its rows.
            if mode == "rest" and page.max_watermark is not None:
                _advance_watermark(spec.name, page.max_watermark)
        result.pages += 1
        result.fetched += records.num_rows if isinstance(records, pa.Table) else len(records)
        result.upserted += page.upserted
        result.skipped += page.skipped
        if page.max_watermark is not None:
            bulk_max = max(bulk_max, page.max_watermark) if bulk_max else page.max_watermark
        _save_progress(run, result)
        elapsed = time.monotonic() - started
        say(
            f"{spec.name}: page {result.pages}, {result.fetched} rows fetched"
            + (f" ({result.fetched / elapsed:,.0f} rows/s)" if elapsed > 0 else "")
        )
    if mode == "bulk" and bulk_max is not None:
        _advance_watermark(spec.name, bulk_max)
    if spec.finish is not None:
        spec.finish(config, result.fetched)
    if spec.prune is not None:
        # Every page committed: what this run did not write is gone from Salesforce.
        with transaction.atomic():
            spec.prune(run.started_at)


# SQLite's page cache for a connection that writes Bulk pages (KiB, as a negative cache_size):
# the default 2 MB keeps too little of a table's indexes for the random inserts of a
# million-lead backfill, which then re-read and re-parse B-tree pages from the OS cache.
SQLITE_BULK_CACHE_KIB = 131_072


def _sqlite_page_cache() -> None:
    """Give this connection a page cache of ``SQLITE_BULK_CACHE_KIB`` (SQLite only; memory
    is taken only as pages are read, and goes with the connection)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")


def _advance_watermark(object_name: str, value: datetime) -> None:
    with transaction.atomic():
        state = SyncState.objects.select_for_update().get(object_name=object_name)
        if state.watermark is None or value > state.watermark:
            state.watermark = value
            state.save(update_fields=["watermark"])


def _save_progress(run: SyncRun, result: ObjectOutcome) -> None:
    SyncRun.objects.filter(pk=run.pk).update(
        pages=result.pages,
        rows_fetched=result.fetched,
        rows_upserted=result.upserted,
        rows_skipped=result.skipped,
    )


def _finish(
    run: SyncRun, result: ObjectOutcome, started: float, client: SalesforceClient, *, error: str
) -> None:
    result.seconds = time.monotonic() - started
    if client.usage is not None:
        run.api_usage_used, run.api_usage_max = client.usage.used, client.usage.max
    run.finished_at = timezone.now()
    run.pages = result.pages
    run.rows_fetched = result.fetched
    run.rows_upserted = result.upserted
    run.rows_skipped = result.skipped
    run.error = error
    run.status = SyncRun.Status.FAILED if error else SyncRun.Status.SUCCEEDED
    run.watermark_to = SyncState.objects.get(object_name=run.object_name).watermark
    run.save()
    if not error:
        SyncState.objects.filter(object_name=run.object_name).update(
            last_success_at=run.finished_at
        )
