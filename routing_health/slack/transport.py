"""Slack transport: sends payloads (plain dicts) to one channel and classifies failures.

This is the only module importing `slack_sdk` (with `slack.signature`, which verifies Slack's
requests to us), and it imports no domain types (a leaf: nothing of ours but `lib`). Like
healthchecks' Slack transport it splits the payload from the sending: the payload is built
elsewhere (alerts: `routing_health.alerts.slack_blocks.build_payload()`; reports:
`routing_health.reports`), `SlackTransport` posts it, and `classify_response()` /
`classify_exception()` sort failures into `SlackPermanentError` (don't retry; show on the health
panel) and `SlackRetryableError` (retry later, honouring `retry_after`).
"""

from __future__ import annotations

import copy
import email.utils
import http.client
import ipaddress
import logging
import math
import re
import ssl
import time
import urllib.request
from collections.abc import Mapping
from datetime import UTC
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_TIMEOUT_SECONDS = 10.0


# --------------------------------------------------------------------------------------------
# Errors

# Errors that no retry can fix. The first group concerns the destination (token or channel):
# the outbox should stop sending there and show it on the health panel until someone fixes it.
DESTINATION_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "access_denied",
        "ekm_access_denied",
        "org_login_required",
        "team_access_not_granted",
        "two_factor_setup_required",
        "enterprise_is_restricted",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "invalid_request",
        "tls_error",
        "http_404",
        "http_410",
    }
)
# ... the second group concerns one message: drop (or fix) that message, keep the destination.
MESSAGE_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "invalid_arguments",
        "invalid_arg_name",
        "invalid_array_arg",
        "invalid_charset",
        "invalid_form_data",
        "invalid_json",
        "json_not_object",
        "invalid_post_type",
        "missing_post_type",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "thread_not_found",
        "cannot_reply_to_message",
        "method_deprecated",
        "deprecated_endpoint",
        "unknown_method",
    }
)
PERMANENT_ERRORS = DESTINATION_ERRORS | MESSAGE_ERRORS


class SlackError(Exception):
    """A Slack call failed. `code` is Slack's error string (or ours: "timeout", "http_503", …)."""

    permanent = False

    def __init__(self, code: str, *, method: str | None = None, status: int | None = None):
        self.code = code
        self.method = method
        self.status = status
        where = f"Slack {method}" if method else "Slack"
        http = f" (HTTP {status})" if status not in (None, 200) else ""
        super().__init__(f"{where} failed: {code}{http}")


class SlackPermanentError(SlackError):
    """Retrying will not help. `disables_destination`: the token or channel is unusable."""

    permanent = True

    @property
    def disables_destination(self) -> bool:
        return self.code in DESTINATION_ERRORS


class SlackRetryableError(SlackError):
    """Worth another attempt later; `retry_after` (seconds) when Slack said how long to wait."""

    def __init__(
        self,
        code: str,
        retry_after: float | None = None,
        *,
        method: str | None = None,
        status: int | None = None,
    ):
        super().__init__(code, method=method, status=status)
        self.retry_after = retry_after


def _header_value(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            return None if value is None else str(value)
    return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), else None."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp() - (time.time() if now is None else now)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


_SLACK_CODE = re.compile(r"[a-z0-9_.]{1,100}")


def classify_response(
    status: int, data: Any, headers: Mapping[str, Any] | None = None, *, method: str | None = None
) -> SlackError:
    """The error for a failed Slack Web API response (HTTP status, parsed body, headers)."""
    code = data.get("error") if isinstance(data, Mapping) else None
    # Slack codes look like `channel_not_found`; slack_sdk puts prose here for a non-JSON body.
    code = code if isinstance(code, str) and _SLACK_CODE.fullmatch(code) else None
    retry_after = parse_retry_after(_header_value(headers, "Retry-After"))
    if status == 429:
        return SlackRetryableError("ratelimited", retry_after, method=method, status=status)
    if status >= 500 or status in (408, 425):
        # A 5xx body is often an HTML page, not Slack JSON: the status is the useful code.
        return SlackRetryableError(f"http_{status}", retry_after, method=method, status=status)
    if status != 200:
        http_code = code or f"http_{status}"
        return SlackPermanentError(http_code, method=method, status=status)
    code = code or "unknown_error"
    if code in PERMANENT_ERRORS:
        return SlackPermanentError(code, method=method, status=status)
    # ratelimited, internal_error, fatal_error, service_unavailable, request_timeout, and codes we
    # do not know: retry (the outbox bounds the attempts, so an unknown code cannot loop forever).
    return SlackRetryableError(code, retry_after, method=method, status=status)


