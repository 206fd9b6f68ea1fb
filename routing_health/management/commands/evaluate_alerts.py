"""``manage.py evaluate_alerts [--as-of ISO] [--dry-run]``: check the alert rules, then deliver."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.alerts.service import run_evaluation
from routing_health.config import ConfigError
from routing_health.reports.cli import parse_instant
from routing_health.salesforce import runtime


class Command(BaseCommand):
    help = (
        "Evaluate the alert rules (spec section 6), record incident changes and deliver due "
        "Slack notifications. With --dry-run, print the findings and the changes that would "
        "happen, writing and sending nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", dest="as_of",
            help="evaluate the data as of this ISO instant (a replay; skips sync_stale)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print findings and transitions only"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_instant(options["as_of"]) if options["as_of"] else None
        try:
            config = runtime.routing_config()
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        report = run_evaluation(config=config, as_of=as_of, dry_run=options["dry_run"])
        for line in report.lines():
            self.stdout.write(line)
