"""The export from the stored facts (issue 18 item 4): ``compute_metrics``' ``LeadFact`` rows,
with the leads that changed since recomputed, give the same facts — every column — and the
same JSON as the export from the raw rows, on the demo org and on random changes made after
the compute (random timelines: events before, between and after the two instants, renamed
owners, deleted and converted leads)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing_health.facts.calendars import resolved_params
from routing_health.models import (
    Activity,
    Lead,
    OwnerChange,
    Queue,
    SalesforceUser,
    StatusChange,
)
from routing_health.reports.export import compute_export, export_members, parse_request, to_json
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW
from tests.export.test_export_single_pass import comparable

pytestmark = pytest.mark.django_db
STORED = "stored facts as of"  # the log line of an export served from the stored facts


def both_paths(start: str, end: str, by: str, as_of, caplog, *, nonempty: bool = True
               ) -> tuple[dict, dict]:
    """(stored, raw): the export documents of the two paths; the stored one must have been
    served from the stored facts, and their cohort facts must agree column by column."""
    config = runtime.routing_config()
    params = resolved_params(config)
    request = parse_request(config, start=start, end=end, by=by, as_of=as_of.isoformat())
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="routing_health.rollups.stored"):
        stored, _ = export_members(config, params, request)
    assert STORED in caplog.text, "the export did not read the stored facts"
    raw, _ = export_members(config, params, request, raw=True)
    assert len(raw) > 0 or not nonempty  # a late start, an early as_of: no lead yet
    pd.testing.assert_frame_equal(comparable(stored), comparable(raw))
    return (json_of(config, request), json_of(config, request, raw=True))


def json_of(config, request, *, raw: bool = False) -> str:
    return to_json(compute_export(config, request, raw=raw))


def compute_at(hours_before_now: float) -> None:
    compute_metrics(config=runtime.routing_config(), as_of=NOW - timedelta(hours=hours_before_now),
                    full=True)


@pytest.mark.parametrize(
    ("computed", "exported", "start", "end", "by"),
    [
        (0, 0, "2026-11-01", "2026-11-19", "region,tier"),  # the instant of the compute
        (30, 0, "2026-11-13", "2026-11-19", ""),  # 30 h of events and deadlines since
        (24 * 6, 0, "2026-10-30", "2026-11-19", "day,first_rep"),
        (5, 3, "2026-11-06", "2026-11-19", "failure_reason,routed_owner,week"),
    ],
)
def test_the_stored_facts_give_the_raw_export(synced_org, caplog, computed, exported, start,
                                              end, by):
    compute_at(computed)
    stored, raw = both_paths(start, end, by, NOW - timedelta(hours=exported), caplog)
    assert stored == raw


def test_with_shadow_routing(synced_shadow_org, caplog):
    compute_at(10)
    stored, raw = both_paths("2026-11-06", "2026-11-19", "region,tier", NOW, caplog)
    assert '"shadow_' in stored
    assert stored == raw


def test_changes_synced_after_the_compute_are_read(synced_org, caplog):
    """Renamed owners, deleted leads, a touch and an owner change, all synced after the
    compute: the export shows them, as the raw rows do."""
    config = runtime.routing_config()
    window = Lead.objects.filter(
        is_deleted=False, created_at__gte=datetime(2026, 11, 2, tzinfo=UTC),
        created_at__lt=datetime(2026, 11, 19, tzinfo=UTC)).order_by("id")
    stuck = window[5]  # never routed: "unrouted: <the holding owner's name>"
    OwnerChange.objects.filter(lead_id=stuck.id).delete()
    stuck.owner_id = sorted(resolved_params(config).holding)[0]
    stuck.failed_node = ""
    stuck.save()
    compute_at(0)
    request = parse_request(config, start="2026-11-01", end="2026-11-19",
                            by="failure_reason,first_rep", as_of=NOW.isoformat())
    before = json_of(config, request)
    assert '"unrouted: ' in before
    for owner in [*SalesforceUser.objects.all(), *Queue.objects.all()]:
        owner.name = f"{owner.name} (renamed)"
        owner.save()
    for lead in window[:3]:
        lead.is_deleted = True
        lead.save()
    touched, moved = window[3], window[4]
    Activity.objects.create(id="00T000000000NEW1AA", kind="Task", who_id=touched.id,
                            lead_id=touched.id, seen_lead_id=touched.id,
                            owner_id=SalesforceUser.objects.order_by("id").first().id,
                            created_at=touched.created_at + timedelta(minutes=3),
                            system_modstamp=NOW)
    OwnerChange.objects.create(id="017000000000NEW1AA", lead_id=moved.id,
                               created_at=moved.created_at + timedelta(minutes=1),
                               old_owner_id=moved.owner_id,
                               new_owner_id=SalesforceUser.objects.order_by("-id").first().id)
    stored, raw = both_paths("2026-11-01", "2026-11-19", "failure_reason,first_rep", NOW,
                             caplog)
    assert stored == raw
    assert stored != before
    assert "0 recomputed" not in caplog.text
    assert "(renamed)" in stored  # the unrouted reason names the renamed holding owner


def test_a_conversion_dated_after_the_compute_ends_the_queueing(synced_org, caplog):
    """A compute as of an earlier instant sees a queued lead whose ConvertedDate (synced
    before the compute) is a later day: by the export's ``as_of`` it is converted, so no
    longer queued, with no sync in between to mark it."""
    from routing_health.models import LeadFact

    compute_at(48)
    queued = list(LeadFact.objects.filter(queued=True).values_list("lead_id", flat=True)[:3])
    assert queued
    # ``update`` leaves ``synced_at`` alone: as if synced with the rest, before the compute.
    Lead.objects.filter(id__in=queued).update(is_converted=True, converted_date=NOW.date())
    compute_at(48)
    assert LeadFact.objects.filter(lead_id__in=queued, queued=True).count() == len(queued)
    stored, raw = both_paths("2026-10-30", "2026-11-19", "region", NOW, caplog)
    assert stored == raw


def test_an_earlier_as_of_or_another_configuration_reads_the_raw_rows(synced_org, caplog):
    compute_at(0)
    config = runtime.routing_config()
    params = resolved_params(config)
    request = parse_request(config, start="2026-11-10", end="2026-11-15", by="",
                            as_of=(NOW - timedelta(hours=1)).isoformat())
    with caplog.at_level(logging.INFO, logger="routing_health.rollups.stored"):
        export_members(config, params, request)
    assert STORED not in caplog.text
    from routing_health.models import MetricsState

    MetricsState.objects.update(config_fingerprint="other")
    request = parse_request(config, start="2026-11-10", end="2026-11-15", by="",
                            as_of=NOW.isoformat())
    with caplog.at_level(logging.INFO, logger="routing_health.rollups.stored"):
        export_members(config, params, request)
    assert STORED not in caplog.text


CHANGES = st.lists(
    st.tuples(
        st.sampled_from(["owner", "status", "activity", "delete", "convert", "rename", "lead"]),
        st.integers(min_value=0, max_value=399),  # which lead (or user)
        st.integers(min_value=-60 * 24 * 3, max_value=60 * 24 * 3),  # minutes from the compute
    ),
    max_size=8,
)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(computed=st.integers(min_value=0, max_value=24 * 4),
       later=st.integers(min_value=0, max_value=24 * 3),
       changes=CHANGES,
       first=st.integers(min_value=0, max_value=18),
       by=st.sampled_from(["", "region,tier", "failure_reason", "first_rep,day"]))
def test_random_changes_after_the_compute(synced_org, caplog, computed, later, changes, first,
                                          by):
    with transaction.atomic():
        compute_at(computed)
        anchor = NOW - timedelta(hours=computed)
        leads = list(Lead.objects.order_by("id"))
        users = list(SalesforceUser.objects.order_by("id"))
        statuses = sorted({lead.status for lead in leads})
        for n, (kind, which, minutes) in enumerate(changes):
            apply_change(kind, leads[which % len(leads)], users[which % len(users)],
                         statuses, anchor + timedelta(minutes=minutes), n)
        as_of = anchor + timedelta(hours=later)
        start = date(2026, 11, 1) + timedelta(days=first)
        stored, raw = both_paths(start.isoformat(), "2026-11-19", by, as_of, caplog,
                                 nonempty=False)
        assert stored == raw
        transaction.set_rollback(True)


def apply_change(kind: str, lead: Lead, user: SalesforceUser, statuses: list[str], at: Any,
                 n: int) -> None:
    """One change synced after the compute (``synced_at`` is the time of the save)."""
    at = max(at, lead.created_at)
    suffix = f"{n:04d}"
    if kind == "owner":
        OwnerChange.objects.create(id=f"017000000000H{suffix}A", lead_id=lead.id, created_at=at,
                                   old_owner_id=lead.owner_id, new_owner_id=user.id)
        lead.owner_id = user.id
        lead.save()
    elif kind == "status":
        new = statuses[(statuses.index(lead.status) + 1) % len(statuses)]
        StatusChange.objects.create(id=f"017000000000S{suffix}A", lead_id=lead.id,
                                    created_at=at, old_status=lead.status, new_status=new)
        lead.status = new
        lead.save()
    elif kind == "activity":
        Activity.objects.create(id=f"00T000000000A{suffix}A", kind="Task", who_id=lead.id,
                                lead_id=lead.id, seen_lead_id=lead.id, owner_id=user.id,
                                created_at=at, system_modstamp=at)
    elif kind == "delete":
        lead.is_deleted = True
        lead.save()
    elif kind == "convert":
        lead.is_converted = True
        lead.converted_date = at.date()
        lead.save()
    elif kind == "rename":
        user.name = f"{user.name} {suffix}"
        user.save()
    elif kind == "lead":  # a new lead, created at ``at``
        Lead.objects.create(id=f"00Q000000000N{suffix}A", name="New", company=lead.company,
                            created_at=at, system_modstamp=at, owner_id=lead.owner_id,
                            status=lead.status, region=lead.region, tier=lead.tier)
