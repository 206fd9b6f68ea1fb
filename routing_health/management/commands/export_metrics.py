"""``manage.py export_metrics --start DATE --end DATE [--by region,tier] [--as-of ISO]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.reports.export import (
    ExportError,
    compute_export,
    parse_request,
    to_csv,
    to_json,
)
from routing_health.salesforce import runtime


class Command(BaseCommand):
    help = "Print routing metrics for the leads created between two dates (JSON or CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", help="first day, YYYY-MM-DD (default: 7 days before end)")
        parser.add_argument("--end", help="last day, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--by", default="", help="grouping, e.g. region,tier (default: none)")
        parser.add_argument("--as-of", dest="as_of", help="ISO instant (default: now)")
        parser.add_argument("--format", choices=("json", "csv"), default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = runtime.routing_config()
            request = parse_request(
                config,
                start=options["start"],
                end=options["end"],
                by=options["by"],
                as_of=options["as_of"],
            )
            document = compute_export(config, request)
        except (ConfigError, ExportError) as exc:
            raise CommandError(str(exc)) from None
        text = to_csv(document) if options["format"] == "csv" else to_json(document)
        self.stdout.write(text, ending="")
