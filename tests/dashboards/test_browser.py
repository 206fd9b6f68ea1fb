"""Drives Debian's Chromium through every page: no console errors, charts drawn, screenshots.

Never downloads a browser: skipped when /usr/bin/chromium is missing. Screenshots go to
``artifacts/screenshots/<page>.png`` (git-ignored) for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.dashboards.conftest import PASSWORD
from tests.dashboards.seed import seed

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    ("overview", "/"),
    ("trends", "/trends"),
    ("segments", "/segments"),
    ("queues", "/queues"),
    ("failures", "/failures"),
    ("reps", "/reps"),
    ("leads", "/leads"),
    ("alerts", "/alerts"),
    ("reports", "/reports"),
    ("health", "/health"),
]
CHART_PAGES = {"leads", "health"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]


def test_every_page_renders_in_chromium_without_console_errors(
    live_server, routing_config, settings
):
    from playwright.sync_api import sync_playwright

    routing_config.write_text('[report]\ntimezone = "America/New_York"\n')
    settings.SALESFORCE = {**settings.SALESFORCE, "instance_url": "https://acme.my.salesforce.com"}
    leads = seed(timezone.now())
    get_user_model().objects.create_user("ana", password=PASSWORD, is_staff=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    dialogs: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.on(
                "console",
                lambda msg: problems.append(f"{page.url}: {msg.text} @ {msg.location}")
                if msg.type == "error"
                else None,
            )
            page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

            page.goto(f"{live_server.url}/leads")
            assert "/accounts/login/" in page.url
            page.screenshot(path=str(SHOTS / "login.png"), full_page=True)
            page.fill("#id_username", "ana")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/leads")

            hostile = leads[2]
            for name, path in [*PAGES, ("lead-timeline", f"/leads/{hostile.id}")]:
                page.goto(f"{live_server.url}{path}", wait_until="load")
                if name in CHART_PAGES:
                    page.wait_for_selector(".chart--ready .main-svg", timeout=10_000)
                assert page.locator("h1").count() == 1
                page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

            tablet = browser.new_context(viewport={"width": 768, "height": 1024})
            tablet_page = tablet.new_page()
            tablet_page.on("pageerror", lambda exc: problems.append(f"tablet: {exc}"))
            tablet_page.context.add_cookies(context.cookies())
            for name, path in (("overview", "/"), ("leads", "/leads")):
                tablet_page.goto(f"{live_server.url}{path}", wait_until="load")
                tablet_page.screenshot(path=str(SHOTS / f"{name}-tablet.png"), full_page=True)
        finally:
            browser.close()

    assert problems == [], "\n".join(problems)
    assert dialogs == [], "a hostile lead name ran as script"
