"""``manage.py daily_digest`` and its payload: yesterday against the targets, safe for Slack."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing_health.lib.mrkdwn import MAX_BLOCKS, MAX_SECTION_TEXT, text_length
from routing_health.metrics import METRIC_NAMES
from routing_health.models import Lead
from routing_health.reports.digest import (
    MAX_REGION_LINES,
    DigestError,
    build_daily_digest,
    digest_payload,
)
from routing_health.reports.export import compute_export, parse_request
from routing_health.sandbox.slack_limits import validate_message
from tests.conftest import NOW

AS_OF = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
YESTERDAY = date(2026, 11, 19)  # NOW is Friday 07:00 in New York


def digest_command(*args: str) -> str:
    out = io.StringIO()
    call_command("daily_digest", "--as-of", AS_OF, *args, stdout=out)
    return out.getvalue()


def all_text(payload) -> str:
    return json.dumps(payload, ensure_ascii=False)


def assert_within_slack_limits(payload) -> None:
    assert validate_message(payload["text"], payload["blocks"]) is None
    assert len(payload["blocks"]) <= MAX_BLOCKS
    for block in payload["blocks"]:
        if block["type"] == "section" and "text" in block:
            assert text_length(block["text"]["text"]) <= MAX_SECTION_TEXT


def test_the_default_day_is_yesterday_in_the_report_time_zone(config):
    digest = build_daily_digest(config, None, NOW)
    assert digest.day == YESTERDAY
    assert digest.complete


def test_the_digest_numbers_equal_the_export_of_that_day(config):
    digest = build_daily_digest(config, None, NOW)
    request = parse_request(config, start="2026-11-19", end="2026-11-19", by="region",
                            as_of=AS_OF)
    document = compute_export(config, request)
    # The digest carries the catalog's METRICS; the export adds the fairness counts and the
    # duplicates family after them.
    assert dict(digest.total.metrics) == {k: document["total"][k] for k in METRIC_NAMES}
    assert {line.region.region: dict(line.region.metrics) for line in digest.regions} == {
        row["region"]: {k: row[k] for k in METRIC_NAMES} for row in document["rows"]
    }


def test_the_payload_judges_the_headline_against_the_targets(config, synced_org):
    payload = digest_payload(build_daily_digest(config, None, NOW))
    text = all_text(payload)
    assert payload["blocks"][0]["text"]["text"] == "Routing daily digest · Thu 19 Nov 2026"
    assert "*Assignment success:*" in text and "target ≥ 99.50%" in text
    assert "✗ off target" in text  # the demo's EMEA hot incident
    assert "*Time to assignment p95:*" in text and "(SLA 5 min)" in text
    assert "target ≤ 10.0%" in text
    incident_region = synced_org.facts["incident"]["region"]
    region_lines = [b["text"]["text"] for b in payload["blocks"][4:] if b["type"] == "section"]
    assert any(line.startswith(f"*{incident_region}*") for line in region_lines)


def test_the_payload_links_to_the_dashboard_for_the_day_and_each_region(config):
    payload = digest_payload(build_daily_digest(config, None, NOW))
    text = all_text(payload)
    day = "start=2026-11-19&amp;end=2026-11-19"  # "&" is escaped inside mrkdwn links too
    assert f"<https://health.example.com/?{day}|Open the dashboard for this day>" in text
    assert f"<https://health.example.com/?{day}&amp;region=EMEA|open>" in text


def test_region_names_from_salesforce_are_escaped(config):
    hostile = "<!channel> & <https://evil.example|click>"
    Lead.objects.filter(region="EMEA").update(region=hostile)
    payload = digest_payload(build_daily_digest(config, None, NOW))
    text = all_text(payload)
    assert "<!channel>" not in text
    assert "<https://evil.example" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text
    assert "region=%3C%21channel%3E" in text  # the link's filter is URL-encoded
    assert_within_slack_limits(payload)


def test_the_payload_stays_within_slack_limits_with_many_long_regions(config):
    digest = build_daily_digest(config, None, NOW)
    line = digest.regions[0]
    many = tuple(
        replace(line, region=replace(line.region, region=f"Region {n:02d} " + "é&<" * 400))
        for n in range(MAX_REGION_LINES + 20)
    )
    payload = digest_payload(replace(digest, regions=many))
    assert_within_slack_limits(payload)
    assert "more regions on the dashboard" in all_text(payload)


def test_a_day_without_leads_says_so(config):
    payload = digest_payload(build_daily_digest(config, date(2026, 10, 1), NOW))
    assert "No leads were created on Thu 01 Oct 2026." in all_text(payload)
    assert_within_slack_limits(payload)


def test_a_future_day_is_rejected(config):
    with pytest.raises(DigestError, match="has not started"):
        build_daily_digest(config, date(2026, 11, 21), NOW)


def test_the_dry_run_prints_the_payload_json(synced_org):
    payload = json.loads(digest_command("--dry-run"))
    assert payload["blocks"][0]["type"] == "header"
    assert payload["text"].startswith("Routing daily digest 2026-11-19:")


def test_a_bad_date_is_a_clear_error(synced_org):
    with pytest.raises(CommandError, match="--date must be a date YYYY-MM-DD"):
        digest_command("--date", "19/11/2026")


def test_without_slack_the_digest_says_so_and_succeeds(synced_org):
    assert "Slack is not configured" in digest_command()


def test_it_posts_the_digest_to_slack(synced_org, slack):
    output = digest_command("--date", "2026-11-18")
    assert len(slack.messages) == 1
    assert slack.messages[0].text.startswith("Routing daily digest 2026-11-18:")
    assert "posted the digest of 2026-11-18" in output
