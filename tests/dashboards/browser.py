"""Debian's chromium through Playwright for the browser tests, defined once: where it is, how it
is launched, where screenshots go, signing in, and a signed-in page that collects console and
page errors (``chromium_page``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.dashboards.conftest import PASSWORD

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


def sign_in(page: Any, base_url: str, path: str = "/") -> None:
    """Sign in as "ana" through the login form and land on ``path``."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{path}")


@contextmanager
def chromium_page(base_url: str, *, width: int = 1440, height: int = 900
                  ) -> Iterator[tuple[Any, list[str]]]:
    """A page signed in as "ana" at ``base_url``, and the list its console errors and page
    errors go to (a test asserts it is empty at the end). The screenshot folder exists."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
            page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}")
                    if msg.type == "error" else None)
            sign_in(page, base_url)
            yield page, problems
        finally:
            browser.close()
