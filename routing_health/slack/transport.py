"""Slack: Block Kit payloads for alerts (pure) and the transport that sends them.

This is the only module importing `slack_sdk`. Like healthchecks' Slack transport it splits the
payload from the sending: `build_payload()` turns an `AlertMessage` into a dict (no I/O, no
Django), `SlackTransport` posts it, and `classify_response()` / `classify_exception()` sort failures
into `SlackPermanentError` (don't retry; show on the health panel) and `SlackRetryableError` (retry
later, honouring `retry_after`).

Every value that may come from Salesforce is escaped for mrkdwn (`&`, `<`, `>`), so a lead named
`<!channel>` cannot ping a channel and `<https://evil|click>` cannot become a link. Payloads stay
within Slack's limits whatever the data; truncation never cuts an escape entity or a link in half.
"""

from __future__ import annotations

import email.utils
import http.client
import ipaddress
import logging
import math
import re
import ssl
import time
import unicodedata
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from routing_health.alerts.message import AlertMessage, RecordLink
from routing_health.lib.sfid import is_sf_id

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_TIMEOUT_SECONDS = 10.0

# Slack's documented limits (Block Kit reference, chat.postMessage).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_SECTION_FIELDS = 10
MAX_HEADER_TEXT = 150
# chat.postMessage truncates `text` at 40,000 characters; Slack advises at most 4,000.
MAX_FALLBACK_TEXT = 4000
MAX_RECORD_LINKS = 10
ELLIPSIS = "…"

# Our own budgets, so the whole message stays far below the undocumented total-size limit
# (Slack answers `msg_blocks_too_long` somewhere above ~12,000 characters of block text).
_FIELD_BUDGET = 400
_REASON_BUDGET = 200
_LABEL_BUDGET = 100
_MAX_URL_LENGTH = 1000

# --------------------------------------------------------------------------------------------
# Escaping and truncation


def text_length(text: str) -> int:
    """Length as Slack's (JavaScript) limits count it: UTF-16 code units, >= `len(text)`."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape_mrkdwn(text: object) -> str:
    """Escape `&`, `<` and `>` so Slack shows the text literally (no mentions, links or dates)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(text: object, limit: int | None = None) -> str:
    """One clean line of text: control characters and runs of whitespace become one space.

    Used for `plain_text` objects (headers), which Slack does not parse, and as the first step of
    the mrkdwn fallback. With `limit`, truncated to at most `limit` characters ending in "…".
    """
    cleaned = " ".join("".join(_clean_char(ch) for ch in str(text)).split())
    if limit is not None and text_length(cleaned) > limit:
        return _fit_tokens(list(cleaned), limit)
    return cleaned


_KEEP_FORMAT_CHARS = {"\u200c", "\u200d"}  # (non-)joiners hold emoji sequences together


def _clean_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cc":
        return " "  # newlines, tabs and other controls
    if category == "Cf" and ch not in _KEEP_FORMAT_CHARS:
        return ""  # bidi overrides, zero-width spaces: invisible spoofing
    if category == "Cs":
        return "\ufffd"  # a lone surrogate cannot be sent as JSON text
    return ch


# An escaped mrkdwn string is a sequence of atoms: a `<…>` link made by us (all foreign `<` are
# escaped), an escape entity, or one character. Truncation only ever drops whole atoms.
_ATOM = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);|.", re.DOTALL)


def fit_mrkdwn(text: str, limit: int) -> str:
    """`text` (already escaped mrkdwn) cut to at most `limit` characters, ending in "…" if cut.

    Never splits an escape entity such as `&amp;` or a `<url|label>` link.
    """
    if text_length(text) <= limit:
        return text
    return _fit_tokens(_ATOM.findall(text), limit)


def _fit_tokens(tokens: Sequence[str], limit: int) -> str:
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for token in tokens:
        size = text_length(token)
        if used + size > budget:
            break
        out.append(token)
        used += size
    return "".join(out).rstrip() + ELLIPSIS


def mrkdwn_value(raw: object, limit: int) -> str:
    """A Salesforce value as one escaped mrkdwn line of at most `limit` characters."""
    return fit_mrkdwn(escape_mrkdwn(plain_text(raw)), limit)


def link_label(raw: str, limit: int) -> str:
    # `|` separates URL and label inside `<url|label>`: a label containing one would let the
    # text after it (or before it) be read as the link target.
    return mrkdwn_value(raw.replace("|", " "), limit)


# --------------------------------------------------------------------------------------------
# Salesforce Ids and URLs

_URL_UNSAFE = re.compile(r"[\s<>|\"'`\\^{}]")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?")


