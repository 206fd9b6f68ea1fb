"""``manage.py deliver_notifications [--retry-failed]``: send the due notifications."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from routing_health.alerts.delivery import deliver_due


class Command(BaseCommand):
    help = (
        "Deliver due notifications (alerts, the daily digest, the weekly review) to Slack and "
        "e-mail; retries with backoff happen on every run. --retry-failed requeues failed ones "
        "from the last 48 h and tries a destination that Slack or the SMTP server refused once "
        "more (after fixing the token, channel, e-mail settings or address)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--retry-failed", action="store_true",
            help="requeue failed notifications, re-enable disabled Slack and e-mail destinations",
        )

    def handle(self, *args: Any, retry_failed: bool, **options: Any) -> None:
        for line in deliver_due(retry_failed=retry_failed).lines():
            self.stdout.write(line)
