"""In Chromium: the example pack run against the demo emulator, then the Routing tests page,
the run and its failing case (screenshots routing-tests*.png in artifacts/screenshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from routing_health.sandbox.org import Org
from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page
from tests.dashboards.conftest import PASSWORD
from tests.routing_tests.conftest import EXAMPLE_PACK, run_command

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]


def test_the_routing_tests_page_drills_from_the_run_to_the_failing_case_and_its_lead(
        live_server, sandbox: Org, tmp_path: Path) -> None:
    _, error = run_command(str(EXAMPLE_PACK), "--connection", "sandbox", "--create")
    assert error is not None  # emea_territory fails
    get_user_model().objects.create_user("ana", password=PASSWORD)

    with chromium_page(live_server.url) as (page, problems):
        page.click("nav >> text=Routing tests")
        page.wait_for_url(f"{live_server.url}/routing-tests")
        page.screenshot(path=str(SHOTS / "routing-tests.png"), full_page=True)
        assert page.locator("tbody tr").first.inner_text().count("6 of 7") == 1

        page.locator("tbody tr a.table__primary").first.click()
        page.wait_for_load_state("load")
        page.screenshot(path=str(SHOTS / "routing-tests-run.png"), full_page=True)
        rows = page.locator("tbody tr").all_inner_texts()
        failing = [row for row in rows if "Fail" in row]
        assert len(failing) == 1 and failing[0].startswith("emea_territory")
        assert "Decision: Assign by Territory" in failing[0]

        page.click("text=emea_territory")
        page.wait_for_load_state("load")
        page.screenshot(path=str(SHOTS / "routing-tests-case.png"), full_page=True)
        lead = page.locator("tbody tr").first
        assert "Not as expected" in lead.inner_text()
        href = lead.locator("a").get_attribute("href") or ""
        assert href.startswith("https://127.0.0.1:") and "/lightning/r/Lead/00Q" in href
        assert problems == []
