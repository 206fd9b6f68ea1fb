"""In Chromium: the Trends page's flow regression check — one segment clearly worse since the
Lead_Router activation, one with too few leads ("not enough leads yet") — and the Overview with
the flow_regression incident. Screenshots in ``artifacts/screenshots/`` for a human to look at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from routing_health.alerts.service import run_evaluation
from routing_health.config import parse_config
from routing_health.rollups.service import compute_metrics
from tests.alerts.conftest import BASE_TOML, T0, DbOrg
from tests.alerts.test_flow_regression import (
    ACTIVATED,
    CHANGE_SAFETY,
    V12,
    V13,
    activate,
    baseline,
    failed,
    routed,
)
from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page
from tests.dashboards.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]

TOML = BASE_TOML + CHANGE_SAFETY
RANGE = "start=2026-11-13&end=2026-11-20"


@pytest.fixture
def regressed(settings, tmp_path) -> DbOrg:
    path = tmp_path / "routing_health.toml"
    path.write_text(TOML)
    settings.ROUTING_HEALTH_CONFIG = str(path)
    settings.PUBLIC_URL = "https://health.example.com"
    org = DbOrg()
    activate(ACTIVATED, V12, V13)
    baseline(org)  # EMEA hot: 20 routed a week earlier
    routed(org, 2, ACTIVATED + timedelta(minutes=1))
    failed(org, 22, ACTIVATED + timedelta(minutes=20))
    routed(org, 12, ACTIVATED - WEEK_EARLIER, tier="standard")  # EMEA standard, then 3 since
    routed(org, 3, ACTIVATED + timedelta(minutes=2), tier="standard")
    config = parse_config(TOML)
    compute_metrics(config=config, as_of=T0)
    run_evaluation(config=config, as_of=T0, now=T0, transport=None, deliver=False)
    return org


WEEK_EARLIER = timedelta(days=7) - timedelta(minutes=3)


def test_the_trends_check_and_the_overview_incident(live_server, regressed):
    get_user_model().objects.create_user("ana", password=PASSWORD)
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/trends?{RANGE}", wait_until="load")
        card = page.locator("section[aria-labelledby=flow-check-title]")
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(SHOTS / "trends-flow-regression-check.png"))
        caption = " ".join(card.locator("caption").inner_text().split())
        assert caption.startswith("Lead_Router v13 activated")
        assert "by Ada Admin · previous version: v12" in caption
        rows = {r.locator("th").inner_text(): r.locator("td").all_inner_texts()
                for r in card.locator("tbody tr").all()}
        assert rows["EMEA · hot"] == [
            "24 leads · 8.3% assigned", "20 leads · 100% assigned",
            "Clearly worse: assignment success 100% → 8.3% (24 leads), 22 failures at "
            "Decision: Assign by Territory"]
        assert rows["EMEA · standard"][2] == (
            "Not compared yet: not enough leads yet (3 since the activation, 12 in the baseline "
            "a week earlier; the check needs 10 each)")

        page.goto(f"{live_server.url}/?{RANGE}", wait_until="load")
        page.screenshot(path=str(SHOTS / "overview-flow-regression.png"), full_page=True)
        items = page.locator(".broken__item")
        first, second = (" ".join(items.nth(i).inner_text().split()) for i in (0, 1))
        assert first.startswith("■ Firing Routing worse since a flow activation EMEA · hot")
        assert ("Lead_Router v13 activated 2026-11-20 09:00 UTC by Ada Admin; since then EMEA "
                "hot assignment success 100% → 8.3% (24 leads)") in first
        assert ("Caused by: Routing worse since a flow activation: Lead_Router (not paged on "
                "its own)") in second

        page.goto(f"{live_server.url}/alerts", wait_until="load")
        flow = page.locator("li.incident").first
        assert flow.locator("h3").inner_text() == (
            "Routing worse since a flow activation: Lead_Router")
        facts = " ".join(flow.locator("dl").inner_text().split())
        assert "WHAT HAPPENED Lead_Router v13 activated" in facts
        assert "ALSO AFFECTED" in facts
        page.screenshot(path=str(SHOTS / "alerts-flow-regression.png"), full_page=True)
        assert problems == []
