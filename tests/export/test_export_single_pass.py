"""The export's single pass (issue 18): one load and one engine run over the leads duplicate
matching needs give the same cohort facts — every column, shadow and duplicates included — as
the cohort's own load and run plus the separate duplicates load and run it replaced."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from routing_health.facts.calendars import resolved_params
from routing_health.facts.duplicates import duplicate_cohort_facts
from routing_health.reports.export import (
    cohort_facts,
    export_members,
    parse_request,
    with_duplicates,
)
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def two_passes(config, params, request) -> pd.DataFrame:
    extra = [key for key in request.by if key in config.lead_fields.extra]
    members = cohort_facts(params, request.start, request.end, request.as_of, extra,
                           shadow=config.shadow, data_quality=config.data_quality)
    return with_duplicates(members, duplicate_cohort_facts(
        config, params, request.start, request.end, request.as_of, extra))


def comparable(facts: pd.DataFrame) -> pd.DataFrame:
    """Rows by lead, columns sorted, categoricals as their values (the two loads hold
    different category sets), missing values as None."""
    frame = facts.sort_values("lead_id").reset_index(drop=True)
    frame = frame[sorted(frame.columns)].astype(object)
    return frame.where(frame.notna(), None)


@pytest.mark.parametrize(
    ("start", "end", "by", "hours_back"),
    [
        ("2026-11-01", "2026-11-19", "region,tier", 0),
        ("2026-11-13", "2026-11-19", "", 0),
        ("2026-10-30", "2026-11-10", "region", 24 * 5 + 7),  # as of an earlier instant
    ],
)
def test_one_pass_equals_two_on_the_demo_org(synced_org, start, end, by, hours_back):
    check(start, end, by, NOW - timedelta(hours=hours_back))


def test_one_pass_equals_two_with_shadow_routing(synced_shadow_org):
    check("2026-11-06", "2026-11-19", "region,tier", NOW)


def check(start: str, end: str, by: str, as_of) -> None:
    config = runtime.routing_config()
    params = resolved_params(config)
    request = parse_request(config, start=start, end=end, by=by, as_of=as_of.isoformat())
    single, _leads = export_members(config, params, request)
    double = two_passes(config, params, request)
    assert len(single) > 50  # a real cohort, not an empty comparison
    assert single["duplicate_candidate"].astype(bool).any()
    pd.testing.assert_frame_equal(comparable(single), comparable(double))


def test_a_partner_before_the_cohort_counts(synced_org):
    """Two leads of one company routed to two reps nine days apart (window 30 days): the later
    one, in the cohort, is duplicate outreach because of the earlier one, outside it."""
    from datetime import UTC, datetime

    from routing_health.models import Lead

    config = runtime.routing_config()
    request = parse_request(config, start="2026-11-08", end="2026-11-19", by="",
                            as_of=NOW.isoformat())
    before, _ = export_members(config, resolved_params(config), request)
    reps = sorted(set(before["first_rep"].dropna().astype(str)) - {""})[:2]  # two real reps
    when = {"00Q000000000ZZ1AAA": datetime(2026, 11, 3, 15, tzinfo=UTC),
            "00Q000000000ZZ2AAA": datetime(2026, 11, 12, 15, tzinfo=UTC)}
    for (lead_id, created), rep in zip(when.items(), reps, strict=True):
        Lead.objects.create(id=lead_id, company="Zeta Boundary Works",
                            email=f"{lead_id[-4:]}@zeta-boundary.example", created_at=created,
                            system_modstamp=created, owner_id=rep, status="Working")
    single, _ = export_members(config, resolved_params(config), request)
    later = single[single["lead_id"].astype(str) == "00Q000000000ZZ2AAA"].iloc[0]
    assert later["first_rep"] == reps[1]
    assert bool(later["duplicate_outreach"]) is True
    assert "00Q000000000ZZ1AAA" not in set(single["lead_id"].astype(str))


def test_many_partners_load_the_whole_window(synced_org, monkeypatch):
    """Past ``PARTNERS_BY_ID`` partners the window is loaded whole, by time: the same facts."""
    monkeypatch.setattr("routing_health.reports.export.PARTNERS_BY_ID", 0)
    check("2026-11-08", "2026-11-19", "region,tier", NOW)
