"""Rejections by reason on the Reps and Failures pages (issue 15, item 5), on a small org whose
counts are written out by hand below, and each count's drill-down to exactly its leads.

The org (report timezone UTC: the test configuration is empty), range Mon 2026-11-02 … Sun
2026-11-15, ISO weeks 2026-W45 (Nov 2–8) and 2026-W46 (Nov 9–15):

    lead  rep  region  created  rejected  reason
    1     Ana  AMER    Nov 3    yes       Wrong territory
    2     Ana  AMER    Nov 4    yes       Wrong territory
    3     Ana  EMEA    Nov 10   yes       Duplicate
    4     Ben  EMEA    Nov 5    yes       Wrong territory
    5     Ben  EMEA    Nov 11   yes       (none)
    6     Ben  AMER    Nov 12   yes       Duplicate
    7     Ana  AMER    Nov 12   no
    8     Ben  EMEA    Nov 6    no
    9     Ana  AMER    Oct 30   yes       Wrong territory   (before the range)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from django.utils import timezone

from routing_health.lib.sfid import to_18
from routing_health.models import LeadFact, MetricsState, SalesforceUser

pytestmark = pytest.mark.django_db

ANA, BEN = to_18("005000000000A01"), to_18("005000000000B01")
RANGE = {"start": "2026-11-02", "end": "2026-11-15"}
WT, DUP, NONE = "Wrong territory", "Duplicate", "(no reason given)"
ROWS = [
    # (n, rep, region, day, rejected, reason)
    (1, ANA, "AMER", date(2026, 11, 3), True, WT),
    (2, ANA, "AMER", date(2026, 11, 4), True, WT),
    (3, ANA, "EMEA", date(2026, 11, 10), True, DUP),
    (4, BEN, "EMEA", date(2026, 11, 5), True, WT),
    (5, BEN, "EMEA", date(2026, 11, 11), True, ""),
    (6, BEN, "AMER", date(2026, 11, 12), True, DUP),
    (7, ANA, "AMER", date(2026, 11, 12), False, ""),
    (8, BEN, "EMEA", date(2026, 11, 6), False, ""),
    (9, ANA, "AMER", date(2026, 10, 30), True, WT),
]
# Hand-counted: table -> row label -> reason -> the leads (by number) counted there.
EXPECTED = {
    "rep": {
        "Ana Alvarez": {WT: {1, 2}, DUP: {3}},
        "Ben Brooks": {WT: {4}, DUP: {6}, NONE: {5}},
    },
    "region": {
        "AMER": {WT: {1, 2}, DUP: {6}},
        "EMEA": {WT: {4}, DUP: {3}, NONE: {5}},
    },
    "week": {
        "2026-W45": {WT: {1, 2, 4}},
        "2026-W46": {DUP: {3, 6}, NONE: {5}},
    },
}


@pytest.fixture
def small_org(make_lead: Any) -> dict[int, str]:
    now = timezone.now()
    SalesforceUser.objects.create(id=ANA, name="Ana Alvarez", system_modstamp=now)
    SalesforceUser.objects.create(id=BEN, name="Ben Brooks", system_modstamp=now)
    ids = {}
    for n, rep, region, day, rejected, reason in ROWS:
        created = datetime.combine(day, time(15, 0), tzinfo=UTC)
        lead = make_lead(created_at=created, region=region, tier="hot", owner_id=rep,
                         status="Rejected" if rejected else "Working")
        LeadFact.objects.create(
            lead_id=lead.id, created_at=created, created_day=day, region=region, tier="hot",
            outcome="succeeded", routed_owner=rep, first_rep=rep, rep_assigned_at=created,
            tta_minutes=1.0, rejected=rejected, rejection_reason=reason,
        )
        ids[n] = lead.id
    MetricsState.objects.update_or_create(
        pk=1, defaults={"as_of": datetime(2026, 11, 16, 12, 0, tzinfo=UTC)}
    )
    return ids


def listed(client: Any, href: str) -> set[str]:
    response = client.get(href)
    assert response.status_code == 200
    return {lead.id for lead in response.context["page_obj"].object_list}


def tables(response: Any) -> dict[str, Any]:
    return {table.key: table for table in response.context["rejections"].tables}


@pytest.mark.parametrize("key", ["rep", "region", "week"])
def test_each_reason_is_counted_by_rep_region_and_week_as_counted_by_hand(
    signed_in, small_org, key
):
    table = tables(signed_in.get("/reps", RANGE))[key]
    assert table.reason_names == (WT, DUP, NONE)  # most rejections first, no reason last
    got = {
        row.label: {reason: cell.count for reason, cell in
                    zip(table.reason_names, row.cells, strict=True) if cell.count}
        for row in table.rows
    }
    assert got == {label: {r: len(leads) for r, leads in cells.items()}
                   for label, cells in EXPECTED[key].items()}
    assert {row.label: row.total.count for row in table.rows} == {
        label: sum(len(leads) for leads in cells.values())
        for label, cells in EXPECTED[key].items()
    }
    assert [cell.count for cell in table.reasons] == [3, 2, 1]
    assert table.total.count == 6  # lead 9 is before the range, 7 and 8 were not rejected


@pytest.mark.parametrize("page", ["/reps", "/failures"])
def test_every_count_drills_down_to_exactly_its_leads(signed_in, small_org, page):
    ids = small_org
    found = tables(signed_in.get(page, RANGE))
    for key, rows in EXPECTED.items():
        table = found[key]
        for row in table.rows:
            for reason, cell in zip(table.reason_names, row.cells, strict=True):
                expected = {ids[n] for n in rows[row.label].get(reason, set())}
                if not expected:
                    assert cell.count == 0 and cell.href == ""
                    continue
                assert listed(signed_in, cell.href) == expected, (key, row.label, reason)
            every = {ids[n] for leads in rows[row.label].values() for n in leads}
            assert listed(signed_in, row.total.href) == every, (key, row.label)
        for reason, cell in zip(table.reason_names, table.reasons, strict=True):
            expected = {ids[n] for cells in rows.values() for n in cells.get(reason, set())}
            assert listed(signed_in, cell.href) == expected, (key, reason)
        assert listed(signed_in, table.total.href) == {ids[n] for n in (1, 2, 3, 4, 5, 6)}


def test_a_rejection_without_a_reason_shows_under_no_reason_given(signed_in, small_org):
    page = signed_in.get("/reps", RANGE).content.decode()
    assert "Rejections by reason" in page
    assert "(no reason given)" in page
    assert 'rejection_reason=%28no+reason+given%29' in page
    region = tables(signed_in.get("/failures", RANGE))["region"]
    emea = next(row for row in region.rows if row.label == "EMEA")
    none_cell = emea.cells[region.reason_names.index(NONE)]
    assert (none_cell.count, none_cell.text) == (1, "1")
    assert listed(signed_in, none_cell.href) == {small_org[5]}


def test_the_lead_list_names_the_rejection_reason_filter(signed_in, small_org):
    response = signed_in.get("/leads", {**RANGE, "rejection_reason": WT})
    assert "Rejected, reason: Wrong territory" in response.content.decode()
    assert response.context["paginator"].count == 3


def test_a_week_cut_by_the_range_says_so_and_lists_only_its_days_in_range(signed_in, small_org):
    week = tables(signed_in.get("/reps", {"start": "2026-11-04", "end": "2026-11-15"}))["week"]
    first = week.rows[0]
    assert (first.label, first.meta) == ("2026-W45", "Nov 4 – Nov 8 (part of the week)")
    assert first.total.count == 2  # leads 2 and 4 (lead 1 was created Nov 3)
    assert listed(signed_in, first.total.href) == {small_org[2], small_org[4]}
    assert week.rows[1].meta == "Nov 9 – Nov 15"


def test_a_range_without_rejections_says_none_were_rejected(signed_in, small_org):
    page = signed_in.get("/reps", {"start": "2026-11-13", "end": "2026-11-15"})
    assert "was rejected." in page.content.decode()


@pytest.mark.parametrize("page", ["/reps", "/failures"])
def test_the_query_count_does_not_grow_with_rejections_reasons_reps_or_weeks(
    signed_in, small_org, page
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            signed_in.get(page, RANGE)
        return len(queries)

    before = count()
    template = LeadFact.objects.filter(rejected=True).first()
    now = timezone.now()
    extra = []
    for n in range(40):
        rep = to_18(f"005000000001{n:03d}")
        SalesforceUser.objects.create(id=rep, name=f"Rep {n}", system_modstamp=now)
        values = {f.attname: getattr(template, f.attname) for f in LeadFact._meta.fields}
        values.update(lead_id=to_18(f"00Qzz0000000{n:03d}"), first_rep=rep,
                      rejection_reason=f"Reason {n % 7}", region=f"R{n % 5}",
                      created_day=date(2026, 11, 2 + n % 14))
        extra.append(LeadFact(**values))
    LeadFact.objects.bulk_create(extra)
    cache.clear()
    shown = tables(signed_in.get(page, RANGE))
    assert shown["rep"].total.count == 46 and len(shown["rep"].rows) == 42  # the new rows …
    assert count() == before  # … with the same queries
