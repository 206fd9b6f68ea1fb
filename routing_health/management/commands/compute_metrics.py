"""``manage.py compute_metrics [--as-of ISO] [--full]``: refresh the stored rollups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.rollups.partitions import PartitionFailed
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime


class Command(BaseCommand):
    help = (
        "Refresh per-lead facts and daily rollups. Incremental: only leads whose data changed "
        "since the last run, and leads with a time-driven change due, are recomputed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="ISO instant (default: now)")
        parser.add_argument("--full", action="store_true", help="recompute every lead")
        parser.add_argument(
            "--partition-leads", type=int, default=None,
            help="a full run computes about this many leads at a time "
            "(default: COMPUTE_PARTITION_LEADS, 250000); bounds the memory",
        )
        parser.add_argument(
            "--tasks", action="store_true",
            help="with --full: run the partitions as django-q2 tasks shared by every worker "
            "of the cluster (PostgreSQL and Redis) and wait for them",
        )

    def handle(
        self, *args: Any, as_of: str | None, full: bool, partition_leads: int | None,
        tasks: bool, **options: Any,
    ) -> None:
        if partition_leads is not None and partition_leads < 1:
            raise CommandError(f"--partition-leads must be at least 1, got {partition_leads}")
        if tasks and not full:
            raise CommandError("--tasks needs --full (an incremental run is one small task)")
        try:
            instant = datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)
        except ValueError:
            raise CommandError(f"--as-of must be an ISO 8601 instant, got {as_of!r}") from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        try:
            config = runtime.routing_config()
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        try:
            compute_metrics(
                config=config,
                as_of=instant.astimezone(UTC).replace(microsecond=0),
                full=full,
                progress=self.stdout.write,
                partition_leads=partition_leads,
                tasks=tasks,
            )
        except PartitionFailed as exc:
            raise CommandError(str(exc)) from None
