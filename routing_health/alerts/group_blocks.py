"""Block Kit for grouped alert notifications (spec section 6), pure like ``slack_blocks``.

A group message lists its firing incidents ranked by severity, then leads affected: one section
each (at most ``MAX_GROUP_INCIDENTS``, then "+N more" with a dashboard link) with the rule,
segment, value vs threshold, window, failure reasons, up to five example leads and the
consequences shown under it; a header naming the group, and a fallback ``text`` naming the
group, the number of firing incidents and the worst. A storm summary lists whole groups. Every
value from Salesforce is escaped for mrkdwn; every payload stays within Slack's limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from routing_health.alerts.message import AlertMessage
from routing_health.alerts.slack_blocks import (
    _header,
    _link,
    _mrkdwn,
    _section,
    _segment_words,
    _time,
    _value_and_threshold,
)
from routing_health.config.model import SEVERITIES
from routing_health.lib.format import format_count, format_duration
from routing_health.lib.mrkdwn import (
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    escape_mrkdwn,
    filtered_dashboard_url,
    fit_mrkdwn,
    link_label,
    mrkdwn_value,
    plain_text,
    record_url,
)

MAX_GROUP_INCIDENTS = 10
GROUP_RECORD_LINKS = 5  # spec section 6: up to five example records per incident
MAX_STORM_LINES = 40
SEVERITY_MARK = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
_COMPARISON = {"<": "<", ">": ">", ">=": "≥", "<=": "≤"}


@dataclass(frozen=True)
class GroupItem:
    """One incident of a group: its message (kind firing) and how it ranks."""

    message: AlertMessage
    severity: str
    leads: int


def ranked(items: Sequence[GroupItem]) -> list[GroupItem]:
    """Severity first (critical, warning, info), then leads affected, most first."""
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    return sorted(items, key=lambda i: (rank.get(i.severity, len(rank)), -i.leads,
                                        i.message.title))


def group_words(labels: Mapping[str, str]) -> str:
    """Raw "EMEA" / "EMEA · hot" / "all alerts" for a group's label values."""
    values = [v or "(none)" for v in labels.values()]
    return " · ".join(values) if values else "all alerts"


def _incident_section(item: GroupItem, instance_url: str) -> dict[str, Any]:
    m = item.message
    value, threshold = _value_and_threshold(m)
    comparison = _COMPARISON.get(m.comparison.strip(), m.comparison.strip())
    numbers = f"*{value}*" + (f" {comparison} {threshold}" if m.threshold is not None else "")
    lines = [
        f"{SEVERITY_MARK.get(item.severity, '')} *{mrkdwn_value(m.title, 300)}* — "
        f"{mrkdwn_value(_segment_words(m.segment), 200)}",
        f"{mrkdwn_value(m.value_label, 100)}: {numbers}"
        + (f" · {mrkdwn_value(m.window, 200)}" if m.window else "")
        + f" · since {_time(m.first_seen, m)} ({format_duration(m.duration)})",
    ]
    if m.summary:
        lines.insert(1, mrkdwn_value(m.summary, 1000))
    if m.failure_reasons:
        reasons = ", ".join(f"{mrkdwn_value(r, 150)} ({format_count(n)})"
                            for r, n in m.failure_reasons[:3])
        lines.append(f"Failure reasons: {reasons}")
    links = []
    for record in m.records[:GROUP_RECORD_LINKS]:
        url = record_url(instance_url, record.lead_id)
        if url is not None:
            links.append(_link(url, link_label(record.label, 80) or record.lead_id))
    if links:
        more = max(m.total_records - len(links), 0)
        tail = f" +{format_count(more)} more" if more else ""
        lines.append("Leads: " + ", ".join(links) + tail)
    if m.consequences:
        shown = "; ".join(mrkdwn_value(c, 200) for c in m.consequences[:3])
        lines.append(f"_Also affected (not paged on their own):_ {shown}")
    url = filtered_dashboard_url(m.dashboard_url, m.segment)
    if url:
        lines.append(_link(url, "Open in Routing Health"))
    return {"type": "section", "text": _mrkdwn("\n".join(lines), MAX_SECTION_TEXT)}


