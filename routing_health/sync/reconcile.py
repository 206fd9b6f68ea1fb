"""Reconciliation of deletions: stored records that Salesforce no longer returns are marked deleted.

The incremental sync sees a deletion only while the record sits in the recycle bin (``queryAll``
returns it with ``IsDeleted = true`` and a new SystemModstamp). A record purged before the next
sync (recycle bin emptied, Bulk ``hardDelete``), or one whose deletion fell outside what any sync
read, is never returned again, so without this it would stay in every metric. Two checks, per
object of ``RECONCILED``:

1. **the delete log** — ``GET /sobjects/<Type>/deleted/`` over the last 15 days (all Salesforce
   serves): one call, lists recycle-bin and purged records with their deletion time (an Id
   listed there that Salesforce returns live again was undeleted, and stays);
2. **the Id sets** — every Id Salesforce still has (``SELECT Id, IsDeleted`` through
   ``queryAll``, with the sync's own filter; REST, or Bulk API 2.0 above ``BULK_THRESHOLD``)
   against the stored, not-deleted Ids. A stored record missing from Salesforce's set (or
   there only as deleted) is marked deleted. This catches what the log no longer holds.

A record is marked, never destroyed (``is_deleted = true``, ``synced_at`` = now), so the next
``compute_metrics`` recomputes its lead and moves it out of the stored facts and rollups, and a
later ``--full`` sync restores it should Salesforce return it again (an undelete changes its
SystemModstamp, so the incremental sync restores it too).

LeadHistory is not reconciled: history rows cannot be deleted on their own, they leave with
their lead (whose deletion excludes them), and Salesforce drops rows older than about 18
months, which must stay (they define the initial owner). Users cannot be deleted, only
deactivated; a deleted queue still names the owner it was.

Run it holding the sync lock: a sync writing records while the Id sets are compared could
otherwise store a record between the two reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models, transaction
from django.utils import timezone

from routing_health.lib.sfid import InvalidSalesforceId, to_18
from routing_health.models import Activity, Lead, SyncState
from routing_health.salesforce import SalesforceClient, SalesforceError
from routing_health.sync.objects import OBJECTS
from routing_health.sync.service import BULK_PAGE, BULK_THRESHOLD, REST_BATCH

log = logging.getLogger(__name__)

RECONCILED = ("Lead", "Task", "Event")
DELETED_WINDOW = timedelta(days=15)
# Salesforce refuses a start more than 15 days before *its* today; an hour inside the window
# absorbs clock skew between us and Salesforce.
WINDOW_MARGIN = timedelta(hours=1)
ID_CHUNK = 5_000
STATE_SUFFIX = " (reconcile)"  # SyncState.object_name of an object's reconciliation
EMPTY_ID_SET = (
    "Salesforce returned no {name} Ids at all while {stored} are stored: not marking them "
    "deleted (check that the integration user can still see {name} records)"
)


@dataclass
class ObjectReconcile:
    object_name: str
    in_delete_log: int = 0
    salesforce_ids: int = 0
    marked_deleted: int = 0
    error: str = ""


@dataclass
class ReconcileOutcome:
    objects: list[ObjectReconcile] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(not o.error for o in self.objects)

    @property
    def marked_deleted(self) -> int:
        return sum(o.marked_deleted for o in self.objects)

    def summary(self) -> str:
        parts = [
            f"{o.object_name} {o.marked_deleted} marked deleted"
            + (f" FAILED: {o.error}" if o.error else f" ({o.salesforce_ids} Ids in Salesforce)")
            for o in self.objects
        ]
        status = "reconcile finished" if self.ok else "reconcile FAILED"
        return f"{status}: " + "; ".join(parts)


def reconcile_deletions(
    *,
    client: SalesforceClient,
    objects: Iterable[str] = RECONCILED,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReconcileOutcome:
    """Mark deleted every stored record of ``objects`` that Salesforce no longer has.

    ``now`` (default: the current time) ends the delete-log window. Returns per object how
    many records were marked; a Salesforce error on one object is recorded and the next
    object still runs.
    """
    say = progress or (lambda _msg: None)
    now = now or timezone.now()
    outcome = ReconcileOutcome()
    for name in objects:
        result = ObjectReconcile(name)
        outcome.objects.append(result)
        try:
            _reconcile_object(name, client=client, now=now, result=result)
        except SalesforceError as exc:
            result.error = str(exc)
            log.error("reconcile object=%s failed: %s", name, exc)
        say(
            f"{name}: reconcile FAILED: {result.error}"
            if result.error
            else f"{name}: {result.marked_deleted} marked deleted "
            f"({result.in_delete_log} in the delete log, {result.salesforce_ids} Ids in Salesforce)"
        )
    return outcome


def _reconcile_object(
    name: str, *, client: SalesforceClient, now: datetime, result: ObjectReconcile
) -> None:
    spec = OBJECTS[name]
    client.ensure_budget(3, what=f"{name} reconcile")
    start = now - DELETED_WINDOW + WINDOW_MARGIN
    logged, covered = client.deleted_records(spec.sobject, start, now)
    result.in_delete_log = len(logged)

    where = " AND ".join(spec.where)
    soql = f"SELECT Id, IsDeleted FROM {spec.sobject}" + (f" WHERE {where}" if where else "")
    live = _live_ids(client, spec.sobject, soql)
    result.salesforce_ids = len(live)
    stored = set(_stored(name).filter(is_deleted=False).values_list("id", flat=True))
    if stored and not live:
        raise SalesforceError(EMPTY_ID_SET.format(name=name, stored=len(stored)))
    # A logged Id that Salesforce returns live again was undeleted: it stays.
    gone = ({_id18(record_id) for record_id, _ in logged} | (stored - live)) - live
    result.marked_deleted = _mark_deleted(name, gone & stored)
    SyncState.objects.update_or_create(
        object_name=f"{name}{STATE_SUFFIX}",
        defaults={"watermark": covered, "last_success_at": timezone.now()},
    )
    if result.marked_deleted:
        log.info("reconcile object=%s marked %d deleted", name, result.marked_deleted)


def _live_ids(client: SalesforceClient, sobject: str, soql: str) -> set[str]:
    """Ids Salesforce returns as not deleted (queryAll: recycle-bin rows come as deleted)."""
    count_soql = soql.replace("SELECT Id, IsDeleted", "SELECT COUNT()", 1)
    estimate = client.count(count_soql, include_deleted=True)
    if estimate > BULK_THRESHOLD:
        client.ensure_budget(4 + estimate // BULK_PAGE, what=f"{sobject} Id set")
        pages = client.bulk_query_pages(sobject, soql, include_deleted=True, page_size=BULK_PAGE)
    else:
        client.ensure_budget(1 + estimate // REST_BATCH, what=f"{sobject} Id set")
        pages = client.query_pages(soql, include_deleted=True, batch_size=REST_BATCH)
    live: set[str] = set()
    for records in pages:
        for record in records:
            if str(record.get("IsDeleted")).lower() != "true":
                live.add(_id18(record.get("Id")))
    live.discard("")
    return live


def _id18(value: object) -> str:
    try:
        return to_18(str(value or ""))
    except InvalidSalesforceId:
        log.warning("reconcile: ignoring a malformed Id %r from Salesforce", value)
        return ""


def _stored(name: str) -> models.QuerySet:
    if name == "Lead":
        return Lead.objects.all()
    return Activity.objects.filter(kind=name)


def _mark_deleted(name: str, ids: set[str]) -> int:
    """Flag the stored, not-deleted records among ``ids``; ``synced_at`` moves so the next
    incremental ``compute_metrics`` recomputes their leads."""
    if not ids:
        return 0
    ordered = sorted(ids)
    marked = 0
    synced_at = timezone.now()
    with transaction.atomic():
        for i in range(0, len(ordered), ID_CHUNK):
            marked += (
                _stored(name)
                .filter(id__in=ordered[i : i + ID_CHUNK], is_deleted=False)
                .update(is_deleted=True, synced_at=synced_at)
            )
    return marked
