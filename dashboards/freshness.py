"""How fresh the data is: the last successful sync and whether the last run failed.

Same rule as the ``sync_stale`` alert (spec section 6): stale when no sync has succeeded for
30 minutes, or when the most recent run failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from django.utils.timesince import timesince

from routing_health.models import SyncRun

STALE_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class Freshness:
    """``state``: ``ok``, ``stale`` (over 30 minutes), ``failed`` (last run) or ``never``."""

    state: str
    last_success: datetime | None
    age: timedelta | None
    last_run_error: str = ""

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


def data_freshness(*, now: datetime | None = None) -> Freshness:
    """The freshness of the synced data at ``now`` (default: the current time)."""
    now = now or timezone.now()
    last_success = SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).aggregate(
        at=Max("finished_at")
    )["at"]
    last_run = (
        SyncRun.objects.exclude(status=SyncRun.Status.RUNNING)
        .order_by("-started_at")
        .only("status", "error")
        .first()
    )
    age = max(now - last_success, timedelta(0)) if last_success else None
    if last_run is not None and last_run.status == SyncRun.Status.FAILED:
        return Freshness("failed", last_success, age, last_run.error)
    if last_success is None:
        return Freshness("never", None, None)
    if age is not None and age > STALE_AFTER:
        return Freshness("stale", last_success, age)
    return Freshness("ok", last_success, age)
