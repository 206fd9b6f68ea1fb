"""Store a pack run (``RoutingTestRun`` → cases → leads) for the Routing tests page."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from django.db import transaction

from routing_health.models import RoutingTestCase, RoutingTestLead, RoutingTestRun
from routing_health.routing_tests.pack import Pack
from routing_health.routing_tests.service import PackRun


@transaction.atomic
def store_run(run: PackRun, *, connection: str) -> RoutingTestRun:
    """Save ``run`` with its cases and judged leads; returns the run row."""
    row = RoutingTestRun.objects.create(
        run_id=run.run_id, pack_name=run.pack.name, pack_path=run.pack.source,
        connection=connection, instance_url=run.instance_url, created_leads=run.create,
        kept_leads=run.keep, is_sandbox=run.is_sandbox,
        status=RoutingTestRun.Status.PASSED if run.passed else RoutingTestRun.Status.FAILED,
        started_at=run.started_at, finished_at=run.finished_at,
        leads_inserted=run.created, leads_deleted=run.deleted, error=run.error,
    )
    descriptions = {c.name: c.description for c in run.pack.cases}
    cases = RoutingTestCase.objects.bulk_create([
        RoutingTestCase(
            run=row, position=i, name=c.name, description=descriptions.get(c.name, ""),
            expected=c.expected, actual=c.actual, leads=c.leads, passed_leads=c.passed_leads,
            timed_out=c.timed_out, seconds_to_route=c.seconds_to_route,
            sla_seconds=c.sla_seconds, failed_node=c.failed_node, passed=c.passed,
        )
        for i, c in enumerate(run.cases)
    ])
    if run.leads is not None and not run.leads.empty:
        _store_leads(run, {c.name: c for c in cases})
    return row


def _store_leads(run: PackRun, cases: dict[str, RoutingTestCase]) -> None:
    leads = run.leads
    assert leads is not None
    names = leads["routed_owner_id"].map(run.owner_names)
    frame = pd.DataFrame({
        "case": leads["case"].map(cases),
        "salesforce_id": leads["lead_id"],
        "created_at": leads["created"],
        "routed_at": leads["routed_at"],
        "routed_owner_id": leads["routed_owner_id"].fillna(""),
        "routed_owner_name": names.fillna(leads["routed_owner_id"]).fillna(""),
        "outcome": leads["outcome"],
        "failure_reason": leads["failure_reason"].fillna(""),
        "seconds_to_route": leads["seconds_to_route"].astype(float),
        "passed": leads["passed"].astype(bool),
    })
    frame["routed_at"] = frame["routed_at"].astype(object).where(frame["routed_at"].notna(), None)
    frame["seconds_to_route"] = frame["seconds_to_route"].astype(object).where(
        frame["seconds_to_route"].notna(), None)
    RoutingTestLead.objects.bulk_create(
        [RoutingTestLead(**record) for record in frame.to_dict("records")], batch_size=500)


def store_refusal(pack: Pack, *, run_id: str, connection: str, instance_url: str,
                  message: str, create: bool, keep: bool) -> RoutingTestRun:
    """A run refused before writing anything (e.g. not a sandbox), kept for the history."""
    now = datetime.now(UTC)
    return RoutingTestRun.objects.create(
        run_id=run_id, pack_name=pack.name, pack_path=pack.source, connection=connection,
        instance_url=instance_url, created_leads=create, kept_leads=keep,
        is_sandbox=False if "not a sandbox" in message else None,
        status=RoutingTestRun.Status.REFUSED, started_at=now, finished_at=now, error=message,
    )
