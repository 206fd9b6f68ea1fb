"""The Shadow page in Debian's Chromium on the demo org with the shadow story (issue 17): the
verdict, the week table and the bias review render with no console error, and the agreed count
opens exactly its leads; screenshots go to ``artifacts/screenshots/`` (git-ignored)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page
from tests.dashboards.conftest import PASSWORD

RANGE = "start=2026-10-30&end=2026-11-20"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]


def test_the_shadow_page_renders_and_the_agreed_count_opens_its_leads(
    live_server: Any, synced_shadow_org: Any, settings: Any
) -> None:
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW
    from tests.export.test_export import command_args, export

    settings.SLACK_BOT_TOKEN = None
    settings.SLACK_CHANNEL = None
    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    get_user_model().objects.create_user("ana", password=PASSWORD)
    total = json.loads(export(*command_args({
        "start": "2026-10-30", "end": "2026-11-20", "by": "", "as_of": "2026-11-20T12:00:00Z",
    })))["total"]
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/shadow?{RANGE}", wait_until="load")
        assert page.locator("nav a", has_text="Shadow").get_attribute("aria-current") == "page"
        verdict = page.locator("#shadow-verdict-title")
        assert verdict.inner_text().startswith("Verdict: ")
        for section in ("#shadow-weeks", "#shadow-bias"):
            assert page.locator(section).is_visible()
        page.screenshot(path=str(SHOTS / "shadow-page.png"), full_page=True)

        stat = page.locator("a.stat", has_text="Agreed with routing")
        assert stat.locator(".stat__value").inner_text() == f"{total['shadow_agreed']:,}"
        stat.click()
        page.wait_for_load_state("load")
        assert "shadow=agreed" in page.url
        assert page.get_by_text("Candidate agreed with routing").is_visible()
        count = page.locator("h2.card__title", has_text=re.compile(r"^[\d,]+ leads?$"))
        assert count.inner_text() == f"{total['shadow_agreed']:,} leads"
        page.screenshot(path=str(SHOTS / "shadow-agreed-drilldown.png"), full_page=True)
    assert problems == []
