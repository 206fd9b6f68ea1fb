"""The Reps page's rejection-reason table in Debian's Chromium on the demo org: the table is
visible with its three breakdowns, a count opens exactly its leads; screenshots go to
``artifacts/screenshots/`` (git-ignored) for a human to look at."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from routing_health.models import LeadFact
from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page
from tests.dashboards.conftest import PASSWORD

OPS_RANGE = "start=2026-10-30&end=2026-11-20"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]


def test_the_reps_page_shows_rejections_by_reason_and_a_count_opens_its_leads(
    live_server: Any, synced_org: Any, settings: Any
) -> None:
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW

    settings.SLACK_BOT_TOKEN = None
    settings.SLACK_CHANNEL = None
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    get_user_model().objects.create_user("ana", password=PASSWORD)
    rejected = LeadFact.objects.filter(
        rejected=True, created_day__gte="2026-10-30", created_day__lte="2026-11-20"
    )
    assert rejected.exists()  # the demo org has rejections to show
    top = max({f.rejection_reason for f in rejected},
              key=lambda r: (rejected.filter(rejection_reason=r).count(), r))
    total, top_count = rejected.count(), rejected.filter(rejection_reason=top).count()
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/reps?{OPS_RANGE}", wait_until="load")
        section = page.locator("#rejections")
        section.scroll_into_view_if_needed()
        assert section.is_visible()
        text = section.inner_text()
        assert f"Rejections by reason · {total:,} rejected lead" in text
        for caption in ("By rep", "By region", "By week (ISO, report time zone)"):
            assert page.get_by_text(caption, exact=True).is_visible()
        assert top.lower() in text.lower()  # column heads are styled upper-case
        section.screenshot(path=str(SHOTS / "ops-reps-rejections.png"))
        page.screenshot(path=str(SHOTS / "ops-reps-with-rejections.png"), full_page=True)

        # The top reason's total in the footer of the rep table opens exactly its leads.
        table = page.locator("[data-rejections=rep]")
        heads = [h.lower() for h in table.locator("thead th").all_inner_texts()]
        column = heads.index(top.lower())
        footer = table.locator("tfoot td").nth(column - 1)
        shown = int(footer.inner_text().replace(",", ""))
        assert shown == top_count
        footer.locator("a").click()
        page.wait_for_load_state("load")
        assert "rejection_reason=" in page.url
        assert page.get_by_text(f"Rejected, reason: {top}").is_visible()
        page.screenshot(path=str(SHOTS / "ops-reps-rejections-drilldown.png"), full_page=True)
    assert problems == []