def group_payload(
    labels: Mapping[str, str],
    items: Sequence[GroupItem],
    *,
    instance_url: str,
    dashboard_url: str,
    resolved: bool = False,
    actions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The top-level message of a group: its current state (or "resolved" when none fire)."""
    where = group_words(labels)
    order = ranked(items)
    if resolved or not order:
        header = f"✅ Resolved: {where}"
        text = f"Resolved: every alert of {where} is back to normal."
        blocks: list[dict[str, Any]] = [_header(header), _section(escape_mrkdwn(text))]
        return _payload(text, blocks)
    worst = order[0]
    count = len(order)
    header = f"{SEVERITY_MARK.get(worst.severity, '')} {where}: {format_count(count)} alert" + (
        "s firing" if count != 1 else " firing")
    text = (f"Routing alert: {format_count(count)} firing in {where}; worst: {worst.message.title} "
            f"({_segment_words(worst.message.segment)})")
    blocks = [_header(header)]
    for item in order[:MAX_GROUP_INCIDENTS]:
        blocks.append(_incident_section(item, instance_url))
    hidden = count - min(count, MAX_GROUP_INCIDENTS)
    if hidden:
        link = filtered_dashboard_url(dashboard_url, labels) or dashboard_url
        more = f"+{format_count(hidden)} more"
        blocks.append(_section(_link(link, more) if link else more))
    as_of = max(i.message.as_of for i in order)
    blocks.append({"type": "context",
                   "elements": [_mrkdwn(f"as of {_time(as_of, worst.message)}")]})
    if actions is not None:
        blocks.append(actions)
    return _payload(text, blocks)


def change_reply(
    new: Sequence[AlertMessage], resolved: Sequence[AlertMessage], labels: Mapping[str, str]
) -> dict[str, Any]:
    """A thread reply batching what changed in a group since its last post."""
    lines = []
    for m in new:
        value, _ = _value_and_threshold(m)
        lines.append(f"🔴 New: *{mrkdwn_value(m.title, 300)}* — "
                     f"{mrkdwn_value(_segment_words(m.segment), 200)}: {value}")
    for m in resolved:
        lines.append(f"✅ Resolved: *{mrkdwn_value(m.title, 300)}* — "
                     f"{mrkdwn_value(_segment_words(m.segment), 200)}")
    where = group_words(labels)
    text = f"{where}: {format_count(len(new))} new, {format_count(len(resolved))} resolved"
    return _payload(text, [_section("\n".join(lines) or escape_mrkdwn(text))])


def reminder_reply(items: Sequence[GroupItem], labels: Mapping[str, str]) -> dict[str, Any]:
    """One thread reply per group per repeat interval: what is still firing."""
    order = ranked(items)
    lines = [f"• {mrkdwn_value(i.message.title, 300)} — "
             f"{mrkdwn_value(_segment_words(i.message.segment), 200)}"
             for i in order[:MAX_GROUP_INCIDENTS]]
    if len(order) > MAX_GROUP_INCIDENTS:
        lines.append(f"+{format_count(len(order) - MAX_GROUP_INCIDENTS)} more")
    where = group_words(labels)
    text = f"Still firing in {where}: {format_count(len(order))} alert" + (
        "s" if len(order) != 1 else "")
    head = f"*{escape_mrkdwn(text)}*"
    return _payload(text, [_section("\n".join([head, *lines]))])


def resolved_reply(labels: Mapping[str, str]) -> dict[str, Any]:
    text = f"All alerts of {group_words(labels)} are resolved."
    return _payload(text, [_section(f"✅ {escape_mrkdwn(text)}")])


def storm_payload(
    groups: Sequence[tuple[Mapping[str, str], Sequence[GroupItem]]],
    *,
    dashboard_url: str,
) -> dict[str, Any]:
    """One summary instead of many new group messages: each group (worst first) with its
    count, its worst alert and its dashboard link."""
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    rows = []
    for labels, items in groups:
        order = ranked(items)
        rows.append((rank.get(order[0].severity, 9), -sum(i.leads for i in order), labels, order))
    rows.sort(key=lambda r: (r[0], r[1], group_words(r[2])))
    firing = sum(len(r[3]) for r in rows)
    text = (f"Routing alert storm: {format_count(firing)} alerts in {format_count(len(rows))} "
            f"groups opened at once; the worst first. Changes follow in this thread.")
    lines = []
    for _, _, labels, order in rows[:MAX_STORM_LINES]:
        worst = order[0]
        link = filtered_dashboard_url(dashboard_url, labels)
        name = mrkdwn_value(group_words(labels), 150)
        lines.append(
            f"{SEVERITY_MARK.get(worst.severity, '')} *{_link(link, name) if link else name}*: "
            f"{format_count(len(order))} firing — worst {mrkdwn_value(worst.message.title, 200)}"
        )
    blocks: list[dict[str, Any]] = [
        _header(f"🔴 {format_count(len(rows))} alert groups opened at once"),
        _section(escape_mrkdwn(text)),
    ]
    chunk: list[str] = []
    for line in lines:  # sections of at most ~2,900 characters, whole lines only
        if chunk and len("\n".join([*chunk, line])) > MAX_SECTION_TEXT - 100:
            blocks.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    if len(rows) > MAX_STORM_LINES:
        more = f"+{format_count(len(rows) - MAX_STORM_LINES)} more groups"
        blocks.append(_section(_link(dashboard_url, more) if dashboard_url else more))
    return _payload(text, blocks[: MAX_BLOCKS])


def _payload(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "text": fit_mrkdwn(escape_mrkdwn(plain_text(text)), MAX_FALLBACK_TEXT),
        "blocks": blocks[:MAX_BLOCKS],
        "unfurl_links": False,
        "unfurl_media": False,
    }
