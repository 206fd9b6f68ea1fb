"""In Chromium: the Duplicates page (issue 17 item 3) on the synced demo org lists Northwind
Traders as a company of several reps; clicking it shows its five leads and their Account, and a
lead links to its timeline. Screenshots in ``artifacts/screenshots/`` for a human to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page
from tests.dashboards.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]

RANGE = "start=2026-11-06&end=2026-11-19"


def test_the_duplicates_page_drills_down_to_a_company_worked_by_several_reps(
    live_server, synced_org
):
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW

    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    story = synced_org.facts["duplicates"]
    get_user_model().objects.create_user("ana", password=PASSWORD)
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/duplicates?{RANGE}", wait_until="load")
        assert page.locator("#duplicate-metrics dt").all_inner_texts() == [
            "Leads matching an Account", "Routed against the account owner",
            "Account-owner conflict rate", "Duplicate outreach", "Duplicate outreach rate"]
        page.screenshot(path=str(SHOTS / "duplicates.png"), full_page=True)
        page.locator("#duplicate-groups a", has_text="northwind.example").click()
        page.wait_for_selector("#group-leads")
        rows = page.locator("#group-leads tbody tr")
        assert rows.count() == 5
        body = page.locator("#group-leads").inner_text()
        assert body.count("Northwind Traders Inc.") == 5
        assert "against the account owner" in body
        page.screenshot(path=str(SHOTS / "duplicates-northwind.png"), full_page=True)
        page.locator("#group-leads a").first.click()
        page.wait_for_url(lambda url: "/leads/00Q" in url, timeout=10_000)
        assert page.url.rsplit("/", 1)[-1].split("?")[0] in story["lead_ids"]
    assert problems == [], "\n".join(problems)
