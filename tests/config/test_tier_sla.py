"""The tier SLA is looked up in one place, with one fallback, by the engine, alerts and pages."""

from __future__ import annotations

import pytest

from routing_health.alerts.rules import tier_sla
from routing_health.config import TierSla, parse_config
from routing_health.facts.params import params_from_config

TOML = """
[tiers]
default = "warm"
[tiers.by_value]
Hot = "hot"
Warm = "warm"
[tiers.sla.hot]
assign_minutes = 5
touch_minutes = 15
[tiers.sla.warm]
assign_minutes = 60
touch_minutes = 240
"""


@pytest.mark.parametrize(
    ("tier", "expected"),
    [("hot", (5.0, 15.0)), ("warm", (60.0, 240.0)), ("gold", (60.0, 240.0)), (None, (60.0, 240.0))],
)
def test_a_tier_without_an_sla_takes_the_default_tiers_on_every_path(tier, expected):
    config = parse_config(TOML)
    sla = config.tier_sla(tier)
    assert (sla.assign_minutes, sla.touch_minutes) == expected
    assert tier_sla(config, tier) == sla
    assert params_from_config(config).sla_for(tier) == expected


def test_an_empty_config_gives_the_built_in_sla_to_the_standard_tier():
    config = parse_config("")
    assert config.tier_sla("anything") == TierSla(240.0, 1440.0, None)
    assert params_from_config(config).sla_for("anything") == (240.0, 1440.0)
