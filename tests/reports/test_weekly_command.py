"""``manage.py weekly_report``: the file, the stored review, the Slack summary."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing_health.models import WeeklyReport
from tests.conftest import NOW

AS_OF = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
REPORT_URL = "https://health.example.com/reports/2026-W46"


def weekly_report(*args: str) -> str:
    out = io.StringIO()
    call_command("weekly_report", "--as-of", AS_OF, *args, stdout=out)
    return out.getvalue()


def test_it_writes_the_last_complete_week_to_the_data_folder(synced_org, settings):
    output = weekly_report().splitlines()
    path = Path(settings.DATA_DIR) / "reports" / "weekly-2026-W46.html"
    assert output[0] == str(path)
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert output[1].startswith("2026-W46 (2026-11-09 – 2026-11-15): ")
    assert "assignment success" in output[1]


def test_it_writes_the_requested_week_to_the_requested_file(synced_org, tmp_path):
    target = tmp_path / "out" / "review.html"
    output = weekly_report("--week", "2026-W47", "--output", str(target))
    assert output.splitlines()[0] == str(target)
    assert "Weekly routing review 2026-W47" in target.read_text(encoding="utf-8")
    assert "partial week" in output


def test_it_stores_the_review_for_the_dashboard_and_replaces_it_when_run_again(synced_org):
    weekly_report("--week", "2026-W46")
    weekly_report("--week", "2026-W46")
    stored = WeeklyReport.objects.get()
    assert stored.week == "2026-W46"
    assert stored.complete
    assert stored.html.startswith("<!doctype html>")
    assert stored.summary["period"]["week"] == "2026-W46"
    assert stored.summary["total"]["current"]["leads"] > 0


@pytest.mark.parametrize("week", ["2026-47", "2026-W99", "last week"])
def test_a_bad_week_is_a_clear_error(synced_org, week):
    with pytest.raises(CommandError, match="ISO week"):
        weekly_report("--week", week)


def test_a_week_in_the_future_is_a_clear_error(synced_org):
    with pytest.raises(CommandError, match="after the report time"):
        weekly_report("--week", "2026-W49")


def test_a_bad_as_of_is_a_clear_error(synced_org):
    with pytest.raises(CommandError, match="--as-of must be an ISO 8601 instant"):
        call_command("weekly_report", "--as-of", "yesterday", stdout=io.StringIO())


def test_without_slack_posting_says_so_and_succeeds(synced_org):
    output = weekly_report("--post-to-slack")
    assert "Slack is not configured" in output


def test_it_posts_one_summary_with_the_report_link_to_slack(synced_org, slack):
    output = weekly_report("--post-to-slack")
    messages = slack.messages
    assert len(messages) == 1
    message = messages[0]
    assert message.channel == "C0ROUTING01"
    text = str(message.blocks)
    assert f"<{REPORT_URL}|Open the full weekly review>" in text
    assert "Weekly routing review 2026-W46" in message.text
    assert "Assignment success" in text
    assert "posted the summary to Slack" in output
    assert WeeklyReport.objects.get().slack_ts == message.ts


def test_the_slack_summary_escapes_the_top_failure_reason(synced_org, slack):
    from routing_health.models import Lead

    hostile = "<!channel> & <https://evil.example|click>"
    Lead.objects.filter(
        created_at__gte=datetime(2026, 11, 16, 5, tzinfo=UTC), created_at__lt=NOW
    ).update(failed_node=hostile)
    weekly_report("--week", "2026-W47", "--post-to-slack")
    message = slack.messages[0]
    text = str(message.blocks) + message.text
    assert "<!channel>" not in text
    assert "<https://evil.example" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text


def test_a_slack_failure_is_a_command_error(synced_org, slack):
    slack.faults.add(kind="error", error="channel_not_found", times=1)
    with pytest.raises(CommandError, match="channel_not_found"):
        weekly_report("--post-to-slack")
