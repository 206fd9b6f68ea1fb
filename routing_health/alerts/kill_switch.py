"""``kill_switch`` (spec section 10, issue 16): the routing kill switch has been ON for longer
than ``[change_safety.kill_switch] limit_hours`` (default 2 h).

While the switch is on, the routing flow sends every lead to triage on purpose; those leads are
the outcome ``triaged``, not routing failures, so no routing rule pages about them. What must
not happen is that the switch is forgotten: past the limit one incident opens (not per segment,
fingerprint ``kill_switch``), it is reminded like any incident, and it resolves once the switch
reads OFF (after ``resolve_minutes``, like every rule). Pure: the state in, a finding out.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from routing_health.alerts.evaluate import Finding, fingerprint
from routing_health.alerts.rules import effective_rule
from routing_health.config import RoutingConfig
from routing_health.facts.kill_switch import SwitchState
from routing_health.lib.format import format_hours, format_time

RULE = "kill_switch"
FINGERPRINT = fingerprint(RULE)


def summary(state: SwitchState, hours: float, limit: float, timezone: str) -> str:
    """"Routing kill switch ON since Tue 14:02 by Ada Admin (3.5 h, limit 2 h): …"."""
    since = format_time(state.since, timezone)
    by = f" by {state.changed_by}" if state.changed_by else ""
    return (f"Routing kill switch ON since {since}{by} ({format_hours(hours)}, limit "
            f"{format_hours(limit)}): every lead goes to triage instead of a rep. Turn it off "
            f"({state.sobject}.{state.field}) once routing is fixed, or raise limit_hours if "
            "this is planned.")


def kill_switch_findings(state: SwitchState, config: RoutingConfig, as_of: datetime
                         ) -> tuple[list[Finding], dict[str, float | None]]:
    """The finding while the switch has been on past the limit at ``as_of``, and the value."""
    switch = config.change_safety.kill_switch
    rule = effective_rule(config, RULE)
    if switch is None or not rule.enabled or not state.configured:
        return [], {}
    hours = state.on_for_hours(as_of)
    values: dict[str, float | None] = {FINGERPRINT: hours if hours is not None else 0.0}
    if hours is None or hours <= switch.limit_hours:  # "longer than" is strictly greater
        return [], values
    return [Finding(
        fingerprint=FINGERPRINT, rule=RULE, segment=MappingProxyType({}), failure_reason=None,
        value=hours, threshold=switch.limit_hours, comparison=">",
        window=f"on since {format_time(state.since, config.report.timezone)}", sample=1,
        severity=rule.severity, for_minutes=0.0,
        summary=summary(state, hours, switch.limit_hours, config.report.timezone),
    )], values
