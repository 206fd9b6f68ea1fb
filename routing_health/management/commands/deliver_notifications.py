"""``manage.py deliver_notifications [--retry-failed]``: send the due alert notifications."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from routing_health.alerts.delivery import deliver_pending, requeue_failed
from routing_health.slack.transport import SlackTransport


class Command(BaseCommand):
    help = (
        "Deliver due alert notifications to Slack (retries with backoff happen on every run). "
        "--retry-failed requeues failed ones from the last 48 h and tries a destination that "
        "Slack refused once more (after fixing the token or channel)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--retry-failed", action="store_true",
            help="requeue failed notifications and re-enable a disabled Slack destination",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        requeued = requeue_failed(now) if options["retry_failed"] else 0
        if requeued:
            self.stdout.write(f"requeued {requeued} failed notifications")
        summary = deliver_pending(
            now, SlackTransport.from_settings(), force=options["retry_failed"]
        )
        self.stdout.write(summary.line())
