"""The Fairness page on the synced demo org (issue 17): the pools, each rep's share against their
weight with links to their leads, the inactive rep still receiving leads, and the Reports page's
monthly fairness reviews."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from routing_health.models import SalesforceUser
from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW

pytestmark = pytest.mark.django_db
RANGE = {"start": "2026-10-30", "end": "2026-11-20"}


@pytest.fixture
def fair_org(synced_org: Any, settings: Any) -> Any:
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    return synced_org


def test_the_page_shows_each_region_pool_and_links_each_rep_to_their_leads(fair_org, signed_in):
    response = signed_in.get("/fairness", RANGE)
    assert response.status_code == 200
    page = response.content.decode()
    for region in ("AMER", "EMEA", "APAC"):
        assert f'data-pool="{region}"' in page
    rep = fair_org.facts["owners"]["reps"]["EMEA"][0]
    link = next(href for href in _hrefs(page) if f"first_rep={rep}" in href)
    query = parse_qs(urlsplit(link).query)
    assert query["region"] == ["EMEA"] and query["start"] == [RANGE["start"]]


def test_the_drill_down_lists_the_reps_leads(fair_org, signed_in):
    rep = fair_org.facts["owners"]["reps"]["EMEA"][0]
    page = signed_in.get("/fairness", RANGE).content.decode()
    link = next(href for href in _hrefs(page) if f"first_rep={rep}" in href)
    listed = signed_in.get(link.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert "00Q" in listed.content.decode()


def test_the_inactive_rep_still_receiving_leads_is_named(fair_org, signed_in):
    inactive = fair_org.facts["inactive_rep"]
    page = signed_in.get("/fairness", RANGE).content.decode()
    assert f"<strong>{inactive['name']}</strong> (inactive since" in page
    assert inactive["id"] not in [m for m in _pool_members(page)]


def test_names_are_escaped(fair_org, signed_in):
    SalesforceUser.objects.filter(id=fair_org.facts["inactive_rep_id"]).update(
        name="<img src=x onerror=alert(1)>")
    page = signed_in.get("/fairness", RANGE).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_reports_page_lists_a_stored_fairness_review_and_serves_it(fair_org, signed_in,
                                                                       tmp_path):
    call_command("fairness_review", "--month", "2026-11", "--as-of", "2026-11-20T17:00:00Z",
                 "--output", str(tmp_path / "f.html"), stdout=io.StringIO())
    page = signed_in.get("/reports").content.decode()
    assert "Monthly fairness reviews" in page and "/reports/fairness/2026-11" in page
    review = signed_in.get("/reports/fairness/2026-11")
    assert review.status_code == 200
    assert "Fairness review 2026-11" in review.content.decode()
    assert "default-src 'none'" in review["Content-Security-Policy"]
    assert signed_in.get("/reports/fairness/2026-10").status_code == 404


def _hrefs(page: str) -> list[str]:
    import re

    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', page)]


def _pool_members(page: str) -> list[str]:
    return [parse_qs(urlsplit(h).query).get("first_rep", [""])[0] for h in _hrefs(page)
            if "region=" in h and "first_rep=" in h]
