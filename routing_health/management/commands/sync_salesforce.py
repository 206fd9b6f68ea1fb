"""``manage.py sync_salesforce [--full] [--objects Lead,LeadHistory,...]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health import jobs, runtime
from routing_health.config import ConfigError
from routing_health.locks import LockBusy, hold_lock
from routing_health.salesforce import SalesforceError
from routing_health.sync import SyncAborted, sync_salesforce
from routing_health.sync_objects import OBJECTS


class Command(BaseCommand):
    help = "Pull leads, history, activities, users and queues from Salesforce (incremental)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="ignore watermarks and re-read everything"
        )
        parser.add_argument(
            "--objects",
            default="",
            help=f"comma-separated subset of: {','.join(OBJECTS)} (default: all, in this order)",
        )

    def handle(self, *args: Any, full: bool, objects: str, **options: Any) -> None:
        names = [name.strip() for name in objects.split(",") if name.strip()]
        try:
            config = runtime.routing_config()
            client = runtime.salesforce_client()
            # The same lock as the scheduled sync: two runs never overlap.
            with hold_lock(jobs.SYNC_LOCK, jobs.job_lock_ttl()):
                outcome = sync_salesforce(
                    client=client,
                    config=config,
                    objects=names or None,
                    full=full,
                    progress=self.stdout.write,
                )
        except LockBusy as exc:
            raise CommandError(f"another sync is running ({exc}); try again later") from None
        except (ConfigError, SyncAborted, SalesforceError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(outcome.summary(client))
        if not outcome.ok:
            raise CommandError(
                "sync failed: " + "; ".join(o.error for o in outcome.objects if o.error)
            )
