"""Run a routing test pack against an org: insert (``create``) or find its leads, wait until
each is routed, judge them, delete what it inserted.

The product's only write. With ``create`` it refuses, before writing anything, unless
``SELECT IsSandbox FROM Organization`` is true; the leads carry ``<run id>:<case>`` in the
pack's marker field, and every lead carrying the run id is deleted at the end unless ``keep``
(also when the run fails half-way). Without ``create`` it only reads: it judges the leads
someone else loaded (e.g. with Data Loader) carrying the given run id.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import monotonic, sleep

import pandas as pd

from routing_health.config import RoutingConfig
from routing_health.lib.sfid import is_owner_id, to_18
from routing_health.routing_tests.judge import CaseResult, Owners, judge_leads, summarise
from routing_health.routing_tests.pack import Pack
from routing_health.salesforce.client import SalesforceClient
from routing_health.salesforce.errors import SalesforceError
from routing_health.salesforce.pack_reads import (
    marked_leads,
    owner_changes,
    owner_names,
    owners_named,
)
from routing_health.salesforce.writes import create_records, delete_records, org_is_sandbox

NOT_A_SANDBOX = (
    "refusing to create test leads: this org is not a sandbox "
    "(SELECT IsSandbox FROM Organization is false). The routing test pack writes only to a "
    "sandbox: point --connection sandbox (the SALESFORCE_SANDBOX_* variables) at one"
)
POLL_SECONDS = 2.0
# SOQL LIKE finds the run's leads: no '_' or '%' (wildcards) and no ':' (ends the run id).
RUN_ID_RE = re.compile(r"[A-Za-z0-9.-]{1,40}")


class PackRunError(Exception):
    """The run could not be made (refused, an owner that does not resolve, a failed insert)."""


@dataclass
class PackRun:
    """What a run did and found."""

    run_id: str
    pack: Pack
    create: bool
    keep: bool
    instance_url: str
    started_at: datetime
    finished_at: datetime | None = None
    is_sandbox: bool | None = None
    cases: list[CaseResult] = field(default_factory=list)
    leads: pd.DataFrame | None = None  # judge_leads' frame
    owner_names: dict[str, str] = field(default_factory=dict)
    created: int = 0
    deleted: int = 0
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.cases) and all(c.passed for c in self.cases)


def new_run_id(now: datetime) -> str:
    """``rt-20261204T170512-3f9a``: no ``_`` or ``%``, which SOQL LIKE would read."""
    return f"rt-{now.astimezone(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"


def run_pack(pack: Pack, *, client: SalesforceClient, config: RoutingConfig, create: bool,
             keep: bool = False, timeout_seconds: float = 300.0, run_id: str | None = None,
             say: Callable[[str], None] = lambda _: None) -> PackRun:
    """Run ``pack``; raises :class:`PackRunError` (e.g. :data:`NOT_A_SANDBOX`) before any
    write when the run cannot be made. The returned run says what happened, ``error`` set
    when it stopped half-way (its leads were still cleaned up)."""
    started = datetime.now(UTC)
    if create:
        run_id = run_id or new_run_id(started)
    elif not run_id:
        raise PackRunError("without --create, give the --run-id the loaded leads carry")
    if not RUN_ID_RE.fullmatch(run_id):
        raise PackRunError(f"run id {run_id!r}: use letters, digits, '-' and '.' only (at most "
                           "40 characters)")
    run = PackRun(run_id=run_id, pack=pack, create=create, keep=keep,
                  instance_url=client.instance_url, started_at=started)
    if create:
        run.is_sandbox = org_is_sandbox(client)
        if not run.is_sandbox:
            raise PackRunError(NOT_A_SANDBOX)
    owners, expected = _resolve_owners(pack, client, config)
    try:
        if create:
            run.created = _insert(pack, client, run_id, say)
        leads = _wait(pack, client, config, run_id, owners, timeout_seconds, say)
        changes = owner_changes(client, leads["lead_id"].tolist())
        known = owner_names(client, {*leads["owner_id"], *changes["new_owner_id"]})
        owners = Owners(owners.holding, owners.fallback, {**owners.names, **known})
        run.leads = judge_leads(leads, changes, owners, expected, pack.cases)
        run.owner_names = dict(owners.names)
        sla = {c.name: _sla_seconds(c.fields, config) for c in pack.cases if c.check_sla}
        run.cases = summarise(run.leads, pack.cases, owners, sla)
    except (PackRunError, SalesforceError) as exc:
        run.error = str(exc)
    finally:
        if create and not keep:
            try:
                run.deleted = _delete_marked(pack, client, run_id, say)
            except SalesforceError as exc:
                say(f"WARNING: the test leads of run {run_id} were not deleted: {exc}")
                run.error = run.error or f"test leads not deleted: {exc}"
        run.finished_at = datetime.now(UTC)
    return run


def _resolve_owners(pack: Pack, client: SalesforceClient,
                    config: RoutingConfig) -> tuple[Owners, dict[str, str | None]]:
    """Holding and fallback owners (the pack's, else the routing config's) and each case's
    expected owner as an 18-character Id; a name that matches no or several owners is an
    error, before anything is written."""
    named = [o for o in (*pack.holding, *pack.fallback, *(c.owner or "" for c in pack.cases))
             if o and not is_owner_id(o)]
    found = owners_named(client, named)
    problems = [f"{n!r} ({'no User or Queue has this name' if not ids else 'ambiguous'})"
                for n, ids in found.items() if len(ids) != 1]
    if problems:
        raise PackRunError("owners in the pack do not resolve: " + ", ".join(problems))

    def owner_id(value: str) -> str:
        return to_18(value) if is_owner_id(value) else found[value][0]

    holding = frozenset(map(owner_id, pack.holding)) or config.owners.holding
    fallback = frozenset(map(owner_id, pack.fallback)) or config.owners.fallback
    expected = {c.name: owner_id(c.owner) if c.owner else None for c in pack.cases}
    names = {owner_id(n): n for n in named}
    return Owners(holding, fallback, names), expected


def _insert(pack: Pack, client: SalesforceClient, run_id: str,
            say: Callable[[str], None]) -> int:
    records = [
        {**case.lead_fields(n), pack.marker_field: f"{run_id}:{case.name}"}
        for case in pack.cases for n in range(1, case.count + 1)
    ]
    say(f"run {run_id}: inserting {len(records)} test lead(s)")
    results = create_records(client, "Lead", records)
    failed = [r for r in results if not r.success]
    if failed:
        raise PackRunError(f"{len(failed)} test lead(s) could not be inserted: "
                           + "; ".join(sorted({e for r in failed for e in r.errors})[:3]))
    return len(results)


def _wait(pack: Pack, client: SalesforceClient, config: RoutingConfig, run_id: str,
          owners: Owners, timeout_seconds: float, say: Callable[[str], None]) -> pd.DataFrame:
    """The run's leads once each has left the holding owners or had its failed node written,
    or when ``timeout_seconds`` have passed."""
    deadline = monotonic() + timeout_seconds
    while True:
        leads = _known_cases(marked_leads(
            client, marker_field=pack.marker_field, run_id=run_id,
            failed_node_field=config.lead_fields.failed_node), pack, say)
        holding = leads["owner_id"].isin(list(owners.holding))
        faulted = leads["failed_node"].fillna("").astype(str) != ""
        waiting = int((holding & ~faulted).sum())
        if (waiting == 0 and len(leads) >= pack.lead_count) or monotonic() >= deadline:
            return leads
        say(f"waiting for {waiting} of {len(leads)} lead(s) to be routed")
        sleep(min(POLL_SECONDS, max(deadline - monotonic(), 0.0)))


def _known_cases(leads: pd.DataFrame, pack: Pack, say: Callable[[str], None]) -> pd.DataFrame:
    leads = leads.assign(case=leads["marker"].astype(str).str.split(":", n=1).str[1])
    known = leads["case"].isin([c.name for c in pack.cases])
    if not known.all():
        say(f"ignoring {int((~known).sum())} lead(s) whose case is not in the pack")
    return leads[known].reset_index(drop=True)


def _delete_marked(pack: Pack, client: SalesforceClient, run_id: str,
                   say: Callable[[str], None]) -> int:
    """Delete every lead carrying the run id (not only those whose insert answered)."""
    leads = marked_leads(client, marker_field=pack.marker_field, run_id=run_id,
                         failed_node_field=None)
    results = delete_records(client, leads["lead_id"].tolist())
    deleted = sum(r.success for r in results)
    say(f"deleted {deleted} test lead(s)")
    if deleted != len(results):
        say(f"WARNING: {len(results) - deleted} test lead(s) of run {run_id} were not deleted")
    return deleted


def _sla_seconds(fields: dict, config: RoutingConfig) -> float:
    """The assignment SLA of the tier the case's leads fall in, in seconds."""
    tier_field = config.lead_fields.tier
    tier = config.tier_for(fields.get(tier_field) if tier_field else None)
    return config.tier_sla(tier).assign_minutes * 60.0
