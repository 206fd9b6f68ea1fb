"""``manage.py create_api_token <name>``: print a new API token once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.models import ApiToken
from routing_health.models.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for scripts and BI tools; it is printed once and stored hashed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who or what uses the token, e.g. looker")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"a token named {name!r} already exists (revoke it in the admin)")
        _, token = create_token(name)
        self.stdout.write(token)
