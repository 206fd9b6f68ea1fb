"""``manage.py fairness_review [--month 2026-11] [--output FILE] [--as-of ISO]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.reports.cli import parse_instant
from routing_health.reports.fairness import MonthError
from routing_health.reports.service import send_fairness_review


class Command(BaseCommand):
    help = (
        "Write the monthly fairness review (how each pool's leads were shared against the reps' "
        "weights, by region and segment, and the leads sent to inactive or out-of-office reps) "
        "of a month (default: the last complete month in the report time zone) as one HTML "
        "file and store it for the dashboard's Reports page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="e.g. 2026-11 (default: the last complete month)")
        parser.add_argument(
            "--output",
            help="HTML file to write (default: <data dir>/reports/fairness-<month>.html)",
        )
        parser.add_argument("--as-of", dest="as_of", help="judge the data as of this ISO instant")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_instant(options["as_of"])
        try:
            lines = send_fairness_review(
                month=options["month"], as_of=as_of,
                output=Path(options["output"]) if options["output"] else None,
            )
        except (ConfigError, MonthError) as exc:
            raise CommandError(str(exc)) from None
        for line in lines:
            self.stdout.write(line)
