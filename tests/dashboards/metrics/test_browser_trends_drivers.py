"""Chromium opens the Trends page, asks for "What drove the change", sees the demo incident as
the largest part of the assignment-success drop and follows it to its failed leads; screenshots
in ``artifacts/screenshots/``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]

RANGE = "start=2026-11-06&end=2026-11-19"


def test_the_trends_page_shows_what_drove_the_change_and_drills_down(live_server, synced_org):
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW
    from tests.dashboards.conftest import PASSWORD

    incident = synced_org.facts["incident"]
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    get_user_model().objects.create_user("ana", password=PASSWORD)
    label = f"{incident['region']} {incident['tier']} at {incident['failed_node']}"
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/trends?{RANGE}", wait_until="load")
        page.get_by_role("link", name="Show what drove the change").click()
        page.wait_for_url(lambda url: "drivers=1" in url, timeout=10_000)
        table = page.locator('table[data-metric="assignment_success_rate"]')
        table.wait_for()
        rows = table.locator("tbody").nth(1).locator("tr")
        assert rows.nth(0).text_content().strip() == "By failure reason"  # CSS upper-cases it
        first = rows.nth(1).inner_text()
        assert label in first and "−" in first
        table.scroll_into_view_if_needed()
        page.locator("#drivers-title").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "trends-what-drove-the-change.png"), full_page=False)
        page.screenshot(path=str(SHOTS / "trends-what-drove-the-change-full.png"),
                        full_page=True)
        rows.nth(1).get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(lambda url: "/leads" in url and "failure_reason=" in url,
                          timeout=10_000)
        body = page.locator("body").inner_text()
        assert f"Failure reason: {incident['failed_node']}" in body
    assert problems == [], "\n".join(problems)
