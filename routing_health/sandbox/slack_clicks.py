"""Clicking a button of a message the Slack emulator recorded, as Slack would call our app.

``click_button`` builds Slack's ``block_actions`` payload for one button of a
``RecordedMessage`` and POSTs it (form field ``payload``) to an interactivity URL, signed like
Slack signs it: ``X-Slack-Signature: v0=`` + HMAC-SHA256(secret, ``v0:{timestamp}:{body}``),
``X-Slack-Request-Timestamp: {timestamp}``. The signature is computed here with ``hmac``,
independently of the verifier under test. ``bad_signature`` and ``age_seconds`` send the
requests Slack would never send (a forged signature, a replayed old request)::

    reply = click_button(message, "rh_ack", url=live_server.url + "/slack/interactions",
                         signing_secret="…", user_id="U0ONCALL", user_name="ana")
    reply.status  # 200, or 401 when refused

No Django, no slack_sdk. Requests bypass any HTTP proxy (the app runs locally).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from routing_health.sandbox.slack_state import RecordedMessage

DEFAULT_USER_ID = "U0ONCALL01"
DEFAULT_USER_NAME = "on-call"
TEAM_ID = "T0EMULATED"
APP_ID = "A0ROUTING"


@dataclass(frozen=True)
class ClickReply:
    """What the app answered: HTTP status, body and the request that was sent."""

    status: int
    body: bytes
    sent_body: bytes
    headers: Mapping[str, str]


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def find_button(message: RecordedMessage, action_id: str) -> tuple[str, dict[str, Any]]:
    """(block_id, button element) of the button ``action_id`` in ``message``; KeyError if none."""
    for block in message.blocks:
        if block.get("type") != "actions":
            continue
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element.get("action_id") == action_id:
                return str(block.get("block_id") or ""), element
    raise KeyError(f"no button {action_id!r} in message {message.ts}")


def block_actions_payload(
    message: RecordedMessage,
    action_id: str,
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    now: float | None = None,
) -> dict[str, Any]:
    """The ``block_actions`` payload Slack sends when ``user`` clicks ``action_id``."""
    block_id, button = find_button(message, action_id)
    clicked = time.time() if now is None else now
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": message.channel,
        "is_ephemeral": False,
    }
    wire_message: dict[str, Any] = {
        "type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks,
    }
    if message.thread_ts:
        container["thread_ts"] = message.thread_ts
        wire_message["thread_ts"] = message.thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "container": container,
        "trigger_id": f"{int(clicked)}.1.emulated",
        "team": {"id": TEAM_ID, "domain": "routing-health-emulated"},
        "channel": {"id": message.channel, "name": "routing-alerts"},
        "message": wire_message,
        "response_url": "https://hooks.slack.invalid/actions/emulated",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": button.get("text"),
                "value": button.get("value", ""),
                "action_ts": f"{clicked:.6f}",
            }
        ],
    }


def signed_request(
    payload: Mapping[str, Any],
    *,
    signing_secret: str,
    now: float | None = None,
    age_seconds: float = 0.0,
    bad_signature: bool = False,
) -> tuple[bytes, dict[str, str]]:
    """(form body, headers) of Slack's POST carrying ``payload``.

    ``age_seconds``: date the request that much in the past (over 300: stale for the app).
    ``bad_signature``: sign with another secret.
    """
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int((time.time() if now is None else now) - age_seconds))
    secret = signing_secret + "-forged" if bad_signature else signing_secret
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": slack_signature(secret, timestamp, body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    return body, headers


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float = 10.0) -> ClickReply:
    """POST ``body`` to ``url`` (no proxy); any HTTP status is returned, not raised."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"an interactivity URL is http(s), not {url!r}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, data=body, headers=dict(headers), method="POST"
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            return ClickReply(response.status, response.read(), body, dict(headers))
    except urllib.error.HTTPError as error:
        return ClickReply(error.code, error.read(), body, dict(headers))


def click_button(
    message: RecordedMessage,
    action_id: str,
    *,
    url: str,
    signing_secret: str,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    age_seconds: float = 0.0,
    bad_signature: bool = False,
    timeout: float = 10.0,
) -> ClickReply:
    """Click ``action_id`` on ``message`` as ``user``: a signed POST to ``url`` (see module doc)."""
    now = time.time()
    payload = block_actions_payload(
        message, action_id, user_id=user_id, user_name=user_name, now=now
    )
    body, headers = signed_request(
        payload, signing_secret=signing_secret, now=now, age_seconds=age_seconds,
        bad_signature=bad_signature,
    )
    return post(url, body, headers, timeout=timeout)