def classify_exception(error: BaseException, *, method: str | None = None) -> SlackError | None:
    """The error for an exception raised while calling Slack, or None if it is not a Slack one."""
    if isinstance(error, SlackError):
        return error
    if isinstance(error, SlackApiError):
        response = error.response
        return classify_response(
            response.status_code, response.data, response.headers, method=method
        )
    if isinstance(error, SlackRequestError):
        return SlackPermanentError("invalid_request", method=method)
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, ssl.SSLCertVerificationError):
        return SlackPermanentError("tls_error", method=method)
    if isinstance(reason, TimeoutError):
        return SlackRetryableError("timeout", method=method)
    if isinstance(error, URLError | OSError | http.client.HTTPException):
        # refused, reset, DNS failure, closed without a response
        return SlackRetryableError("connection_error", method=method)
    return None


# --------------------------------------------------------------------------------------------
# Transport


def _bypasses_proxy(api_url: str) -> bool:
    host = urlsplit(api_url).hostname or ""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        if host == "localhost":
            return True
    return bool(urllib.request.proxy_bypass_environment(host))


def _content(payload: Mapping[str, Any]) -> dict[str, Any]:
    # Where a message goes is the transport's business, not the payload's.
    return {k: v for k, v in payload.items() if k not in {"channel", "thread_ts", "ts", "token"}}


class SlackTransport:
    """Sends payloads to one Slack channel. One call = one HTTP attempt, never retried here.

    Retries belong to the notification outbox (which records each attempt and backs off, honouring
    `SlackRetryableError.retry_after`), so slack_sdk's own retry handlers are switched off.
    Failures raise `SlackPermanentError` or `SlackRetryableError`; nothing logs the token.
    """

    def __init__(
        self,
        *,
        token: str,
        channel: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ):
        if not token or not channel:
            raise ValueError("a Slack token and channel are required")
        self.channel = channel
        self.api_url = api_url
        # The channel ID Slack answered with: chat.update needs an ID, not a "#name".
        self.channel_id: str | None = None
        self._client = WebClient(
            token=token,
            base_url=api_url,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes float seconds
            retry_handlers=[],  # one send = one attempt: the outbox owns retries
            logger=logging.getLogger(f"{__name__}.sdk"),
        )
        if self._client.proxy and _bypasses_proxy(api_url):
            self._client.proxy = None  # slack_sdk ignores NO_PROXY; a local emulator needs none

    def __repr__(self) -> str:
        return f"SlackTransport(channel={self.channel!r}, api_url={self.api_url!r})"

    def for_channel(self, channel: str) -> SlackTransport:
        """The same workspace, token and API URL, sending to ``channel`` (a route's channel)."""
        if channel == self.channel:
            return self
        other = copy.copy(self)
        other.channel = channel
        other.channel_id = None
        return other

    @classmethod
    def from_settings(cls, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> SlackTransport | None:
        """A transport from SLACK_BOT_TOKEN / SLACK_CHANNEL / SLACK_API_URL; None if not set."""
        from django.conf import settings

        token = getattr(settings, "SLACK_BOT_TOKEN", None)
        channel = getattr(settings, "SLACK_CHANNEL", None)
        if not token or not channel:
            return None
        api_url = getattr(settings, "SLACK_API_URL", None) or DEFAULT_API_URL
        return cls(token=token, channel=channel, api_url=api_url, timeout=timeout)

    def _call(self, method: str, send: Any, **kwargs: Any) -> Mapping[str, Any]:
        try:
            response = send(**kwargs)
        except Exception as exc:
            error = classify_exception(exc, method=method)
            if error is None:
                raise
            logger.debug("Slack %s failed: %s", method, error.code)
            # `from None`: the SDK exception holds the request headers, bearer token included.
            raise error from None
        data = response.data if isinstance(response.data, Mapping) else {}
        channel = data.get("channel")
        if isinstance(channel, str) and channel:
            self.channel_id = channel
        return data

    def post(self, payload: Mapping[str, Any]) -> str:
        """chat.postMessage to the channel; returns the message `ts`."""
        data = self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            channel=self.channel,
            **_content(payload),
        )
        return str(data["ts"])

    def post_in_thread(
        self, thread_ts: str, payload: Mapping[str, Any], *, channel: str | None = None
    ) -> str:
        """A reply in the thread of the message `thread_ts` (in `channel`, by default the
        transport's); returns the reply's `ts`."""
        data = self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            channel=channel or self.channel,
            thread_ts=thread_ts,
            **_content(payload),
        )
        return str(data["ts"])

    def update(self, ts: str, payload: Mapping[str, Any], *, channel: str | None = None) -> None:
        """chat.update the message `ts`.

        `channel` must be the channel ID the message was posted to (Slack rejects a "#name"
        here); by default the ID learnt from this transport's last post, else `self.channel`.
        """
        fields = {k: v for k, v in payload.items() if k in {"text", "blocks", "attachments"}}
        self._call(
            "chat.update",
            self._client.chat_update,
            channel=channel or self.channel_id or self.channel,
            ts=ts,
            **fields,
        )

    def auth_test(self) -> Mapping[str, Any]:
        """auth.test: checks the token (for `check_config`)."""
        return self._call("auth.test", self._client.auth_test)
