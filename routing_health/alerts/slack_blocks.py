"""Block Kit payloads for alerts (pure): `build_payload()` turns an `AlertMessage` into a dict.

No I/O, no Django; the transport (`routing_health.slack.transport`) sends what this builds.
Payloads stay within Slack's limits whatever the data (`routing_health.lib.mrkdwn`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from routing_health.alerts.message import AlertMessage, RecordLink
from routing_health.lib.format import (
    NO_DATA,
    format_count,
    format_duration,
    format_time,
    is_no_data,
)
from routing_health.lib.format import format_value as format_value_of
from routing_health.lib.mrkdwn import (
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_HEADER_TEXT,
    MAX_RECORD_LINKS,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    _link,
    escape_mrkdwn,
    filtered_dashboard_url,
    fit_mrkdwn,
    link_label,
    mrkdwn_value,
    plain_text,
    record_url,
    text_length,
)

# Our own budgets, so the whole message stays far below the undocumented total-size limit
# (Slack answers `msg_blocks_too_long` somewhere above ~12,000 characters of block text).
_FIELD_BUDGET = 400
_REASON_BUDGET = 200
_LABEL_BUDGET = 100
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


def value_text(value: float | None, unit: str) -> str:
    """A value or threshold in its unit by the one formatter (``lib.format``). A ``count``
    threshold that is not a whole number (``volume_anomaly``'s bound, mean + k × stdev) is not a
    count: it keeps one decimal, so "8 > 7.3" does not read "8 > 8"."""
    if unit == "count" and not is_no_data(value) and value is not None and value != round(value):
        return f"{value:,.1f}"
    return format_value_of(value, unit)


def _value_and_threshold(message: AlertMessage) -> tuple[str, str]:
    # The one rule shows rates within a point of 100 % with two decimals, so a value that breaks
    # the threshold does not read equal to it (0.9949 vs 0.995: "99.49%" vs "99.50%").
    return (value_text(message.value, message.value_format),
            value_text(message.threshold, message.value_format))


def _time(moment: datetime, message: AlertMessage) -> str:
    """An instant in the message's report timezone: "2026-03-29 03:30 CEST"."""
    return format_time(moment, message.timezone)


def _segment_words(segment: Mapping[str, str]) -> str:
    """Raw (unescaped) "region EMEA, tier hot"; "all leads" for an empty segment."""
    if not segment:
        return "all leads"
    return ", ".join(f"{key} {value or '(none)'}" for key, value in segment.items())


def _rule_code(rule: str) -> str:
    return f"`{mrkdwn_value(rule.replace('`', ''), 100)}`"


def _mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    # verbatim: no auto-linking of bare URLs or channel names in text that carries Salesforce data.
    return {"type": "mrkdwn", "text": fit_mrkdwn(text, limit) or NO_DATA, "verbatim": True}


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
        f"• {mrkdwn_value(reason, _REASON_BUDGET) or '_(no reason recorded)_'} — "
        f"{format_count(count)}"
        for reason, count in ordered
    ]

    def more(left: int) -> str:
        if not left:
            return ""
        leads = sum(count for _, count in ordered[len(ordered) - left :])
        return f"_…and {format_count(left)} more reasons ({format_count(leads)} leads)_"

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
        return f"+{format_count(hidden)} more" if hidden > 0 else ""

    head = f"*Example leads* ({format_count(total)} in all)" if total else "*Example leads*"
    return _section(_lines_within(head, lines, MAX_SECTION_TEXT, more))


def _context(message: AlertMessage) -> dict[str, Any]:
    url = filtered_dashboard_url(message.dashboard_url, message.segment)
    parts = [_link(url, "Open in Routing Health")] if url else []
    parts.append(f"as of {_time(message.as_of, message)}")
    return {"type": "context", "elements": [_mrkdwn(" · ".join(parts))]}


def _field(title: str, value: str) -> dict[str, Any]:
    return _mrkdwn(f"*{title}*\n{fit_mrkdwn(value, _FIELD_BUDGET)}", MAX_FIELD_TEXT)


def _firing_blocks(message: AlertMessage, instance_url: str) -> list[dict[str, Any]]:
    segment = _segment_words(message.segment)
    prefix = "🔴 Still firing: " if message.kind == "reminder" else "🔴 "
    value, threshold = _value_and_threshold(message)
    comparison = mrkdwn_value(message.comparison, 10)
    since = f"{_time(message.first_seen, message)} ({format_duration(message.duration)})"
    fields = [
        _field(mrkdwn_value(message.value_label, _LABEL_BUDGET) or "Value", value),
        _field("Threshold", f"alert when {comparison} {threshold}" if comparison else threshold)
        if message.rule != "flow_regression" else _field("Same hours, weeks before", threshold),
        _field("Segment", mrkdwn_value(segment, _FIELD_BUDGET)),
        _field("Window", mrkdwn_value(message.window or NO_DATA, _FIELD_BUDGET)),
        _field("Rule", _rule_code(message.rule)),
        _field("Firing since", since),
    ]
    blocks = [
        _header(f"{prefix}{message.title} ({segment})"),
        {"type": "section", "fields": fields[:MAX_SECTION_FIELDS]},
    ]
    if message.summary:
        blocks.insert(1, _section(mrkdwn_value(message.summary, 2000)))
    if message.failure_reasons:
        blocks.append(_reasons_block(message.failure_reasons))
    if message.records or message.total_records:
        blocks.append(_records_block(message.records, message.total_records, instance_url))
    if message.consequences:
        blocks.append(_consequences_block(message.consequences))
    blocks.append(_context(message))
    return blocks[:MAX_BLOCKS]


MAX_CONSEQUENCES = 5


def _consequences_block(consequences: tuple[str, ...]) -> dict[str, Any]:
    """The incidents this one causes, shown here instead of paging on their own."""
    shown = [f"• {mrkdwn_value(c, 300)}" for c in consequences[:MAX_CONSEQUENCES]]
    more = len(consequences) - len(shown)
    if more > 0:
        shown.append(f"… and {more} more")
    return _section("*Also affected* (caused by this; not paged on their own)\n" + "\n".join(shown))


def _resolved_blocks(message: AlertMessage) -> list[dict[str, Any]]:
    segment = _segment_words(message.segment)
    lines = [
        f"*{mrkdwn_value(message.title, 300)}* is back to normal for "
        f"{mrkdwn_value(segment, 500)}.",
        f"Rule {_rule_code(message.rule)} fired at {_time(message.first_seen, message)} and "
        f"lasted {format_duration(message.duration)} (resolved {_time(message.as_of, message)}).",
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
            f"{format_duration(message.duration)} (fired {_time(message.first_seen, message)})."
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
        if message.summary:
            raw = f"{prefix}: {message.summary}"
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
