"""The Shadow page (issue 17): numbers of the export, drill-downs to exactly those leads."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest

from routing_health.rollups.service import compute_metrics
from routing_health.salesforce import runtime
from tests.conftest import NOW
from tests.export.test_export import command_args, export

pytestmark = pytest.mark.django_db

RANGE = {"start": "2026-10-30", "end": "2026-11-20"}
AS_OF = "2026-11-20T12:00:00Z"  # NOW, the metrics time of ``compute_metrics`` below


@pytest.fixture
def shadow_org(synced_shadow_org: Any) -> Any:
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    return synced_shadow_org


def body(response: Any) -> str:
    return response.content.decode()


def listed(client: Any, href: str) -> int:
    """The lead list's total for a drill-down link ("N leads")."""
    page = body(client.get(unescape(href)))
    assert "is not one of" not in page and "ignored" not in page
    match = re.search(r'card__title">([\d,]+) leads?</h2>', page)
    return int(match.group(1).replace(",", "")) if match else 0


def test_without_shadow_the_page_says_how_to_enable_it(signed_in, synced_org):
    page = body(signed_in.get("/shadow"))
    assert 'id="shadow-off"' in page
    assert "[shadow]" in page and "candidate_field" in page


def test_the_shadow_page_shows_the_exports_numbers_and_a_verdict(signed_in, shadow_org):
    page = body(signed_in.get("/shadow", RANGE))
    document = json.loads(export(*command_args({**RANGE, "by": "", "as_of": AS_OF})))
    total = document["total"]
    assert "Verdict: " in page
    assert f'<span class="stat__value">{total["shadow_agreed"]:,}</span>' in page
    assert f'<span class="stat__value">{total["shadow_candidates"]:,}</span>' in page
    assert 'id="shadow-bias"' in page and 'id="shadow-weeks"' in page


def test_the_agreed_and_disagreed_counts_drill_down_to_exactly_their_leads(signed_in, shadow_org):
    document = json.loads(export(*command_args({**RANGE, "by": "", "as_of": AS_OF})))
    total = document["total"]
    for kind in ("candidate", "agreed", "disagreed"):
        count = total["shadow_candidates" if kind == "candidate" else f"shadow_{kind}"]
        href = "/leads?" + "&".join(f"{k}={v}" for k, v in {**RANGE, "shadow": kind}.items())
        assert listed(signed_in, href) == count, kind


def test_a_bias_row_links_to_the_leads_the_candidate_gave_that_rep(signed_in, shadow_org):
    page = body(signed_in.get("/shadow", RANGE))
    favourite = shadow_org.facts["shadow"]["favourite_reps"]["AMER"]
    links = re.findall(r'href="(/leads\?[^"]*candidate=' + favourite + r'[^"]*)"', page)
    assert links
    assert listed(signed_in, links[0]) > 0


def test_the_lead_timeline_shows_the_candidate_and_why(signed_in, shadow_org):
    leads = shadow_org.tables["Lead"]
    field, reason_field = (shadow_org.facts["shadow"][k]
                           for k in ("candidate_field", "explanation_field"))
    row = leads[leads[field].notna()].iloc[0]
    page = body(signed_in.get(f"/leads/{row['Id']}"))
    assert 'id="shadow-pick"' in page
    assert f"Recommended because {row[reason_field]}" in unescape(page)


def test_without_shadow_the_timeline_has_no_candidate_line(signed_in, synced_org):
    lead_id = synced_org.tables["Lead"]["Id"].iloc[0]
    assert 'id="shadow-pick"' not in body(signed_in.get(f"/leads/{lead_id}"))
