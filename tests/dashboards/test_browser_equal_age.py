"""In Chromium: the Trends before/after table of a flow change one day before T, on an org whose
days behave identically — seen at equal age, nothing reads "better"; the Kaplan–Meier rows say
"more than 9 h" beside the exact p95; the day not over yet is labelled; the Overview compares
"at the same age". Screenshots in ``artifacts/screenshots/`` for a human to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.dashboards.browser import CHROMIUM, SHOTS, chromium_page
from tests.dashboards.conftest import PASSWORD
from tests.dashboards.metrics.test_equal_age import identical_days  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin"),
    pytest.mark.django_db(transaction=True),
]

RANGE = "start=2026-11-14&end=2026-11-20"


def test_trends_and_overview_compare_at_equal_age(live_server, identical_days):  # noqa: F811
    get_user_model().objects.create_user("ana", password=PASSWORD)
    with chromium_page(live_server.url) as (page, problems):
        page.goto(f"{live_server.url}/trends?{RANGE}", wait_until="load")
        table = page.locator("table.compare").first
        table.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "trends-equal-age.png"), full_page=True)
        caption = table.locator("caption").inner_text()
        assert "Lead Router version activated" in caption
        header = " ".join(table.locator("thead").inner_text().split())
        assert "Nov 18" in header and "as of" in header and "so far (incomplete)" in header
        rows = {r.locator("th").inner_text(): r.locator("td").all_inner_texts()
                for r in table.locator("tbody tr").all()}
        before, after, change = rows["Time to assignment p95"]
        assert before == after and "better" not in change and "worse" not in change
        assert rows["Time to assignment p95, Kaplan–Meier"][:2] == ["more than 9 h"] * 2
        before, after, change = rows["Acceptance rate"]
        assert before == after and "better" not in change
        assert "(better)" not in page.locator("main").inner_text()
        assert page.get_by_text("Fri Nov 20 (incomplete)").count() >= 1

        page.goto(f"{live_server.url}/?{RANGE}", wait_until="load")
        page.screenshot(path=str(SHOTS / "overview-equal-age.png"), full_page=True)
        note = page.locator(".compare-note").first.inner_text()
        assert note == "Nov 14 – Nov 20, 2026 vs Nov 7 – Nov 13, 2026 at the same age"
        assert page.locator(".metric__vs").first.inner_text() == "vs previous at the same age"
        assert page.locator(".spark__tail").count() >= 1
        assert problems == []
