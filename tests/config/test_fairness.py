"""``[fairness]`` (issue 17): pools, weights, the out-of-office field and the thresholds."""

from __future__ import annotations

import pytest

from routing_health.config import ConfigError, FairnessConfig, FairnessPool, parse_config

REP_1 = "005000000000001AAA"
REP_2 = "005000000000002AAA"


def test_without_the_table_each_region_is_a_pool_of_equal_weights():
    settings = parse_config("").fairness
    assert settings == FairnessConfig()
    # docs/configuration.md: 20 leads, max/min 2.0, Gini 0.3, no out-of-office field.
    assert (settings.pools, settings.out_of_office_field, settings.min_leads,
            settings.max_ratio, settings.max_gini, settings.max_p_value) == (
        (), None, 20, 2.0, 0.3, 0.05)
    assert settings.weight(REP_1) == 1.0


def test_every_key_is_read():
    settings = parse_config(
        '[fairness]\nout_of_office_field = "Out_of_Office__c"\nmin_leads = 30\n'
        "max_ratio = 3\nmax_gini = 0.4\n"
        f'[fairness.weights]\n"{REP_1}" = 2\n'
        f'[[fairness.pools]]\nname = "AMER enterprise"\nreps = ["{REP_1}", "{REP_2}"]\n'
        'region = "AMER"\n'
    ).fairness
    assert settings.out_of_office_field == "Out_of_Office__c"
    assert (settings.min_leads, settings.max_ratio, settings.max_gini) == (30, 3.0, 0.4)
    assert settings.weight(REP_1) == 2.0 and settings.weight(REP_2) == 1.0
    assert settings.pools == (FairnessPool("AMER enterprise", (REP_1, REP_2), "AMER"),)


def test_a_15_character_rep_id_is_read_as_its_18_character_form():
    settings = parse_config(
        '[[fairness.pools]]\nname = "p"\nreps = ["005000000000001"]\n').fairness
    assert settings.pools[0].reps == (REP_1,)


@pytest.mark.parametrize(("toml", "message"), [
    ('out_of_office_field = "Out of office"', "fairness.out_of_office_field"),
    ("min_leads = 0", "fairness.min_leads"),
    ("max_ratio = 1", "fairness.max_ratio"),
    ("max_gini = 1.5", "a Gini index between 0 and 1"),
    ("max_p_value = 2", "fairness.max_p_value: a probability above 0 and at most 1"),
    ("fair = 1", "fairness.fair"),
    (f'weights = {{ "{REP_1}" = 0 }}', "greater than 0"),
    ('weights = { "00G000000000001" = 2 }', "is not a User Id"),
    ('pools = [{ name = "p", reps = [] }]', "a pool needs at least one rep"),
    (f'pools = [{{ reps = ["{REP_1}"] }}]', "fairness.pools[0].name"),
    (f'pools = [{{ name = "p", reps = ["{REP_1}", "{REP_1}"] }}]', "is listed twice"),
    (f'pools = [{{ name = "p", reps = ["{REP_1}"] }}, {{ name = "p", reps = ["{REP_2}"] }}]',
     "pool name 'p' is used twice"),
    (f'pools = [{{ name = "p", reps = ["{REP_1}"], queue = "x" }}]', "fairness.pools[0].queue"),
])
def test_bad_values_are_reported_naming_the_setting(toml: str, message: str):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[fairness]\n{toml}\n")
    assert message in str(caught.value)
