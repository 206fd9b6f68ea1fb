"""``manage.py demo``: the whole product on a synthetic org, in one command (``make demo``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.sandbox.demo import run_demo


class Command(BaseCommand):
    help = (
        "Start local Salesforce and Slack emulators with a synthetic org (and its incident), run "
        "the real sync, metrics and alerts, then serve the dashboard. Ctrl-C stops everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=6_000, help="size of the demo org")
        parser.add_argument("--port", type=int, default=8000, help="dashboard port (or a free one)")
        parser.add_argument("--live-seconds", type=float, default=5.0, help="new lead every N s")

    def handle(
        self, *args: Any, leads: int, port: int, live_seconds: float, **options: Any
    ) -> None:
        try:
            run_demo(leads=leads, port=port, live_seconds=live_seconds, say=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
