"""``[change_safety]`` (issue 16): the watched routing flows and what "clearly worse" means."""

from __future__ import annotations

import pytest

from routing_health.config import ChangeSafety, ConfigError, parse_config


def test_without_the_table_no_flow_is_watched_and_the_defaults_are_documented_ones():
    settings = parse_config("").change_safety
    assert settings == ChangeSafety()
    assert settings.flows == ()
    # docs/configuration.md: 10 leads each side, the last 24 h, 5 points, 3 failures, 2 x.
    assert (settings.min_leads, settings.window_hours, settings.success_drop,
            settings.min_failures, settings.tta_ratio) == (10, 24.0, 0.05, 3, 2.0)


def test_every_key_is_read():
    settings = parse_config(
        '[change_safety]\nflows = ["Lead_Router", "Hot_Lead_Router"]\nmin_leads = 20\n'
        "window_hours = 12\nsuccess_drop = 0.1\nmin_failures = 5\ntta_ratio = 3\n"
    ).change_safety
    assert settings == ChangeSafety(("Lead_Router", "Hot_Lead_Router"), 20, 12.0, 0.1, 5, 3.0)


@pytest.mark.parametrize(("toml", "message"), [
    ('flows = ["Lead Router"]', "'Lead Router' is not a flow API name"),
    ('flows = ["A", "A"]', "'A' is listed twice"),
    ("min_leads = 0", "at least 1"),
    ("window_hours = 200", "at most 168 (one week)"),
    ("success_drop = 5", "a share between 0 and 1"),
    ("kill_switch_flag = 1", "kill_switch_flag"),
])
def test_bad_values_are_reported(toml: str, message: str):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[change_safety]\n{toml}\n")
    assert message in str(caught.value)


def test_the_rule_table_of_flow_regression_takes_only_enabled_and_severity():
    config = parse_config('[alerts.rules.flow_regression]\nenabled = false\nseverity = "warning"\n')
    assert config.alerts.rules["flow_regression"].enabled is False
    with pytest.raises(ConfigError) as caught:
        parse_config("[alerts.rules.flow_regression]\nthreshold = 0.5\n")
    assert "its other settings are in [change_safety]" in str(caught.value)
