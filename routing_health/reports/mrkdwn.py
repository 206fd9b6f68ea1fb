"""Small Block Kit helpers shared by the weekly summary and the daily digest.

Every Salesforce value goes through ``value()`` (one clean line, escaped for mrkdwn, cut without
breaking an entity); links only to plain http(s) URLs that ``lib.mrkdwn.filtered_dashboard_url``
accepts, so nothing from the data can become a link or a mention.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routing_health.lib.mrkdwn import (
    MAX_FALLBACK_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    escape_mrkdwn,
    filtered_dashboard_url,
    fit_mrkdwn,
    link_label,
    mrkdwn_value,
    plain_text,
    text_length,
)

# Slack rejects a message whose blocks carry roughly 12,000+ characters of text
# (`msg_blocks_too_long`, undocumented); stay well below it.
BLOCKS_TEXT_BUDGET = 10_000

STATUS_MARKS = {"met": "✓ on target", "missed": "✗ off target", "n/a": ""}


# A Salesforce value as one escaped mrkdwn line of at most ``limit`` characters.
value = mrkdwn_value


def link(url: str, label: str, query: Mapping[str, str] | None = None) -> str:
    """``<url|label>`` (``label`` must be our own text), or the label alone for a bad URL."""
    safe = filtered_dashboard_url(url, dict(query or {}))
    clean = link_label(label, MAX_SECTION_TEXT)
    return f"<{escape_mrkdwn(safe)}|{clean}>" if safe else clean


def header(text: str) -> dict[str, Any]:
    title = plain_text(text, MAX_HEADER_TEXT)
    return {"type": "header", "text": {"type": "plain_text", "text": title}}


def section(text: str) -> dict[str, Any]:
    body = fit_mrkdwn(text, MAX_SECTION_TEXT)
    return {"type": "section", "text": {"type": "mrkdwn", "text": body}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [
        {"type": "mrkdwn", "text": fit_mrkdwn(text, MAX_SECTION_TEXT)}
    ]}


def fallback(text: str) -> str:
    return fit_mrkdwn(text, MAX_FALLBACK_TEXT)


def blocks_text_length(value: Any) -> int:
    """Characters of text in blocks, counted the way Slack's total-size limit counts them."""
    if isinstance(value, Mapping):
        return sum(
            text_length(item) if key == "text" and isinstance(item, str)
            else blocks_text_length(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return sum(blocks_text_length(item) for item in value)
    return 0
