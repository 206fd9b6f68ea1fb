"""Verifying Slack's request signatures (``routing_health.slack.signature``) and the emulator's
signer (``sandbox.slack_clicks``), both against the worked example in Slack's documentation
("Verifying requests from Slack")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from routing_health.sandbox.slack_clicks import (
    block_actions_payload,
    signed_request,
    slack_signature,
)
from routing_health.sandbox.slack_state import RecordedMessage
from routing_health.slack.signature import is_signed_by_slack

# Slack's documented example: secret, timestamp, slash-command body and the signature it gets.
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TS = "1531420618"
DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700"
    b"885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c"
    b"447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
DOC_TIME = datetime.fromtimestamp(int(DOC_TS), tz=UTC)
HEADERS = {"X-Slack-Request-Timestamp": DOC_TS, "X-Slack-Signature": DOC_SIGNATURE}


def test_the_emulator_signs_like_slacks_documented_example() -> None:
    assert slack_signature(DOC_SECRET, DOC_TS, DOC_BODY) == DOC_SIGNATURE


@pytest.mark.parametrize("later", [timedelta(0), timedelta(minutes=4, seconds=59),
                                   timedelta(minutes=-4)])
def test_the_documented_request_verifies_within_5_minutes(later: timedelta) -> None:
    with time_machine.travel(DOC_TIME + later, tick=False):
        assert is_signed_by_slack(DOC_SECRET, DOC_BODY, HEADERS)


@pytest.mark.parametrize("later", [timedelta(minutes=5, seconds=1), timedelta(minutes=6),
                                   timedelta(minutes=-6)])
def test_the_documented_request_is_stale_after_5_minutes(later: timedelta) -> None:
    with time_machine.travel(DOC_TIME + later, tick=False):
        assert not is_signed_by_slack(DOC_SECRET, DOC_BODY, HEADERS)


@pytest.mark.parametrize(
    ("secret", "body", "headers"),
    [
        pytest.param(DOC_SECRET + "x", DOC_BODY, HEADERS, id="another-secret"),
        pytest.param("", DOC_BODY, HEADERS, id="no-secret"),
        pytest.param(DOC_SECRET, DOC_BODY + b"&x=1", HEADERS, id="body-changed"),
        pytest.param(DOC_SECRET, DOC_BODY, {"X-Slack-Signature": DOC_SIGNATURE}, id="no-ts"),
        pytest.param(DOC_SECRET, DOC_BODY, {"X-Slack-Request-Timestamp": DOC_TS}, id="no-sig"),
        pytest.param(DOC_SECRET, DOC_BODY, {**HEADERS, "X-Slack-Request-Timestamp": "1e9"},
                     id="malformed-ts"),
        pytest.param(DOC_SECRET, DOC_BODY, {**HEADERS, "X-Slack-Signature": "v0=00"},
                     id="short-signature"),
    ],
)
def test_anything_else_does_not_verify(secret: str, body: bytes, headers: dict) -> None:
    with time_machine.travel(DOC_TIME, tick=False):
        assert not is_signed_by_slack(secret, body, headers)


def test_the_emulators_click_payload_names_the_button_the_thread_and_the_user() -> None:
    value = '{"incidents":[[7,2]]}'
    reply = RecordedMessage(
        channel="C0ROUTING01", ts="1700000001.000200", thread_ts="1700000000.000100",
        text="Still firing", blocks=[{"type": "actions", "block_id": "b", "elements": [
            {"type": "button", "action_id": "rh_ack", "value": value,
             "text": {"type": "plain_text", "text": "Acknowledge"}}]}],
    )
    payload = block_actions_payload(reply, "rh_ack", user_id="U1", user_name="ana")

    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U1" and payload["user"]["username"] == "ana"
    assert payload["actions"][0]["action_id"] == "rh_ack"
    assert payload["actions"][0]["value"] == value
    assert payload["container"]["thread_ts"] == "1700000000.000100"
    assert payload["channel"]["id"] == "C0ROUTING01"
    assert payload["message"]["ts"] == "1700000001.000200"
    with pytest.raises(KeyError):
        block_actions_payload(reply, "rh_snooze_1h")

    body, headers = signed_request(payload, signing_secret="s", now=1_700_000_100.0,
                                   age_seconds=360)
    assert headers["X-Slack-Request-Timestamp"] == "1699999740"
    assert headers["X-Slack-Signature"] == slack_signature("s", "1699999740", body)


def test_the_slack_app_manifest_points_interactivity_at_our_url_with_only_chat_write() -> None:
    from pathlib import Path

    from django.urls import resolve

    manifest = (Path(__file__).resolve().parents[2] / "examples" / "slack-app-manifest.yml")
    text = manifest.read_text(encoding="utf-8")
    assert "request_url: https://YOUR-HOST/slack/interactions" in text
    assert resolve("/slack/interactions").url_name == "slack-interactions"
    assert "is_enabled: true" in text
    scopes = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]
    assert scopes == ["chat:write"]
