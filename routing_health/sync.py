"""Incremental, idempotent, resumable sync of Salesforce objects into our tables.

Per object a watermark (``SyncState``) says how far the committed data reaches. A run reads
from the watermark minus an overlap window (to catch rows committed late in Salesforce),
upserts by Id, and moves the watermark in the *same transaction* as the rows it covers, so
the watermark never passes uncommitted data and a killed run resumes where it stopped:

- REST increments are ordered by the watermark field and the watermark advances per page;
- Bulk API 2.0 jobs (first backfill, ``--full``, or large increments) return rows in no
  particular order, so their watermark advances only once the whole job is committed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from routing_health.config import RoutingConfig
from routing_health.models import SyncRun, SyncState
from routing_health.salesforce import (
    SalesforceClient,
    SalesforceError,
    SalesforceQueryError,
    soql_datetime,
)
from routing_health.sync_objects import OBJECTS, ObjectSpec, PageResult

log = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=10)
BULK_THRESHOLD = 5_000  # an increment estimated above this many rows goes through Bulk API 2.0
REST_BATCH = 2_000
BULK_PAGE = 50_000

OPTIONAL = {name: spec.optional for name, spec in OBJECTS.items()}
RUN_LEVEL = "Salesforce"  # SyncRun.object_name of a run that failed before any object
Progress = Callable[[str], None]


class SyncAborted(Exception):
    """A sync stopped on an error; the message names the object and the cause."""


@dataclass
class ObjectOutcome:
    object_name: str
    mode: str
    pages: int = 0
    fetched: int = 0
    upserted: int = 0
    skipped: int = 0
    seconds: float = 0.0
    error: str = ""
    note: str = ""


@dataclass
class SyncOutcome:
    objects: list[ObjectOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every object synced; a failed optional object (flows, calendars) does not count."""
        return all(not o.error or OPTIONAL.get(o.object_name, False) for o in self.objects)

    def summary(self, client: SalesforceClient | None = None) -> str:
        parts = [
            f"{o.object_name} {o.upserted} upserted"
            + (f", {o.skipped} skipped" if o.skipped else "")
            + f" ({o.mode}, {o.pages} page{'s' if o.pages != 1 else ''})"
            + (f" FAILED: {o.error}" if o.error else "")
            + (f" ({o.note})" if o.note else "")
            for o in self.objects
        ]
        usage = ""
        if client is not None and client.usage is not None:
            usage = f"; API usage {client.usage.used}/{client.usage.max}"
        status = "sync finished" if self.ok else "sync FAILED"
        return f"{status}: " + "; ".join(parts) + usage


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
    """Sync the given objects (all, in dependency order, by default)."""
    say = progress or (lambda _msg: None)
    specs = _select(objects)
    _close_interrupted_runs()
    outcome = SyncOutcome()
    try:
        client.refresh_usage()
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
        if result.error and stop_on_error and not spec.optional:
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
        object_name=spec.name, started_at=timezone.now(), watermark_from=state.watermark
    )
    result = ObjectOutcome(object_name=spec.name, mode="")
    started = time.monotonic()
    try:
        soql, mode = _plan(spec, client, config, since)
        result.mode = run.mode = mode
        run.save(update_fields=["mode"])
        pages = _pages(spec, client, soql, mode)
        _consume(spec, pages, config=config, run=run, result=result, say=say, mode=mode)
    except SalesforceQueryError as exc:
        if spec.optional and exc.code == "INVALID_TYPE":
            result.mode = "skipped"
            result.note = f"not available to this user ({exc.code}); synced without it"
        else:
            result.error = str(exc)
    except SalesforceError as exc:
        result.error = str(exc)
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


def _plan(
    spec: ObjectSpec, client: SalesforceClient, config: RoutingConfig, since: datetime | None
) -> tuple[str, str]:
    where = list(spec.where)
    if since is not None and spec.watermark_field:
        where.append(f"{spec.watermark_field} >= {soql_datetime(since)}")
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    select = f"SELECT {', '.join(spec.fields(config))} FROM {spec.sobject}{condition}"
    if spec.watermark_field is None:
        client.ensure_budget(3, what=f"{spec.name} sync")
        return select, "full"
    estimate = client.count(
        f"SELECT COUNT() FROM {spec.sobject}{condition}", include_deleted=spec.include_deleted
    )
    if since is None:
        client.ensure_budget(5 + estimate // BULK_PAGE, what=f"{spec.name} backfill")
        return select, "bulk"
    if estimate > BULK_THRESHOLD:
        client.ensure_budget(5 + estimate // BULK_PAGE, what=f"{spec.name} sync")
        return select, "bulk"
    client.ensure_budget(2 + estimate // REST_BATCH, what=f"{spec.name} sync")
    return f"{select} ORDER BY {spec.watermark_field} ASC, Id ASC", "rest"


def _pages(
    spec: ObjectSpec, client: SalesforceClient, soql: str, mode: str
) -> Iterable[list[dict]]:
    if mode == "bulk":
        return client.bulk_query_pages(
            spec.sobject, soql, include_deleted=spec.include_deleted, page_size=BULK_PAGE
        )
    return client.query_pages(
        soql, sobject=spec.sobject, include_deleted=spec.include_deleted, batch_size=REST_BATCH
    )


def _consume(
    spec: ObjectSpec,
    pages: Iterable[list[dict]],
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
    for records in pages:
        with transaction.atomic():
            page: PageResult = spec.write_page(records, config)
            # REST pages arrive in watermark order: the page's maximum commits with its rows.
            if mode == "rest" and page.max_watermark is not None:
                _advance_watermark(spec.name, page.max_watermark)
        result.pages += 1
        result.fetched += len(records)
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
    if spec.prune is not None:
        # Every page committed: what this run did not write is gone from Salesforce.
        with transaction.atomic():
            spec.prune(run.started_at)


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
