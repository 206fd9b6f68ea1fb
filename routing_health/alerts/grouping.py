"""Which group an incident belongs to, and the grouping policy (spec section 6): the
``[alerts]`` settings as durations, an incident's group labels and key, and its message as a
group lists it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from routing_health.alerts.group_blocks import GroupItem
from routing_health.alerts.message import AlertMessage
from routing_health.alerts.notices import alert_message
from routing_health.config import ConfigError, RoutingConfig
from routing_health.config.model import AlertsConfig
from routing_health.models import AlertIncident
from routing_health.salesforce import runtime


@dataclass(frozen=True)
class Policy:
    """``[alerts]``'s grouping settings, as durations, and the report timezone."""

    group_by: tuple[str, ...] = ("region",)
    group_wait: timedelta = timedelta(seconds=60)
    group_interval: timedelta = timedelta(minutes=5)
    repeat_interval: timedelta = timedelta(hours=4)
    max_new_groups: int = 5
    timezone: str = "UTC"

    @classmethod
    def of(cls, config: RoutingConfig) -> Policy:
        alerts: AlertsConfig = config.alerts
        return cls(
            group_by=alerts.group_by,
            group_wait=timedelta(seconds=alerts.group_wait_seconds),
            group_interval=timedelta(minutes=alerts.group_interval_minutes),
            repeat_interval=timedelta(hours=alerts.repeat_interval_hours),
            max_new_groups=alerts.max_new_groups,
            timezone=config.report.timezone,
        )


def configured_policy() -> Policy:
    """This process's policy (the defaults when the routing file cannot be loaded: delivery
    must go on)."""
    try:
        return Policy.of(runtime.routing_config())
    except ConfigError:
        return Policy()


def labels_of(incident: AlertIncident, group_by: Sequence[str]) -> dict[str, str]:
    values = {"region": incident.region, "tier": incident.tier, "rule": incident.rule,
              "severity": incident.severity}
    return {name: values[name] for name in group_by}


def key_of(labels: Mapping[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in labels.items())


def firing_by_group(policy: Policy) -> dict[str, list[AlertIncident]]:
    """The incidents that page now (firing, not inhibited, not ``info``) by group key, oldest
    first: read once per delivery run."""
    firing = AlertIncident.objects.filter(
        state=AlertIncident.State.FIRING, inhibited_by=""
    ).exclude(severity="info").order_by("first_seen", "id")
    members: dict[str, list[AlertIncident]] = {}
    for incident in firing:
        members.setdefault(key_of(labels_of(incident, policy.group_by)), []).append(incident)
    return members


def incident_message(incident: AlertIncident, now: datetime, policy: Policy) -> AlertMessage:
    return alert_message(
        "firing", rule=incident.rule, region=incident.region, tier=incident.tier,
        failure_reason=incident.failure_reason or None, details=incident.details,
        value=incident.current_value, threshold=incident.threshold,
        comparison=incident.comparison, first_seen=incident.first_seen,
        as_of=incident.last_seen or now, timezone=policy.timezone,
    )


def incident_item(incident: AlertIncident, now: datetime, policy: Policy) -> GroupItem:
    leads = int((incident.details or {}).get("total_leads") or 0)
    return GroupItem(incident_message(incident, now, policy), incident.severity, leads)


def alerts_page_url() -> str:
    return (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/") + "/alerts"
