"""Which version of each watched routing flow (``[change_safety] flows``) was active when a lead
was routed (issue 16 item 1): the latest stored activation at or before that instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing_health.config import RoutingConfig
from routing_health.models import FlowVersionChange


@dataclass(frozen=True)
class ActiveVersion:
    flow: str
    version: str  # "v13", "the version activated …" is said by the template; "" when unknown
    activated_at: datetime | None  # None: no activation stored before then
    active: bool = True  # False: the latest change before then deactivated the flow


def active_versions(config: RoutingConfig | None, at: datetime) -> list[ActiveVersion]:
    """For each watched flow, the version active at ``at`` (one query per flow: a handful)."""
    if config is None:
        return []
    found = []
    for flow in config.change_safety.flows:
        change = (FlowVersionChange.objects.filter(flow_api_name=flow, changed_at__lte=at)
                  .order_by("-changed_at", "-id").first())
        if change is None:
            found.append(ActiveVersion(flow, "", None))
            continue
        number = change.new_version_number
        found.append(ActiveVersion(flow, f"v{number}" if number is not None else "",
                                   change.changed_at, bool(change.new_active_version_id)))
    return found