def _base_url(url: str) -> tuple[str, str, str, str] | None:
    """(scheme, host, path, query) of an http(s) URL safe inside `<url|label>`, else None."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in {"http", "https"} or not _HOST.fullmatch(parts.netloc or ""):
        return None
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
    return parts.scheme.lower(), parts.netloc, path, parts.query


def record_url(instance_url: str, lead_id: str) -> str | None:
    """`https://<instance>/lightning/r/Lead/<Id>/view`, or None for a bad Id or instance URL."""
    base = _base_url(instance_url)
    if base is None or not is_sf_id(lead_id):
        return None
    scheme, host, path, _ = base
    return f"{scheme}://{host}{path.rstrip('/')}/lightning/r/Lead/{lead_id}/view"


def filtered_dashboard_url(url: str, segment: Mapping[str, str]) -> str | None:
    """The dashboard URL with the segment added as query filters (unless already present).

    Falls back to the unfiltered URL when the filtered one would be unreasonably long, and to None
    when the URL is not a plain http(s) URL.
    """
    base = _base_url(url) if url else None
    if base is None:
        return None
    scheme, host, path, query = base
    pairs = parse_qsl(query, keep_blank_values=True)
    present = {key for key, _ in pairs}
    filtered = pairs + [(k, v) for k, v in segment.items() if k not in present and v]
    for candidate in (filtered, pairs):
        try:
            built = urlunsplit((scheme, host, path, urlencode(candidate), ""))
        except UnicodeEncodeError:
            continue
        if len(built) <= _MAX_URL_LENGTH and not _URL_UNSAFE.search(built):
            return built
    return None


def _link(url: str, label: str) -> str:
    """`<url|label>`; `label` must already be escaped and free of `|`."""
    return f"<{escape_mrkdwn(url)}|{label}>"


# --------------------------------------------------------------------------------------------
# Numbers, times and words

_COMPARISON_WORDS = {
    "<": "below",
    "<=": "at or below",
    ">": "above",
    ">=": "at or above",
    "≤": "at or below",
    "≥": "at or above",
    "==": "equal to",
    "!=": "different from",
}


def _number(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_value(value: float | None, value_format: str, *, decimals: int = 1) -> str:
    """A value in its unit: rate 0.995 → "99.5%", minutes → "42 min", hours → "3.5 h"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if value_format == "rate":
        return f"{_number(value * 100, decimals)}%"
    if value_format == "minutes":
        return f"{_number(value, decimals)} min"
    if value_format == "hours":
        return f"{_number(value, decimals)} h"
    return _number(value, decimals if value != round(value) else 0)


def _value_and_threshold(message: AlertMessage) -> tuple[str, str]:
    # Add decimals until a value that breaks the threshold no longer looks equal to it
    # (0.9949 vs 0.995 would both read "99.5%").
    for decimals in (1, 2, 3, 4):
        value = format_value(message.value, message.value_format, decimals=decimals)
        threshold = format_value(message.threshold, message.value_format, decimals=decimals)
        if value != threshold or message.value == message.threshold:
            break
    return value, threshold


