"""The Slack transport, through the real slack_sdk WebClient against the local emulator."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from routing_health.alerts.message import AlertMessage, RecordLink
from routing_health.alerts.slack_blocks import build_payload
from routing_health.sandbox.slack_emulator import DEFAULT_CHANNEL_ID, SlackEmulator
from routing_health.slack.transport import (
    SlackPermanentError,
    SlackRetryableError,
    SlackTransport,
    classify_response,
    parse_retry_after,
)
from tests.conftest import SLACK_TOKEN

PAYLOAD = {"text": "fallback", "blocks": [{"type": "divider"}]}


def transport(slack_emulator: SlackEmulator, **overrides: Any) -> SlackTransport:
    args: dict[str, Any] = {
        "token": SLACK_TOKEN,
        "channel": "#routing-alerts",
        "api_url": slack_emulator.api_url,
    }
    args.update(overrides)
    return SlackTransport(**args)


# -- sending ----------------------------------------------------------------------------------


def test_post_returns_the_ts_and_the_message_is_recorded(slack_emulator: SlackEmulator) -> None:
    sender = transport(slack_emulator)

    ts = sender.post(PAYLOAD)

    [message] = slack_emulator.messages
    assert (message.ts, message.channel, message.text) == (ts, DEFAULT_CHANNEL_ID, "fallback")
    assert sender.channel_id == DEFAULT_CHANNEL_ID


def test_post_in_thread_replies_under_the_first_message(slack_emulator: SlackEmulator) -> None:
    sender = transport(slack_emulator)
    parent = sender.post(PAYLOAD)

    reply = sender.post_in_thread(parent, {"text": "still firing"})

    assert [(m.ts, m.thread_ts) for m in slack_emulator.messages] == [
        (parent, None),
        (reply, parent),
    ]


def test_update_edits_the_message_in_the_channel_it_was_posted_to(
    slack_emulator: SlackEmulator,
) -> None:
    sender = transport(slack_emulator)
    ts = sender.post(PAYLOAD)

    sender.update(ts, {"text": "resolved", "blocks": [], "unfurl_links": False})

    [message] = slack_emulator.messages
    assert (message.text, message.updated) == ("resolved", True)


def test_update_from_a_fresh_transport_takes_the_channel_id(slack_emulator: SlackEmulator) -> None:
    ts = transport(slack_emulator).post(PAYLOAD)

    transport(slack_emulator).update(ts, {"text": "resolved"}, channel=DEFAULT_CHANNEL_ID)

    assert slack_emulator.messages[0].text == "resolved"


def test_one_send_is_one_attempt_without_sdk_retries(slack_emulator: SlackEmulator) -> None:
    slack_emulator.faults.add(kind="down", times=1)

    with pytest.raises(SlackRetryableError):
        transport(slack_emulator).post(PAYLOAD)

    assert len(slack_emulator.calls) == 1


def test_an_alert_payload_with_hostile_salesforce_data_is_accepted(
    slack_emulator: SlackEmulator,
) -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    alert = AlertMessage(
        kind="firing",
        rule="routing_failures",
        title="Leads failed routing: <!channel>",
        segment={"region": "<!here>" * 2000, "tier": "hot"},
        first_seen=now - timedelta(hours=1),
        as_of=now,
        value=42,
        threshold=0,
        comparison=">",
        window="leads created in the last 24 h",
        failure_reasons=tuple((f"<https://evil|{n}>" * 300, n) for n in range(120)),
        records=tuple(RecordLink(f"00Q5e00000{n:05d}", "&<>|" * 3000) for n in range(500)),
        total_records=500,
        dashboard_url="http://127.0.0.1:8000/alerts/",
    )

    transport(slack_emulator).post(
        build_payload(alert, instance_url="https://acme.my.salesforce.com")
    )

    [message] = slack_emulator.messages
    assert "<!channel>" not in message.text and "<!here>" not in message.text


# -- errors -----------------------------------------------------------------------------------


def test_ratelimited_is_retryable_with_the_retry_after_slack_asked_for(
    slack_emulator: SlackEmulator,
) -> None:
    slack_emulator.faults.add(kind="ratelimited", times=3, retry_after=1)

    with pytest.raises(SlackRetryableError) as raised:
        transport(slack_emulator).post(PAYLOAD)

    assert (raised.value.code, raised.value.retry_after, raised.value.status) == (
        "ratelimited",
        1.0,
        429,
    )
    assert len(slack_emulator.calls) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_retryable(slack_emulator: SlackEmulator, status: int) -> None:
    slack_emulator.faults.add(kind="server_error", times=1, status=status)

    with pytest.raises(SlackRetryableError) as raised:
        transport(slack_emulator).post(PAYLOAD)

    assert (raised.value.code, raised.value.status) == (f"http_{status}", status)
    assert raised.value.retry_after is None


def test_a_timeout_is_retryable(slack_emulator: SlackEmulator) -> None:
    slack_emulator.faults.add(kind="timeout", times=1, delay=0.5)

    with pytest.raises(SlackRetryableError) as raised:
        transport(slack_emulator, timeout=0.1).post(PAYLOAD)

    assert raised.value.code == "timeout"


def test_slack_down_is_a_retryable_connection_error(slack_emulator: SlackEmulator) -> None:
    slack_emulator.faults.add(kind="down")

    with pytest.raises(SlackRetryableError) as raised:
        transport(slack_emulator).post(PAYLOAD)

    assert raised.value.code == "connection_error"


def test_channel_not_found_is_permanent_and_disables_the_destination(
    slack_emulator: SlackEmulator,
) -> None:
    slack_emulator.faults.add(kind="error", error="channel_not_found", times=1)

    with pytest.raises(SlackPermanentError) as raised:
        transport(slack_emulator).post(PAYLOAD)

    assert raised.value.code == "channel_not_found"
    assert raised.value.disables_destination is True


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"token": "xoxb-wrong"}, "invalid_auth"),
        ({"channel": "#nowhere"}, "channel_not_found"),
        ({"channel": "C0ARCHIVED"}, "is_archived"),
    ],
)
def test_bad_destinations_are_permanent(
    slack_emulator: SlackEmulator, overrides: dict[str, str], code: str
) -> None:
    with pytest.raises(SlackPermanentError) as raised:
        transport(slack_emulator, **overrides).post(PAYLOAD)

    assert raised.value.code == code and raised.value.disables_destination


def test_an_oversized_payload_is_invalid_blocks_for_that_message_only(
    slack_emulator: SlackEmulator,
) -> None:
    oversized = {"text": "t", "blocks": [{"type": "divider"}] * 51}

    with pytest.raises(SlackPermanentError) as raised:
        transport(slack_emulator).post(oversized)

    assert raised.value.code == "invalid_blocks"
    assert raised.value.disables_destination is False


def test_the_token_never_appears_in_errors_reprs_or_logs(
    slack_emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    slack_emulator.faults.add(kind="down", times=1)
    slack_emulator.faults.add(kind="ratelimited", times=1)
    sender = transport(slack_emulator)
    errors = []
    for _ in range(2):
        with pytest.raises((SlackRetryableError, SlackPermanentError)) as raised:
            sender.post(PAYLOAD)
        errors.append(raised.value)
    sender.post(PAYLOAD)

    rendered = [str(e) for e in errors] + [repr(e) for e in errors] + [repr(sender)]
    assert not any(SLACK_TOKEN in text for text in rendered)
    assert SLACK_TOKEN not in caplog.text
    assert all(e.__cause__ is None for e in errors)


# -- classification ---------------------------------------------------------------------------


def test_classification_of_responses() -> None:
    internal = classify_response(200, {"ok": False, "error": "internal_error"})
    not_found = classify_response(404, "<html>not found</html>")
    unknown = classify_response(200, {"ok": False, "error": "brand_new_error"})
    scope = classify_response(200, {"ok": False, "error": "missing_scope"})

    assert isinstance(internal, SlackRetryableError)
    assert isinstance(not_found, SlackPermanentError) and not_found.code == "http_404"
    assert isinstance(unknown, SlackRetryableError)  # the outbox bounds attempts
    assert isinstance(scope, SlackPermanentError) and scope.disables_destination


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    now = datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp()

    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Fri, 20 Nov 2026 12:00:45 GMT", now=now) == 45.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0


# -- configuration ----------------------------------------------------------------------------


def test_from_settings_is_none_when_slack_is_not_configured(settings: Any) -> None:
    settings.SLACK_BOT_TOKEN = None
    settings.SLACK_CHANNEL = "#routing-alerts"

    assert SlackTransport.from_settings() is None


def test_from_settings_reads_token_channel_and_api_url(
    settings: Any, slack_emulator: SlackEmulator
) -> None:
    settings.SLACK_BOT_TOKEN = SLACK_TOKEN
    settings.SLACK_CHANNEL = DEFAULT_CHANNEL_ID
    settings.SLACK_API_URL = slack_emulator.api_url

    sender = SlackTransport.from_settings()

    assert sender is not None
    assert sender.post(PAYLOAD)
    assert slack_emulator.messages[0].channel == DEFAULT_CHANNEL_ID
