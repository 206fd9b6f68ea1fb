"""In Chromium: the Data quality page on the demo org whose web form stopped sending Country
(issue 17, items 4 and 5), and its drill-down to the leads missing the field. Screenshots in
``artifacts/screenshots/`` for a human to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from routing_health.sandbox.serve import build_org
from tests.conftest import DEMO_ORG
from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page
from tests.dashboards.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]

RANGE = "start=2026-11-12&end=2026-11-20"


def test_the_web_source_missing_country_and_its_leads(live_server, sync_org):
    org, synthetic = build_org(**DEMO_ORG, input_gap=True)
    sync_org(org, synthetic.config_toml)
    story = synthetic.facts["input_gap"]
    get_user_model().objects.create_user("ana", password=PASSWORD)
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/data-quality?{RANGE}", wait_until="load")
        page.screenshot(path=str(SHOTS / "data-quality.png"), full_page=True)
        assert page.locator("nav").get_by_text("Data quality").count() >= 1
        rows = {tuple(r.locator("td").all_inner_texts()[:2]): r
                for r in page.locator("#dq-sources tbody tr").all()}
        web = rows[("Web", "Country")].locator("td").all_inner_texts()
        assert web[3] != "0"  # leads missing Country, linked
        days = [r.locator("td").all_inner_texts() for r in page.locator("#dq-days tbody tr").all()]
        gap = [d for d in days if d[1] == "Web" and d[2] == "Country" and d[0] >= "2026-11-19"]
        assert sum(int(d[4]) for d in gap) == len(story["lead_ids"]) == 16
        assert {d[5] for d in gap} == {"100%"}

        rows[("Web", "Country")].locator("td a").first.click()
        page.wait_for_load_state("load")
        title = page.locator("section[data-drill] h2").inner_text()
        assert title == "Leads from Web missing Country"
        page.screenshot(path=str(SHOTS / "data-quality-drill-down.png"), full_page=True)
        links = page.locator("section[data-drill] tbody tr td a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        ids = {h.rsplit("/", 1)[-1] for h in hrefs}
        assert set(story["lead_ids"]) <= ids  # every gap lead, fixed by hand or not
        links.first.click()
        page.wait_for_load_state("load")
        assert "/leads/" in page.url
        assert problems == []
