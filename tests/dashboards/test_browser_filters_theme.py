"""In Chromium: a filter value matched case-insensitively, an unknown one shown as a warning
(never "Nothing firing"), and the dark theme (system choice, the top bar's switch, remembered
across a reload). Screenshots in ``artifacts/screenshots/`` for a human to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.dashboards.browser import ARGS, CHROMIUM, SHOTS, sign_in
from tests.dashboards.conftest import PASSWORD
from tests.dashboards.test_browser import METRIC_RANGE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]

BODY_BACKGROUND = "getComputedStyle(document.body).backgroundColor"
DARK_BG = "rgb(15, 19, 24)"  # --bg of the dark palette, #0f1318
LIGHT_BG = "rgb(245, 246, 248)"  # --bg of the light palette, #f5f6f8


@pytest.fixture
def demo(synced_org):
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW

    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    get_user_model().objects.create_user("ana", password=PASSWORD)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return synced_org


def _errors(page, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error"
            else None)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))


def test_a_region_in_any_case_is_matched_and_an_unknown_one_is_a_visible_warning(
    live_server, demo
):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            _errors(page, problems)
            sign_in(page, live_server.url)

            page.goto(f"{live_server.url}/?region=emea&{METRIC_RANGE}", wait_until="load")
            page.screenshot(path=str(SHOTS / "filter-region-emea.png"), full_page=True)
            chosen = page.locator("#filter-region option:checked").inner_text()
            assert chosen.startswith("EMEA (")
            assert page.locator(".chip--active", has_text="Region: EMEA").is_visible()
            assert page.get_by_text("What's broken now").is_visible()
            assert page.locator(".filterbar__unknown").count() == 0

            page.goto(f"{live_server.url}/?region=Europe&{METRIC_RANGE}", wait_until="load")
            page.screenshot(path=str(SHOTS / "filter-region-europe.png"), full_page=True)
            warning = page.locator(".filterbar__unknown")
            assert warning.is_visible()
            assert "No region 'Europe' in the data — did you mean 'EMEA'?" in warning.inner_text()
            assert page.get_by_text("Unknown filter").is_visible()
            body = page.locator("main").inner_text()
            assert "Nothing firing" not in body and "No leads" not in body
            page.get_by_role("link", name="Show EMEA").first.click()
            page.wait_for_url(lambda url: "region=EMEA" in url)
            assert page.locator(".filterbar__unknown").count() == 0
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)


def test_the_dark_theme_follows_the_system_and_the_switch_is_remembered(live_server, demo):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            context = browser.new_context(
                viewport={"width": 1440, "height": 900}, color_scheme="dark"
            )
            page = context.new_page()
            _errors(page, problems)
            sign_in(page, live_server.url)

            page.goto(f"{live_server.url}/?{METRIC_RANGE}", wait_until="load")
            assert page.evaluate(BODY_BACKGROUND) == DARK_BG
            assert page.get_attribute("[data-theme-choice=system]", "aria-pressed") == "true"
            page.screenshot(path=str(SHOTS / "overview-dark.png"), full_page=True)
            for name in ("segments", "failures", "queues"):
                page.goto(f"{live_server.url}/{name}?{METRIC_RANGE}", wait_until="load")
                assert page.evaluate(BODY_BACKGROUND) == DARK_BG
                page.screenshot(path=str(SHOTS / f"{name}-dark.png"), full_page=True)

            page.goto(f"{live_server.url}/trends?{METRIC_RANGE}", wait_until="load")
            page.wait_for_selector(".chart--ready .main-svg", timeout=10_000)
            assert page.get_attribute("[data-chart]", "data-chart-theme") == "dark"
            page.screenshot(path=str(SHOTS / "trends-dark.png"), full_page=True)

            page.click("[data-theme-choice=light]")
            assert page.evaluate(BODY_BACKGROUND) == LIGHT_BG
            page.wait_for_selector("[data-chart][data-chart-theme=light]", timeout=10_000)
            page.reload(wait_until="load")
            assert page.evaluate(BODY_BACKGROUND) == LIGHT_BG
            assert page.get_attribute("[data-theme-choice=light]", "aria-pressed") == "true"
            assert page.evaluate("localStorage.getItem('routing-health-theme')") == "light"
            page.screenshot(path=str(SHOTS / "trends-light-chosen.png"), full_page=True)

            page.click("[data-theme-choice=system]")
            assert page.evaluate(BODY_BACKGROUND) == DARK_BG
            page.reload(wait_until="load")
            assert page.evaluate(BODY_BACKGROUND) == DARK_BG

            page.click("[data-theme-choice=dark]")
            page.goto(f"{live_server.url}/?{METRIC_RANGE}", wait_until="load")
            assert page.evaluate(BODY_BACKGROUND) == DARK_BG

            light_system = browser.new_context(viewport={"width": 1440, "height": 900},
                                               color_scheme="light")
            other = light_system.new_page()
            _errors(other, problems)
            other.goto(f"{live_server.url}/accounts/login/", wait_until="load")
            assert other.evaluate(BODY_BACKGROUND) == LIGHT_BG  # the choice is per browser
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)
