"""What a notification says: an incident (and its latest finding) → ``AlertMessage`` → payload.

The payload is rendered when the notification is created and stored with it, so a retry sends
exactly what was decided at the state change. Record links need the Salesforce instance URL
(``SALESFORCE_INSTANCE_URL``, else the My Domain of ``SALESFORCE_DOMAIN``); the dashboard link
is ``PUBLIC_URL`` + the rule's page, filtered to the segment. No secret is ever part of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from routing_health.alerts.buttons import actions_block
from routing_health.alerts.evaluate import Finding
from routing_health.alerts.message import AlertKind, AlertMessage, RecordLink
from routing_health.alerts.rules import rule_spec
from routing_health.alerts.slack_blocks import build_payload
from routing_health.lib.mrkdwn import MAX_BLOCKS, MAX_RECORD_LINKS

DETAIL_LEADS = 200  # lead Ids kept on the incident for the dashboard (the count is kept too)
DETAIL_REASONS = 50
FAILURE_RULES = frozenset({"assignment_success", "routing_failures", "volume_anomaly",
                           "sync_stale", "flow_regression"})


def incident_title(rule: str, failure_reason: str | None, reasons: tuple = ()) -> str:
    """The human headline of an incident."""
    spec = rule_spec(rule)
    if rule in ("routing_failures", "flow_regression") and failure_reason:
        return f"{spec.title}: {failure_reason}"
    if rule == "sync_stale" and reasons:
        objects = ", ".join(
            r.removeprefix("last ").removesuffix(" sync failed") for r, _ in reasons
        )
        return f"{spec.title} (last run failed: {objects})"
    return spec.title


def finding_details(finding: Finding) -> dict[str, Any]:
    """The JSON kept on the incident about its latest finding (for messages and the dashboard)."""
    return {
        "title": incident_title(finding.rule, finding.failure_reason, finding.reasons),
        "window": finding.window,
        "window_hours": finding.window_hours,
        "total_leads": len(finding.lead_ids),
        "lead_ids": list(finding.lead_ids[:DETAIL_LEADS]),
        "labels": list(finding.labels[:DETAIL_LEADS]),
        "reasons": [[reason, count] for reason, count in finding.reasons[:DETAIL_REASONS]],
        **({"summary": finding.summary} if finding.summary else {}),
    }


def salesforce_instance_url() -> str:
    """Base URL for record links; "" (no links) when it cannot be known."""
    sf: Mapping[str, Any] = getattr(settings, "SALESFORCE", {}) or {}
    if sf.get("instance_url"):
        return str(sf["instance_url"])
    domain = str(sf.get("domain") or "login")
    if domain not in {"login", "test"} and "." not in domain and "/" not in domain:
        return f"https://{domain}.my.salesforce.com"
    return ""


def dashboard_url(rule: str, failure_reason: str | None) -> str:
    base = (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    url = base + rule_spec(rule).dashboard_path
    if rule == "routing_failures" and failure_reason:
        url += "?" + urlencode({"failure_reason": failure_reason})
    return url


def alert_message(
    kind: AlertKind,
    *,
    rule: str,
    region: str,
    tier: str,
    failure_reason: str | None,
    details: Mapping[str, Any],
    value: float | None,
    threshold: float | None,
    comparison: str,
    first_seen: datetime,
    as_of: datetime,
    timezone: str,
) -> AlertMessage:
    """The message for one notification about an incident whose latest finding is ``details``;
    its times read in ``timezone`` (the report timezone of the routing configuration)."""
    spec = rule_spec(rule)
    reasons = tuple((str(r), int(n)) for r, n in details.get("reasons", ()))
    ids = details.get("lead_ids", ())[:MAX_RECORD_LINKS]
    labels = details.get("labels", ())[:MAX_RECORD_LINKS]
    segment = {"region": region, "tier": tier} if spec.per_segment else {}
    return AlertMessage(
        kind=kind,
        rule=rule,
        title=str(details.get("title") or incident_title(rule, failure_reason)),
        segment=segment,
        first_seen=first_seen,
        as_of=as_of,
        value=value,
        threshold=threshold,
        comparison=comparison,
        window=str(details.get("window") or ""),
        value_format=spec.value_format,
        failure_reasons=reasons if rule in FAILURE_RULES else (),
        records=tuple(
            RecordLink(str(i), str(label)) for i, label in zip(ids, labels, strict=False)
        ),
        total_records=int(details.get("total_leads") or 0),
        dashboard_url=dashboard_url(rule, failure_reason),
        value_label=spec.value_label,
        timezone=timezone,
        consequences=tuple(str(c) for c in details.get("consequences", ())),
        summary=str(details.get("summary") or ""),
    )


def interactive() -> bool:
    """Whether alert messages carry buttons: only when Slack's requests can be verified."""
    return bool(getattr(settings, "SLACK_SIGNING_SECRET", None))


def render(
    message: AlertMessage, *, buttons_for: Sequence[tuple[int, int]] = ()
) -> dict[str, Any]:
    """The Slack payload (chat.postMessage arguments minus channel) of a message.

    ``buttons_for``: the (incident id, episode) pairs the Acknowledge / Snooze buttons act on;
    the buttons are added only when ``SLACK_SIGNING_SECRET`` is set (spec 2.1: "unset: no
    buttons"), last, within Slack's 50 blocks.
    """
    payload = build_payload(message, instance_url=salesforce_instance_url())
    if buttons_for and interactive():
        blocks = list(payload["blocks"])[: MAX_BLOCKS - 1]
        payload["blocks"] = [*blocks, actions_block(buttons_for)]
    return payload
