"""``manage.py daily_digest [--date YYYY-MM-DD] [--as-of ISO] [--dry-run]``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.reports.cli import parse_instant
from routing_health.reports.digest import DigestError, parse_day
from routing_health.reports.service import send_daily_digest


class Command(BaseCommand):
    help = (
        "Post the daily routing digest to Slack: a day's headline metrics (default: yesterday "
        "in the report time zone) against their targets, one line per region, and dashboard "
        "links. It goes through the notification outbox: if Slack is down it stays queued and "
        "is retried. With --dry-run, print the Slack payload as JSON and send nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="local day YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--as-of", dest="as_of", help="judge the data as of this ISO instant")
        parser.add_argument(
            "--dry-run", dest="dry_run", action="store_true", help="print the payload JSON only"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_instant(options["as_of"])
        try:
            day = parse_day(options["date"]) if options["date"] else None
            result = send_daily_digest(day=day, as_of=as_of, dry_run=options["dry_run"])
        except (ConfigError, DigestError) as exc:
            raise CommandError(str(exc)) from None
        if result.status == "dry_run":
            self.stdout.write(json.dumps(result.payload, ensure_ascii=False, indent=2))
            return
        for line in result.lines:
            self.stdout.write(line)
        if not result.ok:
            raise CommandError(result.error)
