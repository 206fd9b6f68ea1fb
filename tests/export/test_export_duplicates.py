"""``export_metrics --by region,week`` carries the duplicates family (issue 17 item 3), from the
demo org synced through the emulator: Northwind Traders' five leads are the duplicate outreach of
their region and week; a row without a matched lead has a null conflict rate."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from django.core.management import call_command

from routing_health.models import Account, Lead
from routing_health.reports.export import EXPORT_NAMES, to_csv

ARGS = ["--start", "2026-11-01", "--end", "2026-11-19", "--by", "region,week",
        "--as-of", "2026-11-20T12:00:00Z"]


def exported(*extra: str) -> str:
    out = io.StringIO()
    call_command("export_metrics", *ARGS, *extra, stdout=out)
    return out.getvalue()


def test_the_story_is_the_duplicate_outreach_of_its_region_and_week(synced_org):
    story = synced_org.facts["duplicates"]
    document = json.loads(exported())
    assert list(document["rows"][0]) == ["region", "week", *EXPORT_NAMES]
    leads = Lead.objects.filter(id__in=story["lead_ids"])
    assert {lead.region for lead in leads} == {"AMER"}
    (week,) = {f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"
               for d in (date.fromisoformat(str(lead.created_at.date())) for lead in leads)}
    row = next(r for r in document["rows"] if (r["region"], r["week"]) == ("AMER", week))
    # Every other lead of the demo has a company of its own: only the story's five leads share
    # one, across at least two reps, so they alone are duplicate outreach.
    assert row["duplicate_outreach"] == 5
    assert sum(r["duplicate_outreach"] for r in document["rows"]) == 5
    # Every assigned lead has a company name, so every assigned lead is a candidate.
    assert row["duplicate_outreach_rate"] == 5 / row["assigned"]
    # The leads of the story routed to a rep other than the Account's owner are conflicts.
    against = sum(rep != story["account_owner"] for rep in story["reps"])
    assert row["account_conflicts"] >= against >= 1
    assert Account.objects.filter(id=story["account_id"], owner_id=story["account_owner"]).exists()


def test_a_row_without_a_matched_lead_has_a_null_conflict_rate(synced_org):
    document = json.loads(exported())
    empty = [r for r in document["rows"] if r["account_matched"] == 0]
    assert empty, "the demo has region-weeks without an Account match"
    assert all(r["account_conflict_rate"] is None and r["account_conflicts"] == 0 for r in empty)


def test_the_csv_has_the_duplicates_columns_with_empty_cells_for_null(synced_org):
    document = json.loads(exported())
    header, *rows = list(csv.reader(io.StringIO(to_csv(document))))
    assert header == ["region", "week", *EXPORT_NAMES]
    at = header.index("account_conflict_rate")
    for row, doc_row in zip(rows, document["rows"], strict=True):
        value = doc_row["account_conflict_rate"]
        assert row[at] == ("" if value is None else str(value))
