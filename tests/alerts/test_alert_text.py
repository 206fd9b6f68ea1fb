"""An alert's Slack text reads the metric catalog and the one formatter (``lib.format``).

Hand-computed from lib/format's documented rule:

- a rate within one point of 100 % gets two decimals: 0.9953 → "99.53%", the 0.995 target →
  "99.50%";
- 3000 minutes is 50 h, past the 48 h threshold, so it reads in days: 3000 / 1440 = 2.083 →
  "2.1 d"; the 15-minute touch SLA reads "15 min";
- no value (an empty denominator) reads "—";
- times read in the report timezone: 2026-03-29 01:30 UTC is 03:30 CEST in Europe/Berlin (the
  clocks went forward at 01:00 UTC that morning), and 03:00 UTC is 05:00 CEST; the 90 minutes in
  between read "1.5 h".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from routing_health.alerts.measures import P95
from routing_health.alerts.message import AlertKind, AlertMessage
from routing_health.alerts.notices import alert_message
from routing_health.alerts.slack_blocks import build_payload
from routing_health.metrics.definitions import percentile
from tests.alerts.test_rules import AS_OF, Org, config

INSTANCE = "https://acme.my.salesforce.com"
FIRST_SEEN = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
NOW = datetime(2026, 3, 29, 3, 0, tzinfo=UTC)


def message(
    kind: AlertKind, rule: str, value: float | None, threshold: float | None, comparison: str
) -> AlertMessage:
    """A message of the EMEA hot segment, fired at FIRST_SEEN, as of NOW, in Berlin time."""
    return alert_message(
        kind, rule=rule, region="EMEA", tier="hot", failure_reason=None, details={},
        value=value, threshold=threshold, comparison=comparison, first_seen=FIRST_SEEN,
        as_of=NOW, timezone="Europe/Berlin",
    )


def fields(payload: dict[str, Any]) -> list[str]:
    return [f["text"] for f in payload["blocks"][1]["fields"]]


def test_a_firing_p95_of_3000_minutes_reads_2_1_days_under_the_catalog_label() -> None:
    payload = build_payload(message("firing", "touch_p95", 3000.0, 15.0, ">"),
                            instance_url=INSTANCE)

    assert fields(payload)[:2] == [
        "*First touch p95*\n2.1 d", "*Threshold*\nalert when &gt; 15 min"
    ]
    assert "*Firing since*\n2026-03-29 03:30 CEST (1.5 h)" in fields(payload)
    assert payload["blocks"][-1]["elements"][0]["text"].endswith("as of 2026-03-29 05:00 CEST")
    assert "Slow first touch (p95) [touch_p95] for region EMEA, tier hot: 2.1 d, above the " \
        "threshold of 15 min" in payload["text"]


def test_a_resolved_assignment_success_of_0_9953_reads_99_53_percent() -> None:
    payload = build_payload(message("resolved", "assignment_success", 0.9953, 0.995, "<"),
                            instance_url=INSTANCE)

    section = payload["blocks"][1]["text"]["text"]
    assert "fired at 2026-03-29 03:30 CEST and lasted 1.5 h (resolved 2026-03-29 05:00 CEST)" \
        in section
    assert section.endswith("Now: 99.53% (threshold 99.50%).")
    assert "(fired 2026-03-29 03:30 CEST)" in payload["text"]


def test_a_missing_rate_reads_as_an_em_dash() -> None:
    payload = build_payload(message("firing", "rejection_rate", None, 0.10, ">"),
                            instance_url=INSTANCE)

    assert fields(payload)[:2] == ["*Rejection rate*\n—", "*Threshold*\nalert when &gt; 10.0%"]
    assert ": —, above the threshold of 10.0%" in payload["text"]


def test_the_report_timezone_of_the_message_is_checked() -> None:
    with pytest.raises(ValueError, match="IANA"):
        alert_message(
            "firing", rule="touch_p95", region="", tier="", failure_reason=None, details={},
            value=1.0, threshold=15.0, comparison=">", first_seen=FIRST_SEEN, as_of=NOW,
            timezone="Europe/Atlantis",
        )


def test_the_evaluated_touch_p95_is_the_catalog_percentile_and_reads_2_1_days() -> None:
    # Five touched hot leads, 2000, 2000, 2000, 2500 and 3125 minutes to the first touch. By hand:
    # rank (5 - 1) × 0.95 = 3.8, so 2500 + 0.8 × (3125 - 2500) = 3000 minutes.
    org = Org()
    for touch in (2000, 2000, 2000, 2500, 3125):
        org.lead(age=3200, touch_after=touch)
    cfg = config("[alerts.rules.touch_p95]\nwindow_hours = 72\n")

    [finding] = org.evaluate(cfg, rules=["touch_p95"])

    assert P95["touch"] == 0.95
    assert finding.value == pytest.approx(3000.0)
    assert finding.value == percentile([2000, 2000, 2000, 2500, 3125], 0.95)
    payload = build_payload(
        alert_message(
            "firing", rule="touch_p95", region="EMEA", tier="hot", failure_reason=None,
            details={}, value=finding.value, threshold=finding.threshold,
            comparison=finding.comparison, first_seen=AS_OF - timedelta(hours=1), as_of=AS_OF,
            timezone="America/New_York",
        ),
        instance_url=INSTANCE,
    )
    # 2026-11-20 11:00 UTC is 06:00 EST in New York.
    assert fields(payload)[0] == "*First touch p95*\n2.1 d"
    assert "*Firing since*\n2026-11-20 06:00 EST (1 h)" in fields(payload)
