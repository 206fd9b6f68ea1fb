"""The Duplicates page (issue 17 item 3) on the synced demo org: its numbers are the export's,
the Northwind Traders story is listed and drills down to its five leads and their Account."""

from __future__ import annotations

import pytest

from routing_health.metrics.catalog import DUPLICATE_METRICS, format_metric
from routing_health.reports.export import compute_export, parse_request
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db
RANGE = {"start": "2026-11-06", "end": "2026-11-19"}


@pytest.fixture
def computed(synced_org):
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    return synced_org


def test_the_cards_show_the_exported_duplicate_metrics(computed, signed_in):
    config = runtime.routing_config()
    request = parse_request(config, start=RANGE["start"], end=RANGE["end"], by=None,
                            as_of=NOW.isoformat())
    total = compute_export(config, request)["total"]
    page = signed_in.get("/duplicates", RANGE)
    assert page.status_code == 200
    cards = page.context["cards"]
    assert [m.name for m, _ in cards] == [m.name for m in DUPLICATE_METRICS]
    for metric, value in cards:
        assert value == total[metric.name]
        assert f"<dd>{format_metric(metric.name, value)}</dd>" in page.content.decode()


def test_northwind_traders_is_a_company_of_several_reps_and_drills_down_to_its_leads(
    computed, signed_in
):
    story = computed.facts["duplicates"]
    assert len(story["lead_ids"]) == 5 and len(set(story["reps"])) >= 2
    page = signed_in.get("/duplicates", RANGE)
    groups = {g["key"]: g for g in page.context["groups"]}
    # Three leads write from (or give the Website of) northwind.example, two from public mail
    # under the company's name: two groups, one drill-down for all five.
    assert groups["northwind.example"]["leads"] == 3
    assert groups["name: northwind traders"]["leads"] == 2
    detail = signed_in.get(groups["northwind.example"]["url"])
    lines = detail.context["group_lines"]
    assert sorted(line.lead_id for line in lines) == sorted(story["lead_ids"])
    assert [line.created_at for line in lines] == sorted(line.created_at for line in lines)
    assert {line.account for line in lines} == {"Northwind Traders Inc."}
    owner = story["account_owner"]
    rep_of = dict(zip(story["lead_ids"], story["reps"], strict=True))
    # Every lead routed to someone other than the account owner is against it.
    assert {line.lead_id: line.conflict for line in lines} == {
        lead: rep != owner for lead, rep in rep_of.items()}
    body = detail.content.decode()
    for lead_id in story["lead_ids"]:
        assert f'href="/leads/{lead_id}"' in body


def test_the_conflicts_download_as_csv(computed, signed_in):
    response = signed_in.get("/duplicates", {**RANGE, "format": "csv"})
    text = b"".join(response.streaming_content).decode()
    header, *rows = text.strip().splitlines()
    assert header.startswith("lead_id,name,company,email,website,rep,created_at,account")
    page = signed_in.get("/duplicates", RANGE)
    assert len(rows) == page.context["conflict_count"]


def test_company_names_and_keys_are_escaped(synced_org, signed_in):
    from datetime import UTC, datetime

    from routing_health.models import Lead

    reps = sorted(set(synced_org.facts["duplicates"]["reps"]))[:2]
    for number, rep in enumerate(reps):
        at = datetime(2026, 11, 12, 15, number, tzinfo=UTC)
        Lead.objects.create(
            id=f"00Q8d0000XSS00{number}AAA", name=f"<img src=x onerror=alert({number})>",
            company="<script>alert(1)</script> & Co", email=f"x{number}@evil<b>.example",
            created_at=at, system_modstamp=at, owner_id=rep, region="AMER", tier="hot",
        )
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    page = signed_in.get("/duplicates", RANGE)
    body = page.content.decode()
    key = "name: script alert 1 script"
    assert key in {g["key"] for g in page.context["groups"]}
    detail = signed_in.get("/duplicates", {**RANGE, "group": key}).content.decode()
    for html in (body, detail):
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in detail
