"""Alert groups by e-mail (spec section 6): the due alert rows of one address and one group
become **one** e-mail — what changed (new, resolved, still firing) and the group's firing
incidents now, worst first, as text and HTML. A route's ``email`` addresses get the same groups
as its Slack channel; an e-mail has no thread or edit, so each delivery that carries a change
of a group sends that group one message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from routing_health.alerts.group_blocks import group_words, ranked
from routing_health.alerts.grouping import (
    Policy,
    alerts_page_url,
    incident_item,
    labels_of,
)
from routing_health.alerts.slack_blocks import value_text
from routing_health.lib.format import format_count, format_time
from routing_health.lib.mrkdwn import record_url
from routing_health.models import AlertIncident, Notification

SUBJECT_PREFIX = "[Routing Health]"
MAX_LEADS = 5


def group_email(
    notes: Sequence[Notification], *, now: datetime, policy: Policy, instance_url: str,
    members: Sequence[AlertIncident],
) -> dict[str, str]:
    """``{"subject", "text", "html"}`` for the rows ``notes`` of one group and address;
    ``members``: the group's incidents that page now (``grouping.firing_by_group``)."""
    incidents = {n.incident_id: n.incident for n in notes if n.incident is not None}
    first = next(iter(incidents.values()))
    labels = labels_of(first, policy.group_by)
    where = group_words(labels)
    items = ranked([incident_item(m, now, policy) for m in members])
    changes = []
    for note in notes:
        title = str((note.incident.details or {}).get("title") or note.incident.rule)
        segment = " · ".join(p for p in (note.incident.region, note.incident.tier) if p)
        word = {"firing": "New", "resolved": "Resolved", "reminder": "Still firing"}[note.kind]
        changes.append(f"{word}: {title} ({segment or 'all leads'})")
    if items:
        subject = f"{SUBJECT_PREFIX} {where}: {format_count(len(items))} alert" + (
            "s firing" if len(items) != 1 else " firing")
    else:
        subject = f"{SUBJECT_PREFIX} Resolved: {where}"
    lines, html = [*changes, ""], [f"<ul>{''.join(f'<li>{escape(c)}</li>' for c in changes)}</ul>"]
    if items:
        lines.append(f"Firing now in {where}, worst first:")
        html.append(f"<h2>Firing now in {escape(where)}, worst first</h2><ol>")
    for item in items:
        m = item.message
        value = value_text(m.value, m.value_format)
        threshold = value_text(m.threshold, m.value_format)
        segment = ", ".join(f"{k} {v}" for k, v in m.segment.items()) or "all leads"
        since = format_time(m.first_seen, policy.timezone)
        head = f"{m.title} — {segment} ({item.severity})"
        detail = f"{m.value_label}: {value} ({m.comparison} {threshold}); {m.window}; since {since}"
        leads = [(record_url(instance_url, r.lead_id), r.label) for r in m.records[:MAX_LEADS]]
        leads = [(url, label) for url, label in leads if url]
        lines += [f"- {head}", *([f"  {m.summary}"] if m.summary else []), f"  {detail}"]
        if m.summary:
            detail = f"{m.summary}\n{detail}"
        lines += [f"  {label}: {url}" for url, label in leads]
        html.append(
            f"<li><strong>{escape(head)}</strong><br>{escape(detail).replace(chr(10), '<br>')}"
            + "".join(f'<br><a href="{escape(url)}">{escape(label)}</a>' for url, label in leads)
            + "</li>"
        )
    if items:
        html.append("</ol>")
    page = alerts_page_url()
    lines += ["", f"Open Routing Health: {page}"]
    html.append(f'<p><a href="{escape(page)}">Open Routing Health</a></p>')
    return {"subject": subject[:200], "text": "\n".join(lines), "html": "\n".join(html)}
