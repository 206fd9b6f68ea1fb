"""``manage.py weekly_report [--week 2026-W47] [--output FILE] [--post-to-slack] [--as-of ISO]``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.reports.cli import parse_instant
from routing_health.reports.render import render_weekly_html
from routing_health.reports.slack_summary import summary_line, weekly_slack_payload
from routing_health.reports.store import (
    default_output_path,
    mark_posted,
    report_url,
    save_weekly_report,
    write_report_file,
)
from routing_health.reports.weekly import build_weekly_report
from routing_health.reports.weeks import WeekError
from routing_health.salesforce import runtime
from routing_health.slack.transport import SlackError, SlackTransport

SLACK_NOT_CONFIGURED = (
    "Slack is not configured (set SLACK_BOT_TOKEN and SLACK_CHANNEL): the summary was not posted"
)


class Command(BaseCommand):
    help = (
        "Write the weekly routing review of an ISO week (default: the last complete week in the "
        "report time zone) as one self-contained HTML file, store it for the dashboard's "
        "Reports page, and optionally post a summary to Slack."
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
        parser.add_argument("--as-of", dest="as_of", help="judge the data as of this ISO instant")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_instant(options["as_of"])
        try:
            config = runtime.routing_config()
            report = build_weekly_report(config, options["week"], as_of)
        except (ConfigError, WeekError) as exc:
            raise CommandError(str(exc)) from None
        html = render_weekly_html(report)
        path = Path(options["output"]) if options["output"] else default_output_path(report.week)
        try:
            write_report_file(html, path)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}") from None
        save_weekly_report(report, html)
        self.stdout.write(str(path))
        self.stdout.write(summary_line(report))
        if options["post_to_slack"]:
            self._post(report)

    def _post(self, report: Any) -> None:
        transport = SlackTransport.from_settings()
        if transport is None:
            self.stdout.write(SLACK_NOT_CONFIGURED)
            return
        url = report_url(report.week)
        try:
            ts = transport.post(weekly_slack_payload(report, report_url=url))
        except SlackError as exc:
            raise CommandError(f"posting the summary to Slack failed: {exc}") from None
        mark_posted(report.week, ts, datetime.now(UTC))
        self.stdout.write(f"posted the summary to Slack {transport.channel} ({url})")
