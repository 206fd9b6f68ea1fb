"""How fresh the synced data is: ONE rule for ``/healthz``, the page banner and ``sync_stale``.

The data is **failed** when the latest finished run of some object failed (a run that could not
start at all, recorded under ``RUN_LEVEL``, counts only until a later run succeeds); else
**never** when no run ever succeeded; else **stale** when the last success is older than the
limit (strictly more); else **ok**. Spec section 6: "no successful sync for 30 minutes, or the last
run failed". The limit is the ``sync_stale`` rule's ``threshold`` (minutes) of the routing
configuration, ``STALE_AFTER`` = 30 minutes when the file sets none (or cannot be read: the banner
must still show), so the banner, ``/healthz`` and the alert always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.timesince import timesince

from routing_health.config import ConfigError, RoutingConfig
from routing_health.lib.format import format_minutes
from routing_health.models import SyncRun
from routing_health.salesforce import runtime

STALE_AFTER = timedelta(minutes=30)
RUN_LEVEL = "Salesforce"  # sync.service records a run that could not start under this name


@dataclass(frozen=True)
class SyncStatus:
    """The last successful sync and the objects whose latest finished run failed."""

    last_success_at: datetime | None
    failed_objects: tuple[str, ...] = ()
    last_error: str = ""


# Objects whose failed read does not make the data stale: the kill switch (issue 16). Its state
# then reads "unknown" on the Overview, and leads it would have triaged count as failures — the
# direction that pages; holding every data rule for a mistyped filter would page nothing.
NOT_DATA = frozenset({"KillSwitch"})


def sync_status() -> SyncStatus:
    """Read the sync bookkeeping once: last success, failed objects, the newest failure's text."""
    last_success = SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).aggregate(
        at=Max("finished_at")
    )["at"]
    # Latest finished run per object in two queries, whatever the number of objects.
    finished = SyncRun.objects.exclude(finished_at=None)
    latest_at = finished.values("object_name").annotate(at=Max("finished_at"))
    latest: dict[str, SyncRun] = {}
    if latest_at:
        matches = reduce(
            or_, (Q(object_name=row["object_name"], finished_at=row["at"]) for row in latest_at)
        )
        for candidate in finished.filter(matches).only(
            "object_name", "finished_at", "status", "error"
        ):
            held = latest.get(candidate.object_name)
            if held is None or candidate.id > held.id:
                latest[candidate.object_name] = candidate
    failed = [
        run
        for name, run in sorted(latest.items())
        if run.status == SyncRun.Status.FAILED
        and name not in NOT_DATA
        and not (name == RUN_LEVEL and last_success is not None and run.finished_at <= last_success)
    ]
    newest = max(failed, key=lambda run: (run.finished_at, run.id), default=None)
    return SyncStatus(
        last_success_at=last_success,
        failed_objects=tuple(run.object_name for run in failed),
        last_error=newest.error if newest is not None else "",
    )


@dataclass(frozen=True)
class Freshness:
    """``state``: ``ok``, ``stale`` (over the limit), ``failed`` (a last run) or ``never``."""

    state: str
    last_success: datetime | None
    age: timedelta | None
    last_run_error: str = ""
    failed_objects: tuple[str, ...] = ()
    stale_after: timedelta = STALE_AFTER

    @property
    def stale_words(self) -> str:
        """"No successful sync for over 30 min" (the limit this state was judged against)."""
        limit = format_minutes(self.stale_after / timedelta(minutes=1))
        return f"No successful sync for over {limit}"

    @property
    def relative_age(self) -> str:
        if self.age is None or self.last_success is None:
            return ""
        if self.age < timedelta(minutes=1):
            return "just now"
        since = timesince(self.last_success, self.last_success + self.age, depth=1)
        return f"{since.replace(chr(0xA0), ' ')} ago"  # timesince joins with no-break spaces

    @property
    def level(self) -> str:
        """The status level the page shows: ``ok``, ``warn`` or ``breach``."""
        return {"ok": "ok", "stale": "warn", "never": "warn"}.get(self.state, "breach")

    @property
    def label(self) -> str:
        return {
            "ok": "Fresh",
            "stale": "Stale",
            "failed": "Last sync failed",
            "never": "Never synced",
        }[self.state]


def freshness_of(
    status: SyncStatus, *, now: datetime, stale_after: timedelta = STALE_AFTER
) -> Freshness:
    """The rule itself, over already-read bookkeeping (``sync_stale`` passes its threshold)."""
    last = status.last_success_at
    age = max(now - last, timedelta(0)) if last is not None else None
    if status.failed_objects:
        return Freshness(
            "failed", last, age, status.last_error, status.failed_objects, stale_after
        )
    if last is None:
        return Freshness("never", None, None, stale_after=stale_after)
    if age is not None and age > stale_after:
        return Freshness("stale", last, age, stale_after=stale_after)
    return Freshness("ok", last, age, stale_after=stale_after)


def stale_after_of(config: RoutingConfig) -> timedelta:
    """The freshness limit of ``config``: its ``sync_stale`` threshold, else ``STALE_AFTER``."""
    rule = config.alerts.rules.get("sync_stale")
    if rule is None or rule.threshold is None:
        return STALE_AFTER
    return timedelta(minutes=rule.threshold)


def configured_stale_after() -> timedelta:
    """The freshness limit of this process's routing configuration (``STALE_AFTER`` when the
    file cannot be loaded: the page banner and ``/healthz`` must answer even then)."""
    try:
        return stale_after_of(runtime.routing_config())
    except ConfigError:
        return STALE_AFTER


def data_freshness(
    *, now: datetime | None = None, stale_after: timedelta | None = None
) -> Freshness:
    """The freshness of the synced data at ``now`` (default: the current time), judged against
    ``stale_after`` (default: the configured limit, ``configured_stale_after``)."""
    limit = configured_stale_after() if stale_after is None else stale_after
    return freshness_of(sync_status(), now=now or timezone.now(), stale_after=limit)


def sync_freshness(*, now: datetime | None = None) -> dict[str, Any]:
    """``/healthz``'s JSON: the same rule as the banner and ``sync_stale``."""
    fresh = data_freshness(now=now)
    last_run = SyncRun.objects.order_by("-started_at").first()
    return {
        "status": "ok",
        "freshness": fresh.state,
        "last_success": fresh.last_success.isoformat() if fresh.last_success else None,
        "last_run_status": last_run.status if last_run else None,
        "failed_objects": list(fresh.failed_objects),
        "stale_after_minutes": fresh.stale_after / timedelta(minutes=1),
    }
