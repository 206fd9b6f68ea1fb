"""``manage.py routing_test run PACK.toml [--connection sandbox] [--create] [--keep]
[--timeout S] [--junit FILE] [--run-id ID]`` — run a routing test pack (docs/change-safety.md).

Off by default and never scheduled: only this command, run by a person or a CI job, writes to
Salesforce, and only with ``--create`` in a sandbox org.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing_health.config import ConfigError
from routing_health.routing_tests.pack import PackError, load_pack
from routing_health.routing_tests.report import junit_xml, table
from routing_health.routing_tests.service import PackRunError, new_run_id, run_pack
from routing_health.routing_tests.store import store_refusal, store_run
from routing_health.salesforce import SalesforceError, runtime
from routing_health.salesforce.connection import CONNECTIONS


class Command(BaseCommand):
    help = "Run a routing test pack: insert (sandbox only) or find its leads, compare owners."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="run a pack (exit 1 on any mismatch or timeout)")
        run.add_argument("pack", type=Path, help="the pack file (TOML)")
        run.add_argument("--connection", choices=tuple(CONNECTIONS), default="default",
                         help="default: the SALESFORCE_* org; sandbox: SALESFORCE_SANDBOX_*")
        run.add_argument("--create", action="store_true",
                         help="insert the pack's leads (refused unless the org is a sandbox)")
        run.add_argument("--keep", action="store_true",
                         help="with --create: leave the test leads in the org")
        run.add_argument("--timeout", type=float, default=300.0, metavar="S",
                         help="seconds to wait for the leads to be routed (default 300)")
        run.add_argument("--junit", type=Path, default=None, metavar="FILE",
                         help="also write the result as JUnit XML")
        run.add_argument("--run-id", default=None,
                         help="without --create: the run id the loaded leads carry")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["keep"] and not options["create"]:
            raise CommandError("--keep only applies with --create")
        if options["timeout"] < 0:
            raise CommandError("--timeout must be 0 or more seconds")
        try:
            pack = load_pack(options["pack"])
            config = runtime.routing_config()
            client = runtime.salesforce_client(options["connection"])
        except (PackError, ConfigError, SalesforceError) as exc:
            raise CommandError(str(exc)) from None
        run_id = options["run_id"] or (new_run_id(datetime.now(UTC)) if options["create"]
                                       else None)
        try:
            run = run_pack(pack, client=client, config=config, create=options["create"],
                           keep=options["keep"], timeout_seconds=options["timeout"],
                           run_id=run_id, say=self.stdout.write)
        except (PackRunError, SalesforceError) as exc:
            if run_id:
                store_refusal(pack, run_id=run_id, connection=options["connection"],
                              instance_url=_instance(client), message=str(exc),
                              create=options["create"], keep=options["keep"])
            raise CommandError(str(exc)) from None
        store_run(run, connection=options["connection"])
        self.stdout.write(table(run))
        if options["junit"] is not None:
            options["junit"].write_text(junit_xml(run), encoding="utf-8")
            self.stdout.write(f"JUnit XML written to {options['junit']}")
        if not run.passed:
            failed = [c.name for c in run.cases if not c.passed]
            raise CommandError(
                run.error or f"{len(failed)} case(s) failed: {', '.join(failed)}")


def _instance(client: Any) -> str:
    try:
        return client.instance_url
    except SalesforceError:
        return ""
