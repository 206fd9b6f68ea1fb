"""``manage.py weekly_report [--week 2026-W47] [--output FILE] [--post-to-slack]
[--email ADDRESS …] [--as-of ISO]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.reports.cli import parse_instant
from routing_health.reports.service import ReportError, send_weekly_review
from routing_health.reports.weeks import WeekError


class Command(BaseCommand):
    help = (
        "Write the weekly routing review of an ISO week (default: the last complete week in the "
        "report time zone) as one self-contained HTML file, store it for the dashboard's "
        "Reports page, and optionally post a summary to Slack (through the notification "
        "outbox: if Slack is down it stays queued and is retried; a week is posted once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: last complete week)")
        parser.add_argument(
            "--output", help="HTML file to write (default: <data dir>/reports/weekly-<week>.html)"
        )
        parser.add_argument(
            "--post-to-slack", dest="post_to_slack", action="store_true",
            help="post a short summary with a link to the report to the Slack channel",
        )
        parser.add_argument(
            "--email", dest="email", action="append", default=[], metavar="ADDRESS",
            help="e-mail the review (text and HTML) to ADDRESS through the outbox; repeatable; "
            "needs EMAIL_URL and ALERT_EMAIL_FROM (a week is e-mailed once per address)",
        )
        parser.add_argument("--as-of", dest="as_of", help="judge the data as of this ISO instant")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_instant(options["as_of"])
        try:
            result = send_weekly_review(
                week=options["week"],
                post_to_slack=options["post_to_slack"],
                email_to=options["email"],
                output=Path(options["output"]) if options["output"] else None,
                as_of=as_of,
            )
        except (ConfigError, WeekError, ReportError) as exc:
            raise CommandError(str(exc)) from None
        for line in result.lines:
            self.stdout.write(line)
        if not result.ok:
            raise CommandError(result.error)
