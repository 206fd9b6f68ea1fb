"""``[[alerts.routes]]``: first match wins unless ``continue``; the default route otherwise."""

from __future__ import annotations

from routing_health.alerts.routes import DEFAULT, destinations_for
from routing_health.config.model import Route

EMEA_CRITICAL = Route(region=("EMEA",), severity=("critical",), slack_channel="C0EMEAROUT",
                      email=("emea-revops@example.com",))
HOT = Route(tier=("hot",), slack_channel="C0HOTLEADS", continue_=True)
FAILURES = Route(rule=("routing_failures",), email=("oncall@example.com",))


def labels(region: str = "EMEA", tier: str = "hot", rule: str = "routing_failures",
           severity: str = "critical") -> dict[str, str]:
    return {"region": region, "tier": tier, "rule": rule, "severity": severity}


def test_the_first_matching_route_wins():
    routes = (EMEA_CRITICAL, FAILURES)
    assert destinations_for(labels(), routes) == (
        "slack:C0EMEAROUT", "email:emea-revops@example.com")
    assert destinations_for(labels(region="APAC"), routes) == ("email:oncall@example.com",)


def test_continue_tries_the_next_matching_routes_too():
    routes = (HOT, EMEA_CRITICAL, FAILURES)
    assert destinations_for(labels(), routes) == (
        "slack:C0HOTLEADS", "slack:C0EMEAROUT", "email:emea-revops@example.com")
    assert destinations_for(labels(tier="warm"), routes) == (
        "slack:C0EMEAROUT", "email:emea-revops@example.com")


def test_no_match_is_the_default_route_and_every_matcher_must_hold():
    assert destinations_for(labels(severity="warning"), (EMEA_CRITICAL,)) == (DEFAULT,)
    assert destinations_for(labels(), ()) == (DEFAULT,)
