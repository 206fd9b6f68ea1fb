"""Where an incident's group goes (spec section 6): ``[[alerts.routes]]``, Alertmanager's
routing tree flattened to a list.

Routes are tried in file order; a route matches when each matcher it sets (``region``,
``tier``, ``rule``, ``severity``: one value or a list) contains the incident's value. The first
match wins unless it sets ``continue = true``, in which case the next matching routes are
tried too. No route matched: the default route, ``SLACK_CHANNEL`` (destination ``""``). A route
sends to its ``slack_channel`` (destination ``"slack:<channel>"``) and to each of its ``email``
addresses (``"email:<address>"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from routing_health.config.model import Route

DEFAULT = ""  # the default route: SLACK_CHANNEL
SLACK, EMAIL = "slack:", "email:"


def matches(route: Route, labels: Mapping[str, str]) -> bool:
    """Whether every matcher ``route`` sets contains the value of ``labels``."""
    for name, allowed in (("region", route.region), ("tier", route.tier),
                          ("rule", route.rule), ("severity", route.severity)):
        if allowed and labels.get(name, "") not in allowed:
            return False
    return True


def destinations(route: Route) -> list[str]:
    out = [f"{SLACK}{route.slack_channel}"] if route.slack_channel else []
    return out + [f"{EMAIL}{address}" for address in route.email]


def destinations_for(labels: Mapping[str, str], routes: Sequence[Route]) -> tuple[str, ...]:
    """The destinations of an incident with ``labels`` (region, tier, rule, severity), each
    once, in route order; ``(DEFAULT,)`` when no route matches."""
    found: list[str] = []
    for route in routes:
        if not matches(route, labels):
            continue
        for destination in destinations(route):
            if destination not in found:
                found.append(destination)
        if not route.continue_:
            break
    return tuple(found) or (DEFAULT,)