def format_duration(delta: timedelta) -> str:
    """A duration for people: "45 min", "3 h 12 min", "2 d 5 h"; under a minute: "<1 min"."""
    minutes = int(max(delta, timedelta(0)).total_seconds() // 60)
    if minutes < 1:
        return "<1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _segment_words(segment: Mapping[str, str]) -> str:
    """Raw (unescaped) "region EMEA, tier hot"; "all leads" for an empty segment."""
    if not segment:
        return "all leads"
    return ", ".join(f"{key} {value or '(none)'}" for key, value in segment.items())


def _rule_code(rule: str) -> str:
    return f"`{mrkdwn_value(rule.replace('`', ''), 100)}`"


# --------------------------------------------------------------------------------------------
# Blocks


def _mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    # verbatim: no auto-linking of bare URLs or channel names in text that carries Salesforce data.
    return {"type": "mrkdwn", "text": fit_mrkdwn(text, limit) or "—", "verbatim": True}


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": plain_text(text, MAX_HEADER_TEXT) or "Alert"},
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _lines_within(head: str, lines: Sequence[str], limit: int, more: Callable[[int], str]) -> str:
    """`head` plus as many `lines` as fit within `limit`, then the line `more(n_left)` if any left.

    Whole lines only, so no link or entity is ever cut.
    """
    kept: list[str] = [head]
    used = text_length(head)
    for index, line in enumerate(lines):
        tail = more(len(lines) - index - 1)
        reserve = text_length(tail) + 1 if tail else 0
        if used + 1 + text_length(line) + reserve > limit:
            tail = more(len(lines) - index)
            if tail:
                kept.append(tail)
            break
        kept.append(line)
        used += 1 + text_length(line)
    else:
        tail = more(0)
        if tail:
            kept.append(tail)
    return "\n".join(kept)


def _reasons_block(reasons: Sequence[tuple[str, int]]) -> dict[str, Any]:
    ordered = sorted(reasons, key=lambda pair: (-pair[1], pair[0]))
    lines = [
        f"• {mrkdwn_value(reason, _REASON_BUDGET) or '_(no reason recorded)_'} — {count:,}"
        for reason, count in ordered
    ]

    def more(left: int) -> str:
        if not left:
            return ""
        leads = sum(count for _, count in ordered[len(ordered) - left :])
        return f"_…and {left:,} more reasons ({leads:,} leads)_"

    return _section(_lines_within("*Failure reasons*", lines, MAX_SECTION_TEXT, more))


def _records_block(records: Sequence[RecordLink], total: int, instance_url: str) -> dict[str, Any]:
    lines: list[str] = []
    for record in records:
        if len(lines) == MAX_RECORD_LINKS:
            break
        url = record_url(instance_url, record.lead_id)
        if url is None:
            continue  # an Id that is not a Salesforce Id never goes into a URL
        label = link_label(record.label, _LABEL_BUDGET) or record.lead_id
        lines.append(f"• {_link(url, label)}")
    total = max(total, len(records))

    def more(left_in_lines: int) -> str:
        hidden = total - (len(lines) - left_in_lines)
        return f"+{hidden:,} more" if hidden > 0 else ""

    head = f"*Example leads* ({total:,} in all)" if total else "*Example leads*"
    return _section(_lines_within(head, lines, MAX_SECTION_TEXT, more))


def _context(message: AlertMessage) -> dict[str, Any]:
    url = filtered_dashboard_url(message.dashboard_url, message.segment)
    parts = [_link(url, "Open in Routing Health")] if url else []
    parts.append(f"as of {format_time(message.as_of)}")
    return {"type": "context", "elements": [_mrkdwn(" · ".join(parts))]}


def _field(title: str, value: str) -> dict[str, Any]:
    return _mrkdwn(f"*{title}*\n{fit_mrkdwn(value, _FIELD_BUDGET)}", MAX_FIELD_TEXT)


def _firing_blocks(message: AlertMessage, instance_url: str) -> list[dict[str, Any]]:
    segment = _segment_words(message.segment)
    prefix = "🔴 Still firing: " if message.kind == "reminder" else "🔴 "
    value, threshold = _value_and_threshold(message)
    comparison = mrkdwn_value(message.comparison, 10)
    since = f"{format_time(message.first_seen)} ({format_duration(message.duration)})"
    fields = [
        _field("Value", value),
        _field("Threshold", f"alert when {comparison} {threshold}" if comparison else threshold),
        _field("Segment", mrkdwn_value(segment, _FIELD_BUDGET)),
        _field("Window", mrkdwn_value(message.window or "—", _FIELD_BUDGET)),
        _field("Rule", _rule_code(message.rule)),
        _field("Firing since", since),
    ]
    blocks = [
        _header(f"{prefix}{message.title} ({segment})"),
        {"type": "section", "fields": fields[:MAX_SECTION_FIELDS]},
    ]
    if message.failure_reasons:
        blocks.append(_reasons_block(message.failure_reasons))
    if message.records or message.total_records:
        blocks.append(_records_block(message.records, message.total_records, instance_url))
    blocks.append(_context(message))
    return blocks[:MAX_BLOCKS]


def _resolved_blocks(message: AlertMessage) -> list[dict[str, Any]]:
    segment = _segment_words(message.segment)
    lines = [
        f"*{mrkdwn_value(message.title, 300)}* is back to normal for "
        f"{mrkdwn_value(segment, 500)}.",
        f"Rule {_rule_code(message.rule)} fired at {format_time(message.first_seen)} and lasted "
        f"{format_duration(message.duration)} (resolved {format_time(message.as_of)}).",
    ]
    if message.value is not None:
        value, threshold = _value_and_threshold(message)
        lines.append(f"Now: {value} (threshold {threshold}).")
    return [
        _header(f"✅ Resolved: {message.title} ({segment})"),
        _section("\n".join(lines)),
        _context(message),
    ]


def _fallback(message: AlertMessage) -> str:
    segment = _segment_words(message.segment)
    if message.kind == "resolved":
        raw = (
            f"Resolved: {message.title} [{message.rule}] for {segment}, after "
            f"{format_duration(message.duration)} (fired {format_time(message.first_seen)})."
        )
    else:
        value, threshold = _value_and_threshold(message)
        words = _COMPARISON_WORDS.get(message.comparison.strip(), "against")
        prefix = "Still firing" if message.kind == "reminder" else "Routing alert"
        numbers = f"{value}, {words} the threshold of {threshold}"
        if message.threshold is None:
            numbers = value
        window = f", over {message.window}" if message.window else ""
        raw = f"{prefix}: {message.title} [{message.rule}] for {segment}: {numbers}{window}."
    # The notification text IS parsed as mrkdwn: escape it like any block text.
    return fit_mrkdwn(escape_mrkdwn(plain_text(raw)), MAX_FALLBACK_TEXT)


def build_payload(message: AlertMessage, *, instance_url: str) -> dict[str, Any]:
    """The chat.postMessage / chat.update arguments (minus `channel`) for one alert message.

    `instance_url` is the Salesforce instance (e.g. "https://acme.my.salesforce.com") for record
    links. Pure: no I/O, no settings. The result always satisfies Slack's limits: at most 50 blocks,
    headers ≤ 150, sections ≤ 3000 (fields ≤ 2000), fallback text ≤ 4000 characters.
    """
    if message.kind == "resolved":
        blocks = _resolved_blocks(message)
    else:
        blocks = _firing_blocks(message, instance_url)
    return {
        "text": _fallback(message),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


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

    def post_in_thread(self, thread_ts: str, payload: Mapping[str, Any]) -> str:
        """A reply in the thread of the message `thread_ts`; returns the reply's `ts`."""
        data = self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            channel=self.channel,
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
