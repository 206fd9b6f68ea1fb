"""``manage.py compute_metrics [--as-of ISO] [--full]``: refresh the stored rollups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
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

    def handle(self, *args: Any, as_of: str | None, full: bool, **options: Any) -> None:
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
        compute_metrics(
            config=config,
            as_of=instant.astimezone(UTC).replace(microsecond=0),
            full=full,
            progress=self.stdout.write,
        )
