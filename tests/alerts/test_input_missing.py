"""``input_missing`` (issue 17, item 4): a source's share of new leads missing a field jumps far
above its baseline. Hand-computed on small fact frames."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pandas as pd

from routing_health.alerts.input_quality import input_checks, input_findings
from routing_health.config import parse_config

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CONFIG = parse_config(
    '[data_quality]\nfields = ["Country", "State"]\nmin_leads = 4\n'
    "min_increase = 0.3\nmin_ratio = 3\nbaseline_days = 7\n"
)


def leads(source: str | None, hours_ago: float, missing: list[str], outcomes: list[str],
          start: int = 0) -> list[dict]:
    return [
        {"lead_id": f"L{source}{start + i:03d}", "lead_source": source,
         "created_at": AS_OF - timedelta(hours=hours_ago),
         "input_missing_fields": m, "outcome": o}
        for i, (m, o) in enumerate(zip(missing, outcomes, strict=True))
    ]


def facts(*parts: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([row for part in parts for row in part])


def web_org(window_missing: list[str]) -> pd.DataFrame:
    # Baseline (2 days ago): 10 Web leads, 1 missing Country (10 %), all routed.
    baseline = leads("Web", 48, ["Country"] + [""] * 9, ["succeeded"] * 10)
    window = leads("Web", 2, window_missing,
                   ["failed", "failed", "succeeded", "failed", "succeeded"], start=100)
    return facts(baseline, window)


def test_the_web_form_that_stopped_sending_country_fires_naming_source_and_field():
    # Window: 5 Web leads, 4 missing Country = 80 %: 70 points over 10 % and 8 x it.
    org = web_org(["Country", "Country+State", "Country", "Country", ""])
    checks = input_checks(org, CONFIG.data_quality, AS_OF)
    by_field = {c.field: c for c in checks}
    country = by_field["Country"]
    assert (country.source, country.leads, country.missing) == ("Web", 5, 4)
    assert (country.baseline_leads, country.baseline_missing) == (10, 1)
    assert country.share == 0.8
    assert country.baseline_share == 0.1
    assert country.breaching
    # Failure rates in the window: missing leads failed 3 of 4 (the 4th routed); complete: 0/1.
    assert country.failure_rates() == (0.75, 0.0)
    # State: 1 of 5 missing (20 %) over 0 % in the baseline: 20 points, below 30.
    assert not by_field["State"].breaching

    findings, values = input_findings(checks, CONFIG)
    (finding,) = findings
    assert finding.rule == "input_missing"
    assert finding.failure_reason == "Country from Web"
    assert (finding.value, finding.threshold, finding.sample) == (0.8, 0.1, 5)
    assert finding.lead_ids == ("LWeb100", "LWeb101", "LWeb102", "LWeb103")
    assert "Web leads stopped sending Country" in finding.summary
    assert "80" in finding.summary and "10" in finding.summary
    assert len(values) == 2


def test_a_jump_below_the_ratio_or_the_increase_does_not_fire():
    # 3 of 5 missing = 60 %: 50 points over 10 % and 6 x it: fires ...
    assert input_checks(web_org(["Country"] * 3 + [""] * 2), CONFIG.data_quality,
                        AS_OF)[0].breaching
    # ... but not when the ratio must be 7 x (60 % < 70 %).
    strict = replace(CONFIG.data_quality, min_ratio=7.0)
    assert not input_checks(web_org(["Country"] * 3 + [""] * 2), strict, AS_OF)[0].breaching
    # 2 of 5 = 40 %: exactly 30 points over 10 % and 4 x: fires (at least, inclusive).
    assert input_checks(web_org(["Country"] * 2 + [""] * 3), CONFIG.data_quality,
                        AS_OF)[0].breaching


def test_too_few_leads_in_the_window_or_the_baseline_never_fire():
    window = leads("Partner", 1, ["Country"] * 3, ["failed"] * 3)
    baseline = leads("Partner", 30, [""] * 10, ["succeeded"] * 10, start=50)
    (country, _state) = input_checks(facts(window, baseline), CONFIG.data_quality, AS_OF)
    assert (country.leads, country.missing, country.share) == (3, 3, 1.0)
    assert not country.breaching  # 3 leads < min_leads 4
    only_new = leads("Fair", 1, ["Country"] * 6, ["failed"] * 6)
    (country, _state) = input_checks(facts(only_new), CONFIG.data_quality, AS_OF)
    assert country.baseline_leads == 0
    assert not country.breaching  # no baseline to jump from


def test_leads_outside_the_window_and_the_baseline_do_not_count():
    old = leads("Web", 24 * 9, ["Country"] * 10, ["failed"] * 10, start=500)  # 9 days: out
    org = pd.concat([web_org(["Country"] * 4 + [""]), facts(old)], ignore_index=True)
    country = input_checks(org, CONFIG.data_quality, AS_OF)[0]
    assert (country.baseline_leads, country.baseline_missing) == (10, 1)


def test_leads_without_a_source_are_one_source_and_the_rule_can_be_disabled():
    window = leads(None, 1, ["Country"] * 5, ["failed"] * 5)
    baseline = leads(None, 30, [""] * 5, ["succeeded"] * 5, start=50)
    checks = input_checks(facts(window, baseline), CONFIG.data_quality, AS_OF)
    assert checks[0].source == "(no lead source)"
    assert checks[0].breaching
    off = parse_config(
        '[data_quality]\nfields = ["Country", "State"]\nmin_leads = 4\n'
        "[alerts.rules.input_missing]\nenabled = false\n")
    assert input_findings(checks, off) == ([], {})
