"""The stored facts on random timelines (issue 18 item 4): the engine-vs-reference property
test's orgs — random owner, status and activity histories with same-second ties, calendars, the
kill switch, deleted and converted leads — are stored in the database, their facts computed and
stored as of their T₀, then read back as of a later T (``rollups.stored``). The result must be
the engine's facts of the raw rows as of T, every column of every lead: the time-driven changes
between T₀ and T (``next_change_at``) and the events after T₀ are where it could go wrong."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing_health.facts.frames import load_frames, load_leads
from routing_health.metrics import lead_facts_of
from routing_health.models import (
    Activity,
    Lead,
    MetricsState,
    OwnerChange,
    Queue,
    SalesforceUser,
    StatusChange,
)
from routing_health.rollups.service import fact_frame, store_facts
from routing_health.rollups.stored import stored_lead_facts
from tests.export.test_export_single_pass import comparable
from tests.metrics.test_engine_matches_reference import OWNER_NAMES, orgs

pytestmark = pytest.mark.django_db
FINGERPRINT = "random-timelines"


def store_org(org: dict[str, Any]) -> None:
    """The org's frames as synced rows (every ``synced_at`` before the compute's mark)."""
    at = org["as_of"]
    for owner, name in OWNER_NAMES.items():
        model = SalesforceUser if owner.startswith("005") else Queue
        model.objects.create(id=owner, name=name, system_modstamp=at)
    Lead.objects.bulk_create([
        Lead(id=row.id, created_at=row.created_at, system_modstamp=at, owner_id=row.owner_id,
             status=row.status, is_converted=bool(row.is_converted),
             converted_date=row.converted_date if row.is_converted else None,
             is_deleted=bool(row.is_deleted), region=row.region or "", tier=row.tier or "",
             failed_node=row.failed_node or "", rejection_reason=row.rejection_reason or "")
        for row in org["leads"].itertuples()
    ])
    OwnerChange.objects.bulk_create([
        OwnerChange(id=row.id, lead_id=row.lead_id, created_at=row.created_at,
                    old_owner_id=row.old_owner_id, new_owner_id=row.new_owner_id)
        for row in org["owner_changes"].itertuples()
    ])
    StatusChange.objects.bulk_create([
        StatusChange(id=row.id, lead_id=row.lead_id, created_at=row.created_at,
                     old_status=row.old_status, new_status=row.new_status)
        for row in org["status_changes"].itertuples()
    ])
    Activity.objects.bulk_create([
        Activity(id=row.id, kind="Task", who_id=row.lead_id, lead_id=row.lead_id,
                 seen_lead_id=row.lead_id, owner_id=row.owner_id, created_at=row.created_at,
                 system_modstamp=row.created_at, is_deleted=bool(row.is_deleted))
        for row in org["activities"].itertuples()
    ])


def compute_and_store(params, as_of) -> None:
    """What ``compute_metrics`` stores as of ``as_of``: the facts and the state."""
    facts = lead_facts_of(load_frames(as_of=as_of), params, as_of)
    store_facts(fact_frame(facts, params, as_of, source=None))
    marks = [m.synced_at for m in (*Lead.objects.all(), *OwnerChange.objects.all(),
                                   *StatusChange.objects.all(), *Activity.objects.all())]
    MetricsState.objects.create(pk=1, as_of=as_of, config_fingerprint=FINGERPRINT,
                                sync_mark=max(marks))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(orgs(), st.sampled_from([0, 1, 59, 60 * 5, 60 * 31, 60 * 24 * 3, 60 * 24 * 9]))
def test_stored_facts_read_later_are_the_raw_facts(db, org: dict[str, Any], minutes: int):
    params = org["params"]
    computed = pd.Timestamp(org["as_of"]).to_pydatetime()
    later = computed + timedelta(minutes=minutes)
    with transaction.atomic():
        store_org(org)
        compute_and_store(params, computed)
        expected = lead_facts_of(load_frames(as_of=later), params, later)
        got = stored_lead_facts(load_leads(as_of=later), params, later, FINGERPRINT)
        assert got is not None
        assert len(got) == len(expected)
        if len(expected):
            pd.testing.assert_frame_equal(comparable(got), comparable(expected))
        transaction.set_rollback(True)
