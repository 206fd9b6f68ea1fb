"""``manage.py check_config``: validate the routing file and the org it describes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from routing_health.config import ConfigError
from routing_health.salesforce import SalesforceError, runtime
from routing_health.sync.org_checks import check_org


class Command(BaseCommand):
    help = (
        "Validate the routing configuration file, connect to Salesforce, and confirm the "
        "configured Lead fields exist, Owner and Status history tracking is on and the "
        "configured owners exist."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        path = runtime.config_path()
        try:
            config = runtime.routing_config()
        except ConfigError as exc:
            self.stdout.write(f"[FAIL] configuration file {path}")
            raise CommandError(str(exc)) from None
        self.stdout.write(f"[ok  ] configuration file {path}")
        try:
            findings = check_org(runtime.salesforce_client(), config)
        except SalesforceError as exc:
            raise CommandError(f"Salesforce: {exc}") from None
        for finding in findings:
            self.stdout.write(finding.line())
        failed = [f for f in findings if not f.ok]
        if failed:
            raise CommandError(f"{len(failed)} problem(s) found")
        self.stdout.write("configuration OK")
