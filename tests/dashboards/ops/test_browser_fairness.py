"""In Chromium: the Fairness page on the demo org (issue 17) — pools with each rep's share
against their weight and the inactive rep still receiving leads — and a click from a rep's lead
count to those leads. Screenshots in ``artifacts/screenshots/`` for a human to look at."""

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


def test_the_fairness_page_drills_down_from_a_rep_to_their_leads(live_server, synced_org):
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW

    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    get_user_model().objects.create_user("ana", password=PASSWORD)
    inactive = synced_org.facts["inactive_rep"]["name"]
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/fairness?{RANGE}", wait_until="load")
        page.screenshot(path=str(SHOTS / "fairness.png"), full_page=True)
        banner = page.locator(".banner", has_text=inactive)
        assert "inactive since" in banner.inner_text()
        pool = page.locator('section[data-pool="EMEA"]')
        first = pool.locator("tbody tr").first
        name = first.locator("td").nth(0).inner_text().strip()
        count = int(first.locator("td").nth(1).inner_text().replace(",", ""))
        assert count > 0
        first.locator("td").nth(1).locator("a").click()
        page.wait_for_url(lambda url: "/leads" in url and "first_rep=" in url, timeout=10_000)
        page.wait_for_selector("table")
        body = page.locator("body").inner_text()
        assert f"{count} lead" in body
        page.screenshot(path=str(SHOTS / "fairness-rep-leads.png"), full_page=True)
        assert name
    assert problems == [], "\n".join(problems)
