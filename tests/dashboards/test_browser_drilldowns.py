"""Chromium clicks the Overview's "TTA p95" tile (issue 15, item 4) and sees the leads above the
p95, worst first, with a Time to assignment column; screenshot in ``artifacts/screenshots/``."""

from __future__ import annotations

import math

import pytest
from django.contrib.auth import get_user_model

from routing_health.lib.format import format_minutes
from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page
from tests.dashboards.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]

RANGE = "start=2026-11-06&end=2026-11-19"


def test_clicking_the_tta_p95_tile_lists_the_slowest_leads_worst_first(live_server, synced_org):
    from routing_health.models import LeadFact
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW

    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    assigned = sorted(
        LeadFact.objects.filter(created_day__gte="2026-11-06", created_day__lte="2026-11-19",
                                tta_minutes__isnull=False)
        .exclude(first_rep="").values_list("tta_minutes", flat=True)
    )
    h = (len(assigned) - 1) * 0.95  # linear interpolation between closest ranks, by hand
    low = math.floor(h)
    p95 = assigned[low] + (h - low) * (assigned[low + 1] - assigned[low])
    slowest = sorted((v for v in assigned if v > p95), reverse=True)
    assert slowest
    get_user_model().objects.create_user("ana", password=PASSWORD)
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/?{RANGE}", wait_until="load")
        tile = page.locator('a[aria-describedby="metric-tta_p95_minutes"]')
        assert tile.inner_text().strip() == format_minutes(p95)
        tile.click()
        page.wait_for_url(lambda url: "/leads" in url and "above=" in url, timeout=10_000)
        page.wait_for_selector("table")
        header = page.locator('th[aria-sort="descending"]')
        assert header.text_content().strip() == "Time to assignment ↓"  # CSS upper-cases it
        cells = page.locator('td[data-col="tta_minutes"]').all_inner_texts()
        assert cells == [format_minutes(v) for v in slowest]
        body = page.locator("body").inner_text()
        assert f"Time to assignment over {format_minutes(p95)}" in body
        assert f"{len(slowest)} lead" in body
        assert "Longest first" in body
        page.screenshot(path=str(SHOTS / "leads-above-tta-p95.png"), full_page=True)
    assert problems == [], "\n".join(problems)
