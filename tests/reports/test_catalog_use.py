"""The reports and the alerts take their metric words, units, directions and targets from the
metric catalog, and leave rate and percentile arithmetic to ``routing_health.metrics``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from routing_health.alerts.rules import RULES
from routing_health.metrics.catalog import metric
from routing_health.reports import render, slack_summary
from routing_health.reports.changes import TARGET_RULES, change

PACKAGES = [Path(__file__).parents[2] / "routing_health" / name for name in ("reports", "alerts")]
FORBIDDEN = re.compile(
    r"np\.(percentile|quantile)|\.quantile\(|METRIC_LABELS|SHORT_LABELS|strftime\(\"%Y-%m-%d %H:%M"
)


@pytest.mark.parametrize("names", [
    render.HEADLINE_METRICS, render.ASSIGNMENT_METRICS, render.FOLLOW_THROUGH_METRICS,
    render.DAILY_METRICS, slack_summary.SUMMARY_METRICS, tuple(TARGET_RULES),
])
def test_every_metric_a_report_shows_is_in_the_catalog(names: tuple[str, ...]) -> None:
    for name in names:
        assert metric(name).name == name


def test_an_alert_rule_about_an_exported_metric_uses_its_catalog_unit_label_and_target() -> None:
    about_metrics = {name: spec for name, spec in RULES.items() if spec.catalog_metric}
    assert set(about_metrics) == {"assignment_success", "tta_p95", "touch_p95", "queue_aging",
                                  "rejection_rate", "duplicate_outreach"}
    for spec in about_metrics.values():
        row = metric(spec.metric)
        assert spec.value_format == row.unit and spec.value_label == row.label
        if isinstance(spec.default_threshold, float):
            assert spec.default_threshold == row.default_target
    assert RULES["assignment_success"].default_threshold == 0.995  # spec section 6
    assert RULES["rejection_rate"].default_threshold == 0.10


def test_a_change_is_better_or_worse_as_the_catalog_says() -> None:
    # Rejected leads: the catalog says fewer is better.
    assert change("rejected", 3, 5).direction == "better"
    assert change("tta_p95_business_minutes", 10.0, 5.0).direction == "worse"
    assert change("acceptance_rate", 0.9, 0.8).direction == "better"
    assert change("leads", 10, 5).direction == "neutral"


def test_no_report_or_alert_module_computes_a_quantile_or_keeps_its_own_labels() -> None:
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for package in PACKAGES for path in sorted(package.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert offenders == []
