"""The lead list (filters, pagination, Salesforce links, CSV) and the lead timeline."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from dashboards import pagination
from dashboards.csv_export import csv_cell
from routing_health.lib.sfid import to_18
from routing_health.models import OwnerChange, SalesforceUser

pytestmark = pytest.mark.django_db

REP = to_18("005000000000009")


def _csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_list_shows_leads_with_owner_names_newest_first(signed_in, make_lead):
    SalesforceUser.objects.create(id=REP, name="Rita Rep", system_modstamp=timezone.now())
    older = make_lead(name="Older", created_at=timezone.now() - timedelta(days=2))
    newer = make_lead(name="Newer", owner_id=REP)
    response = signed_in.get("/leads")
    rows = response.context["rows"]
    assert [row.id for row in rows] == [newer.id, older.id]
    assert "Rita Rep" in response.content.decode()


def test_each_row_links_to_its_timeline_keeping_the_filters(signed_in, make_lead):
    lead = make_lead(region="EMEA")
    body = signed_in.get("/leads", {"region": "EMEA"}).content.decode()
    assert f'href="/leads/{lead.id}?region=EMEA"' in body


def test_each_row_links_to_salesforce_when_the_instance_is_known(signed_in, make_lead, settings):
    settings.SALESFORCE = {**settings.SALESFORCE, "instance_url": "https://acme.my.salesforce.com/"}
    lead = make_lead()
    body = signed_in.get("/leads").content.decode()
    assert f'href="https://acme.my.salesforce.com/lightning/r/Lead/{lead.id}/view"' in body


def test_the_salesforce_link_is_omitted_without_an_instance_url(signed_in, make_lead, settings):
    settings.SALESFORCE = {**settings.SALESFORCE, "instance_url": None}
    make_lead()
    assert "/lightning/r/Lead/" not in signed_in.get("/leads").content.decode()


def test_a_non_http_instance_url_gives_no_link(signed_in, make_lead, settings):
    settings.SALESFORCE = {**settings.SALESFORCE, "instance_url": "javascript:alert(1)"}
    make_lead()
    assert "javascript:" not in signed_in.get("/leads").content.decode()


def test_the_list_applies_region_tier_and_source_filters(signed_in, make_lead):
    wanted = make_lead(region="EMEA", tier="hot", raw_fields={"LeadSource": "Web"})
    make_lead(region="EMEA", tier="hot", raw_fields={"LeadSource": "Partner"})
    make_lead(region="EMEA", tier="warm", raw_fields={"LeadSource": "Web"})
    make_lead(region="AMER", tier="hot", raw_fields={"LeadSource": "Web"})
    response = signed_in.get("/leads", {"region": "EMEA", "tier": "hot", "source": "Web"})
    assert [row.id for row in response.context["rows"]] == [wanted.id]


def test_the_list_applies_the_date_range_in_the_report_timezone(
    signed_in, make_lead, routing_config
):
    routing_config.write_text('[report]\ntimezone = "America/New_York"\n')
    # 03:00 UTC on Nov 10 is still Nov 9 in New York.
    inside = make_lead(created_at=datetime(2026, 11, 10, 3, 0, tzinfo=UTC))
    make_lead(created_at=datetime(2026, 11, 10, 6, 0, tzinfo=UTC))
    response = signed_in.get("/leads", {"start": "2026-11-09", "end": "2026-11-09"})
    assert [row.id for row in response.context["rows"]] == [inside.id]


def test_deleted_leads_are_not_listed(signed_in, make_lead):
    make_lead(is_deleted=True)
    assert signed_in.get("/leads").context["paginator"].count == 0


def test_the_list_is_paginated_by_50_with_filter_preserving_links(signed_in, make_lead):
    for _ in range(51):
        make_lead(region="EMEA")
    first = signed_in.get("/leads", {"region": "EMEA"})
    assert len(first.context["rows"]) == 50
    assert 'href="/leads?region=EMEA&amp;page=2"' in first.content.decode()
    second = signed_in.get("/leads", {"region": "EMEA", "page": "2"})
    assert len(second.context["rows"]) == 1


def test_a_page_number_out_of_range_shows_the_last_page(signed_in, make_lead):
    make_lead()
    assert signed_in.get("/leads", {"page": "99"}).status_code == 200


def test_csv_export_has_the_same_filtered_rows(signed_in, make_lead):
    wanted = make_lead(region="EMEA", name="Ada")
    make_lead(region="AMER")
    response = signed_in.get("/leads", {"region": "EMEA", "format": "csv"})
    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert [(row["lead_id"], row["name"], row["region"]) for row in rows] == [
        (wanted.id, "Ada", "EMEA")
    ]


def test_csv_export_writes_times_in_the_report_timezone(signed_in, make_lead, routing_config):
    routing_config.write_text('[report]\ntimezone = "Europe/Berlin"\n')
    make_lead(created_at=datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    response = signed_in.get("/leads", {"start": "2026-11-10", "end": "2026-11-10",
                                        "format": "csv"})
    assert _csv(response)[0]["created"] == "2026-11-10T13:00:00+01:00"


def test_csv_export_neutralises_spreadsheet_formulas(signed_in, make_lead):
    make_lead(name="=HYPERLINK(\"http://evil\")", company="+cmd")
    row = _csv(signed_in.get("/leads", {"format": "csv"}))[0]
    assert row["name"].startswith("'=")
    assert row["company"] == "'+cmd"


def test_csv_cell_leaves_ordinary_text_alone():
    assert csv_cell("Acme") == "Acme"
    assert csv_cell(None) == ""


def test_the_timeline_shows_the_lead_and_its_owner_history(signed_in, make_lead):
    SalesforceUser.objects.create(id=REP, name="Rita Rep", system_modstamp=timezone.now())
    lead = make_lead(name="Grace")
    OwnerChange.objects.create(
        id=to_18("017000000000001"),
        lead_id=lead.id,
        created_at=lead.created_at + timedelta(minutes=3),
        old_owner_id=lead.owner_id,
        new_owner_id=REP,
    )
    body = signed_in.get(f"/leads/{lead.id}").content.decode()
    assert "Grace" in body
    assert "Owner → Rita Rep" in body


def test_the_timeline_of_a_15_character_id_redirects_to_the_18_character_one(
    signed_in, make_lead
):
    lead = make_lead()
    response = signed_in.get(f"/leads/{lead.id[:15]}", {"region": "EMEA"})
    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.id}?region=EMEA"


@pytest.mark.parametrize("bad", ["nope", "00Q000000000001XXX"])
def test_the_timeline_of_an_unknown_or_malformed_id_is_404(signed_in, bad):
    assert signed_in.get(f"/leads/{bad}").status_code == 404


def test_the_volume_chart_is_zero_filled_per_local_day_with_whole_number_ticks(
    signed_in, make_lead
):
    make_lead(created_at=datetime(2026, 11, 3, 12, 0, tzinfo=UTC))
    make_lead(created_at=datetime(2026, 11, 3, 13, 0, tzinfo=UTC))
    chart = signed_in.get("/leads", {"start": "2026-11-01", "end": "2026-11-04"}).context[
        "volume_chart"
    ]
    bars = chart["data"][0]
    assert bars["x"] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    assert bars["y"] == [0, 0, 2, 0]
    assert chart["layout"]["yaxis"]["dtick"] == 1


def test_past_the_count_limit_the_list_says_more_and_pages_the_newest(
    signed_in, make_lead, monkeypatch
):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "PAGE_SIZE", 2)
    leads = [make_lead(created_at=timezone.now() - timedelta(days=2, minutes=n)) for n in range(5)]
    response = signed_in.get("/leads")
    paginator = response.context["paginator"]
    assert paginator.capped and paginator.count == 3 and paginator.num_pages == 2
    assert "3+ leads" in response.content.decode()
    assert [row.id for row in response.context["rows"]] == [leads[0].id, leads[1].id]
    last = signed_in.get("/leads", {"page": 9}).context["rows"]
    assert [row.id for row in last] == [leads[2].id]  # the last of the limit's rows


def test_under_the_count_limit_the_list_gives_the_exact_count(signed_in, make_lead, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    for n in range(3):
        make_lead(created_at=timezone.now() - timedelta(days=2, minutes=n))
    response = signed_in.get("/leads")
    assert not response.context["paginator"].capped
    page = response.content.decode()
    assert "3 leads" in page and "3+ leads" not in page
