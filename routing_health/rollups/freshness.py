"""Read-side queries shared by views, commands and jobs."""

from __future__ import annotations

from typing import Any

from django.db.models import Max

from routing_health.models import SyncRun


def sync_freshness() -> dict[str, Any]:
    """When the data was last refreshed: the latest successful run of any object."""
    last_success = SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).aggregate(
        at=Max("finished_at")
    )["at"]
    last_run = SyncRun.objects.order_by("-started_at").first()
    return {
        "status": "ok",
        "last_success": last_success.isoformat() if last_success else None,
        "last_run_status": last_run.status if last_run else None,
    }
