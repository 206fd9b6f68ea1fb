""""What's broken now" leads with one line per alert group (spec sections 6 and 9): the
incident its Slack message names as the worst, ranked by severity, then leads affected."""

from __future__ import annotations

from datetime import timedelta

from dashboards.metrics.targets import problems_first
from routing_health.models import AlertIncident
from tests.conftest import NOW


def incident(name: str, rule: str, region: str, tier: str, severity: str, leads: int,
             minutes: int) -> AlertIncident:
    return AlertIncident(
        fingerprint=name, rule=rule, region=region, tier=tier, severity=severity,
        details={"total_leads": leads}, first_seen=NOW + timedelta(minutes=minutes),
        last_seen=NOW,
    )


def test_each_groups_worst_incident_comes_first_then_the_rest_in_their_order():
    shown = [  # the panel's order: the rules of spec section 6, then the oldest first
        incident("a", "assignment_success", "EMEA", "hot", "critical", 50, 10),
        incident("b", "routing_failures", "EMEA", "hot", "critical", 12, 0),
        incident("c", "queue_aging", "APAC", "hot", "warning", 3, 0),
        incident("d", "queue_aging", "APAC", "warm", "warning", 5, 0),
        incident("e", "queue_aging", "EMEA", "hot", "warning", 52, 0),
        incident("f", "inactive_owner", "AMER", "standard", "warning", 2, 0),
        incident("g", "inactive_owner", "AMER", "warm", "warning", 4, 0),
    ]
    ordered = problems_first(shown, ("region",))
    # EMEA: critical beats warning, then 50 leads beat 12; APAC: 5 leads beat 3; AMER: 4 beat
    # 2. The groups: EMEA (critical), then APAC (5 leads) before AMER (4 leads).
    assert [i.fingerprint for i in ordered] == ["a", "d", "g", "b", "c", "e", "f"]


def test_without_grouping_the_single_group_leads_with_the_worst_incident():
    shown = [
        incident("x", "routing_failures", "EMEA", "hot", "warning", 1, 0),
        incident("y", "queue_aging", "APAC", "hot", "critical", 1, 0),
    ]
    assert [i.fingerprint for i in problems_first(shown, ())] == ["y", "x"]


def test_an_inhibited_or_info_incident_never_leads_a_group():
    shown = [
        incident("consequence", "assignment_success", "EMEA", "hot", "critical", 50, 10),
        incident("digest", "rejection_rate", "EMEA", "warm", "info", 90, 0),
        incident("cause", "routing_failures", "EMEA", "hot", "critical", 12, 0),
    ]
    shown[0].inhibited_by = "cause"
    ordered = problems_first(shown, ("region",))
    assert [i.fingerprint for i in ordered] == ["cause", "consequence", "digest"]
