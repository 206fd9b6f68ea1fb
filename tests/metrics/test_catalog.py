"""The metric catalog: every exported metric declared once (spec sections 5, 6 and 10)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from routing_health.metrics import metrics_rows, total_metrics
from routing_health.metrics.catalog import (
    METRICS,
    Count,
    Maximum,
    Percentile,
    Rate,
    availability_names,
    count_names,
    duplicate_names,
    exported_names,
    metric,
)
from routing_health.metrics.definitions import DUPLICATE_FLAGS, count_members
from routing_health.metrics.fairness import AVAILABILITY_COUNTS, availability_values
from routing_health.reports.export import EXPORT_NAMES, to_csv, to_json
from tests.metrics.frames import at, sfid
from tests.metrics.helpers import HOLDING_QUEUE, PARAMS, REP_A, TRIAGE, facts, owner_change

AS_OF = "2026-01-07 12:00:00"


def _printed_document() -> dict[str, object]:
    """What export_metrics prints for two small leads grouped by region."""
    lead_facts = facts(
        AS_OF,
        leads=[
            {"id": sfid("00Q", 1), "created_at": at("2026-01-05 10:00:00"), "owner_id": REP_A},
            {"id": sfid("00Q", 2), "created_at": at("2026-01-06 10:00:00"), "owner_id": TRIAGE,
             "region": "EMEA"},
        ],
        owner_changes=[
            owner_change("2026-01-05 10:04:00", HOLDING_QUEUE, REP_A, 1, sfid("00Q", 1)),
        ],
    )
    # No e-mail, website or Account here: every duplicates flag is false (issue 17).
    lead_facts = lead_facts.assign(**dict.fromkeys(DUPLICATE_FLAGS, False))
    rows = [{**row, **counts} for row, counts in zip(
        metrics_rows(lead_facts, ["region"], PARAMS),
        availability_values(lead_facts, _nobody_away(lead_facts), ["region"]), strict=True)]
    total = {**total_metrics(lead_facts, PARAMS),
             **availability_values(lead_facts, _nobody_away(lead_facts), [])[0]}
    return {
        "as_of": "2026-01-07T12:00:00Z", "start": "2026-01-05", "end": "2026-01-06",
        "timezone": "UTC", "by": ["region"],
        # The export's column order (reports.export.compute_export).
        "rows": [{"region": row["region"], **{n: row[n] for n in EXPORT_NAMES}} for row in rows],
        "total": {n: total[n] for n in EXPORT_NAMES},
    }


def _nobody_away(lead_facts) -> dict[str, object]:
    """The fairness counts' members when no user is inactive or out of office."""
    import numpy as np

    return {name: np.zeros(len(lead_facts), dtype=bool) for name in AVAILABILITY_COUNTS}


def test_every_metric_the_export_prints_has_a_catalog_entry_in_the_printed_order() -> None:
    document = _printed_document()
    printed_json = json.loads(to_json(document))
    json_names = [key for key in printed_json["rows"][0] if key != "region"]
    header = next(csv.reader(io.StringIO(to_csv(document))))
    csv_names = [name for name in header if name != "region"]
    assert json_names == list(printed_json["total"]) == csv_names
    for name in json_names:
        assert metric(name).name == name
    assert tuple(json_names) == (*exported_names(), *availability_names(), *duplicate_names())
    assert tuple(json_names) == EXPORT_NAMES


def test_the_export_prints_whole_numbers_for_counts_and_fractions_or_null_otherwise() -> None:
    total = json.loads(to_json(_printed_document()))["total"]
    for name, value in total.items():
        if metric(name).unit == "count":
            assert type(value) is int, name
        else:
            assert value is None or type(value) is float, name


def test_labels_and_short_labels_are_unique() -> None:
    labels = [m.label for m in METRICS]
    shorts = [m.short_label for m in METRICS]
    assert len(set(labels)) == len(labels)
    assert len(set(shorts)) == len(shorts)
    assert all(len(m.short_label) <= len(m.label) for m in METRICS)


