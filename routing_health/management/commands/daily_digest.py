"""``manage.py daily_digest [--date YYYY-MM-DD] [--as-of ISO] [--dry-run]``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.reports.cli import parse_instant
from routing_health.reports.digest import (
    DigestError,
    build_daily_digest,
    digest_payload,
    parse_day,
)
from routing_health.salesforce import runtime
from routing_health.slack.transport import SlackError, SlackTransport

SLACK_NOT_CONFIGURED = (
    "Slack is not configured (set SLACK_BOT_TOKEN and SLACK_CHANNEL): the digest was not sent; "
    "use --dry-run to see it"
)


class Command(BaseCommand):
    help = (
        "Post the daily routing digest to Slack: a day's headline metrics (default: yesterday "
        "in the report time zone) against their targets, one line per region, and dashboard "
        "links. With --dry-run, print the Slack payload as JSON and send nothing."
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
            config = runtime.routing_config()
            day = parse_day(options["date"]) if options["date"] else None
            digest = build_daily_digest(config, day, as_of)
        except (ConfigError, DigestError) as exc:
            raise CommandError(str(exc)) from None
        payload = digest_payload(digest)
        if options["dry_run"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        transport = SlackTransport.from_settings()
        if transport is None:
            self.stdout.write(SLACK_NOT_CONFIGURED)
            return
        try:
            transport.post(payload)
        except SlackError as exc:
            raise CommandError(f"posting the digest to Slack failed: {exc}") from None
        self.stdout.write(
            f"posted the digest of {digest.day.isoformat()} to Slack {transport.channel}"
        )
