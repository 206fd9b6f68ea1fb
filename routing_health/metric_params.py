"""The metric engine's parameters, built from the routing configuration."""

from __future__ import annotations

from types import MappingProxyType

from routing_health.config import DEFAULT_TIER_SLA, RoutingConfig
from routing_health.metrics import MetricParams


def params_from_config(config: RoutingConfig) -> MetricParams:
    windows = config.windows
    sla = {
        tier: (float(s.assign_minutes), float(s.touch_minutes))
        for tier, s in config.tiers.sla.items()
    }
    default = config.tiers.sla.get(config.tiers.default, DEFAULT_TIER_SLA)
    return MetricParams(
        holding=frozenset(config.owners.holding),
        fallback=frozenset(config.owners.fallback),
        accepted_statuses=frozenset(config.statuses.accepted),
        rejected_statuses=frozenset(config.statuses.rejected),
        closed_statuses=frozenset(config.statuses.closed),
        routing_grace_minutes=float(windows.routing_grace_minutes),
        bounce_hours=float(windows.bounce_hours),
        accept_hours=float(windows.accept_hours),
        queue_age_limit_hours=float(windows.queue_age_limit_hours),
        tier_sla=MappingProxyType(sla),
        default_tier_sla=(float(default.assign_minutes), float(default.touch_minutes)),
        report_timezone=config.report.timezone,
    )
