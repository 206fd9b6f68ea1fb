"""Drives Debian's Chromium through every page: no console errors, charts drawn, screenshots.

Never downloads a browser: skipped when /usr/bin/chromium is missing. Screenshots go to
``artifacts/screenshots/<page>.png`` (git-ignored) for a human to look at.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.dashboards.browser import ARGS, CHROMIUM, SHOTS, sign_in
from tests.dashboards.conftest import PASSWORD
from tests.dashboards.seed import seed

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


METRIC_RANGE = "start=2026-10-30&end=2026-11-19"
METRIC_RANGE_QS = METRIC_RANGE.replace("&", "%26")


def test_the_metric_pages_draw_and_a_heatmap_cell_opens_its_segment(
    live_server, synced_org, settings
):
    """Overview, Trends and Segments on the demo org: charts drawn, no console errors, and a
    click on a Segments heatmap cell opens the Overview filtered to that region and tier."""
    from datetime import timedelta
    from urllib.parse import parse_qs, urlsplit

    from playwright.sync_api import sync_playwright

    from routing_health.models import AlertIncident
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW

    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    for n, (rule, tier, reason, value, threshold, comparison) in enumerate(
        [
            ("routing_failures", "hot", "Decision: Assign by Territory", 9.0, 1.0, ">="),
            ("assignment_success", "hot", "", 0.871, 0.995, "<"),
            ("queue_aging", "warm", "", 61.5, 24.0, ">"),
        ]
    ):
        AlertIncident.objects.create(
            fingerprint=f"shot-{n}", rule=rule, region="EMEA" if n < 2 else "APAC", tier=tier,
            failure_reason=reason, first_seen=timezone.now() - timedelta(hours=2 + n),
            last_seen=timezone.now(), current_value=value, threshold=threshold,
            comparison=comparison, sample=12,
        )
    get_user_model().objects.create_user("ana", password=PASSWORD)
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.on(
                "console",
                lambda msg: problems.append(f"{page.url}: {msg.text}")
                if msg.type == "error"
                else None,
            )
            page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
            sign_in(page, live_server.url)

            for name, path in (
                ("overview", "/"),
                ("trends", "/trends"),
                ("trends-by-region", "/trends?split=region&"),
                ("segments", "/segments"),
            ):
                joiner = "" if path.endswith("&") else "?"
                page.goto(f"{live_server.url}{path}{joiner}{METRIC_RANGE}", wait_until="load")
                if name != "overview":
                    page.wait_for_selector(".chart--ready .main-svg", timeout=10_000)
                assert page.locator("h1").count() == 1
                page.screenshot(path=str(SHOTS / f"metric-{name}.png"), full_page=True)

            # Segments is open: click the first cell of the first heatmap.
            chart = page.locator("[data-drilldown-url]").first
            chart.locator(".nsewdrag").wait_for()
            spec = page.evaluate(
                "id => JSON.parse(document.getElementById(id).textContent)",
                chart.get_attribute("data-chart"),
            )
            regions, tiers = spec["data"][0]["y"], spec["data"][0]["x"]
            box = chart.locator(".nsewdrag").bounding_box()
            assert box is not None
            page.mouse.click(
                box["x"] + box["width"] / (2 * len(tiers)),
                box["y"] + box["height"] / (2 * len(regions)),
            )
            page.wait_for_url(lambda url: "tier=" in url, timeout=10_000)
            query = parse_qs(urlsplit(page.url).query)
            assert urlsplit(page.url).path == "/"
            assert query["region"] == [regions[0]] and query["tier"] == [tiers[0]]
            assert query["start"] == ["2026-10-30"]
            page.screenshot(path=str(SHOTS / "metric-overview-segment.png"), full_page=True)

            tablet = browser.new_context(viewport={"width": 768, "height": 1024})
            tablet.add_cookies(context.cookies())
            tablet_page = tablet.new_page()
            tablet_page.on("pageerror", lambda exc: problems.append(f"tablet: {exc}"))
            for name in ("overview", "trends", "segments"):
                path = "/" if name == "overview" else f"/{name}"
                tablet_page.goto(f"{live_server.url}{path}?{METRIC_RANGE}", wait_until="load")
                if name != "overview":
                    tablet_page.wait_for_selector(".chart--ready .main-svg", timeout=10_000)
                tablet_page.screenshot(
                    path=str(SHOTS / f"metric-{name}-tablet.png"), full_page=True
                )
        finally:
            browser.close()

    assert problems == [], "\n".join(problems)


OPS_RANGE = "start=2026-10-30&end=2026-11-20"


def test_the_ops_pages_snooze_an_alert_and_show_a_bounced_leads_owners(
    live_server, synced_org, settings
):
    """Queues, Failures, Reps, Alerts, Reports, Health and the Lead timeline on the demo org:
    snooze an incident through the Alerts form and see it snoozed; open a bounced lead's
    timeline and see each of its owners; no console errors (CSP included)."""
    from datetime import timedelta

    from playwright.sync_api import sync_playwright

    from routing_health.alerts.service import run_evaluation
    from routing_health.models import (
        AlertIncident,
        LeadFact,
        Notification,
        OwnerChange,
        Queue,
        SalesforceUser,
    )
    from routing_health.reports.render import render_weekly_html
    from routing_health.reports.store import save_weekly_report
    from routing_health.reports.weekly import build_weekly_report
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW

    settings.SALESFORCE = {**settings.SALESFORCE, "instance_url": "https://acme.my.salesforce.com"}
    settings.SLACK_BOT_TOKEN = None
    settings.SLACK_CHANNEL = None
    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW)
    run_evaluation(config=config, as_of=NOW, transport=None)
    review = build_weekly_report(config, "2026-W46", NOW)
    save_weekly_report(review, render_weekly_html(review))
    incident = AlertIncident.objects.get(rule="routing_failures")
    # Two delivery problems for the Health page's notification panel.
    other = AlertIncident.objects.filter(rule="queue_aging").order_by("id").first()
    now = timezone.now()
    problems_to_show = (("failed", 1, "channel_not_found"), ("pending", 3, "ratelimited"))
    for status, attempts, error in problems_to_show:
        Notification.objects.create(
            incident=other, kind="reminder", payload={}, status=status, attempts=attempts,
            last_error=error, next_attempt_at=now + timedelta(minutes=4), created_at=now,
        )
    bounced = LeadFact.objects.filter(bounced=True, tier="warm").order_by("lead_id").first()
    changes = OwnerChange.objects.filter(lead_id=bounced.lead_id).order_by("created_at", "id")
    names = dict(SalesforceUser.objects.values_list("id", "name"))
    names.update(Queue.objects.values_list("id", "name"))
    owners = [names[changes[0].old_owner_id], *(names[c.new_owner_id] for c in changes)]
    failed = synced_org.facts["incident"]["failed_lead_ids"][0]
    get_user_model().objects.create_user("ana", password=PASSWORD)
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.on(
                "console",
                lambda msg: problems.append(f"{page.url}: {msg.text}")
                if msg.type == "error"
                else None,
            )
            page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
            sign_in(page, live_server.url)

            for name, path, charts in (
                ("queues", "/queues", True),
                ("queues-apac", "/queues?region=APAC", True),
                ("failures", f"/failures?{OPS_RANGE}", True),
                ("reps", f"/reps?{OPS_RANGE}", False),
                ("reports", "/reports", False),
                ("health", "/health", True),
                ("lead-timeline-failed", f"/leads/{failed}", False),
                ("leads-behind-a-number",
                 f"/leads?{OPS_RANGE}&outcome=failed&failure_reason=Decision%3A+Assign+by+Territory",
                 True),
            ):
                page.goto(f"{live_server.url}{path}", wait_until="load")
                if charts:
                    page.wait_for_selector(".chart--ready .main-svg", timeout=10_000)
                assert page.locator("h1").count() == 1
                page.screenshot(path=str(SHOTS / f"ops-{name}.png"), full_page=True)

            # Alerts: snooze the routing-failures incident for 4 hours through its form.
            page.goto(f"{live_server.url}/alerts", wait_until="load")
            page.screenshot(path=str(SHOTS / "ops-alerts.png"), full_page=True)
            card = page.locator(f"#incident-{incident.pk}")
            card.get_by_role("button", name="Snooze for 4 hours").click()
            page.wait_for_load_state("load")
            assert "Snoozed “Routing failures" in page.locator(".message--ok").inner_text()
            card = page.locator(f"#incident-{incident.pk}")
            assert "snoozed until" in card.inner_text().lower()
            assert card.get_by_role("button", name="Unsnooze").is_visible()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(SHOTS / "ops-alerts-snoozed.png"), full_page=True)

            # The bounced lead's timeline: every owner, in order.
            page.goto(f"{live_server.url}/leads/{bounced.lead_id}", wait_until="load")
            shown = page.locator(".journey__name").all_inner_texts()
            assert shown == owners
            assert page.get_by_text("Bounce: owner changed within").is_visible()
            page.screenshot(path=str(SHOTS / "ops-lead-timeline-bounced.png"), full_page=True)

            # A stored weekly review opens in its own sandboxed document.
            page.goto(f"{live_server.url}/reports/2026-W46", wait_until="load")
            page.wait_for_selector(".main-svg", timeout=10_000)
            page.screenshot(path=str(SHOTS / "ops-report-view.png"))

            tablet = browser.new_context(viewport={"width": 768, "height": 1024})
            tablet.add_cookies(context.cookies())
            tablet_page = tablet.new_page()
            tablet_page.on("pageerror", lambda exc: problems.append(f"tablet: {exc}"))
            for name, path in (
                ("queues", "/queues"),
                ("alerts", "/alerts"),
                ("reps", f"/reps?{OPS_RANGE}"),
                ("lead-timeline", f"/leads/{bounced.lead_id}"),
            ):
                tablet_page.goto(f"{live_server.url}{path}", wait_until="load")
                tablet_page.screenshot(path=str(SHOTS / f"ops-{name}-tablet.png"), full_page=True)
        finally:
            browser.close()

    assert problems == [], "\n".join(problems)
    incident.refresh_from_db()
    assert incident.snoozed_until is not None


def test_changing_a_filter_changes_the_url_and_the_numbers(live_server, synced_org, settings):
    """Choosing a region in the filter bar and applying it puts it in the URL (shareable) and
    changes the Overview's numbers."""
    from urllib.parse import parse_qs, urlsplit

    from playwright.sync_api import sync_playwright

    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW

    compute_metrics(config=runtime.routing_config(), as_of=NOW)
    get_user_model().objects.create_user("ana", password=PASSWORD)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.goto(f"{live_server.url}/accounts/login/?next=/%3F{METRIC_RANGE_QS}")
            page.fill("#id_username", "ana")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "start=" in url)
            leads = page.locator("#metric-leads + .metric__line .metric__value")
            before = leads.inner_text()
            page.select_option("#filter-region", "EMEA")
            page.click(".filterbar__form button[type=submit]")
            page.wait_for_url(lambda url: "region=EMEA" in url)
            query = parse_qs(urlsplit(page.url).query)
            assert query["region"] == ["EMEA"] and query["start"] == ["2026-10-30"]
            after = leads.inner_text()
            assert int(after.replace(",", "")) < int(before.replace(",", ""))
        finally:
            browser.close()