def test_every_rate_is_made_of_count_metrics() -> None:
    counts = set(count_names())
    rates = [m for m in METRICS if isinstance(m.formula, Rate)]
    assert rates
    for row in rates:
        assert row.unit == "rate"
        assert row.formula.numerator in counts, row.name
        assert set(row.formula.denominator) <= counts, row.name


def test_the_rates_are_the_fractions_of_spec_section_5() -> None:
    formulas = {m.name: m.formula for m in METRICS if isinstance(m.formula, Rate)}
    assert formulas["assignment_success_rate"] == Rate("succeeded", ("succeeded", "failed"))
    assert formulas["bounce_rate"] == Rate("bounced", ("assigned",))
    assert formulas["rejection_rate"] == Rate("rejected", ("assigned",))
    assert formulas["acceptance_rate"] == Rate("accepted", ("acceptance_base",))
    assert formulas["assign_sla_met_rate"] == Rate("assign_sla_met", ("assign_sla_applicable",))
    assert formulas["touch_sla_met_rate"] == Rate("touch_sla_met", ("touch_sla_applicable",))


def test_percentiles_are_the_median_and_p95_of_the_assigned_or_touched_leads() -> None:
    expected = {
        "tta_p50_minutes": Percentile("tta_minutes", "assigned", 0.5),
        "tta_p95_minutes": Percentile("tta_minutes", "assigned", 0.95),
        "first_touch_p50_minutes": Percentile("first_touch_minutes", "touched", 0.5),
        "first_touch_p95_minutes": Percentile("first_touch_minutes", "touched", 0.95),
        "tta_p95_business_minutes": Percentile("tta_business_minutes", "assigned", 0.95),
    }
    for name, formula in expected.items():
        assert metric(name).formula == formula
        assert metric(name).unit == "minutes"
    assert metric("oldest_queue_age_hours").formula == Maximum("queue_age_hours", "queued")


def test_every_count_the_formulas_name_has_a_per_lead_rule() -> None:
    members = count_members(facts(AS_OF), PARAMS.queue_age_limit_hours)
    assert set(members) == set(count_names())
    for row in METRICS:
        if isinstance(row.formula, Count):
            assert row.unit == "count" and row.formula.members == row.name


def test_every_business_twin_is_a_catalog_metric_of_the_same_kind() -> None:
    twins = {m.name: m.business_twin for m in METRICS if m.business_twin}
    assert twins == {
        "tta_p50_minutes": "tta_p50_business_minutes",
        "tta_p95_minutes": "tta_p95_business_minutes",
        "first_touch_p50_minutes": "first_touch_p50_business_minutes",
        "first_touch_p95_minutes": "first_touch_p95_business_minutes",
        "assign_sla_met_rate": "assign_sla_met_rate_business",
        "touch_sla_met_rate": "touch_sla_met_rate_business",
    }
    for wall, business in twins.items():
        assert metric(business).unit == metric(wall).unit
        assert metric(business).better == metric(wall).better
        assert metric(business).is_business and not metric(wall).is_business
    business_names = {m.name for m in METRICS if "business" in m.name}
    assert business_names == set(twins.values())


def test_default_targets_follow_the_alert_rules_of_spec_section_6() -> None:
    assert metric("assignment_success_rate").default_target == 0.995
    assert metric("assignment_success_rate").better == "higher"
    assert metric("rejection_rate").default_target == 0.10
    assert metric("rejection_rate").better == "lower"
    assert metric("tta_p95_minutes").target_setting == "assign_minutes"
    assert metric("first_touch_p95_minutes").target_setting == "touch_minutes"
    assert metric("oldest_queue_age_hours").target_setting == "queue_age_limit_hours"


def test_a_metric_has_either_a_fixed_target_a_configured_one_or_none() -> None:
    for row in METRICS:
        assert row.default_target is None or row.target_setting is None, row.name
        if row.better == "none":
            assert row.default_target is None and row.target_setting is None, row.name


def test_an_unknown_metric_name_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match=r"'bounce_rates'.*bounce_rate"):
        metric("bounce_rates")
