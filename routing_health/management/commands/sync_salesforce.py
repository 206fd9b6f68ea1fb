"""``manage.py sync_salesforce [--full] [--objects Lead,LeadHistory,...]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.jobs import tasks as jobs
from routing_health.jobs.locks import LockBusy, LockLost
from routing_health.salesforce import SalesforceError, runtime
from routing_health.sync.objects import OBJECTS
from routing_health.sync.reconcile import ReconcileOutcome, reconcile_deletions
from routing_health.sync.service import SyncAborted, sync_salesforce


class Command(BaseCommand):
    help = "Pull leads, history, activities, users and queues from Salesforce (incremental)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full",
            action="store_true",
            help="ignore watermarks, re-read everything, then mark deleted what Salesforce "
            "no longer has (reconciliation)",
        )
        parser.add_argument(
            "--objects",
            default="",
            help=f"comma-separated subset of: {','.join(OBJECTS)} (default: all, in this order)",
        )

    def handle(self, *args: Any, full: bool, objects: str, **options: Any) -> None:
        names = [name.strip() for name in objects.split(",") if name.strip()]
        reconciled: ReconcileOutcome | None = None
        try:
            config = runtime.routing_config()
            client = runtime.salesforce_client()
            # The same lock as the scheduled sync (short lease, heartbeat): never two runs.
            with jobs.holding_sync_lock() as heartbeat:

                def progress(message: str) -> None:
                    heartbeat(message)
                    self.stdout.write(message)

                outcome = sync_salesforce(
                    client=client,
                    config=config,
                    objects=names or None,
                    full=full,
                    progress=progress,
                )
                if full and outcome.ok:
                    reconciled = reconcile_deletions(client=client, progress=progress)
        except LockBusy as exc:
            raise CommandError(f"another sync is running ({exc}); try again later") from None
        except (ConfigError, SyncAborted, SalesforceError, LockLost) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(outcome.summary(client))
        if not outcome.ok:
            raise CommandError(
                "sync failed: " + "; ".join(o.error for o in outcome.objects if o.error)
            )
        if reconciled is not None:
            self.stdout.write(reconciled.summary())
            if not reconciled.ok:
                raise CommandError(
                    "reconcile failed: " + "; ".join(o.error for o in reconciled.objects if o.error)
                )
