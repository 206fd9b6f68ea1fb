"""``[duplicates]`` (issue 17 item 3): the matching window, public mail domains, the Account
domain field; every key validated with a message naming it."""

from __future__ import annotations

import pytest

from routing_health.config import ConfigError, DuplicatesConfig, parse_config
from routing_health.config.model import DEFAULT_PUBLIC_DOMAINS
from routing_health.sync.objects import OBJECTS


def test_without_the_table_the_documented_defaults_apply():
    settings = parse_config("").duplicates
    assert settings == DuplicatesConfig()
    assert (settings.window_days, settings.account_domain_field) == (30.0, None)
    assert {"gmail.com", "outlook.com", "yahoo.com"} <= settings.public_domains


def test_every_key_is_read_and_extra_domains_are_added_lowercased():
    settings = parse_config(
        '[duplicates]\nwindow_days = 14\naccount_domain_field = "Domain__c"\n'
        'extra_public_domains = ["Example.ORG"]\n'
    ).duplicates
    assert (settings.window_days, settings.account_domain_field) == (14.0, "Domain__c")
    assert settings.public_domains == DEFAULT_PUBLIC_DOMAINS | {"example.org"}


def test_public_domains_replace_the_default_list():
    settings = parse_config('[duplicates]\npublic_domains = ["mail.example"]\n').duplicates
    assert settings.public_domains == frozenset({"mail.example"})


def test_the_account_domain_field_is_synced_with_the_account():
    config = parse_config('[duplicates]\naccount_domain_field = "Domain__c"\n')
    assert OBJECTS["Account"].fields(config) == [
        "Id", "Name", "Website", "OwnerId", "SystemModstamp", "IsDeleted", "Domain__c"]
    assert OBJECTS["Account"].fields(parse_config("")) == [
        "Id", "Name", "Website", "OwnerId", "SystemModstamp", "IsDeleted"]


@pytest.mark.parametrize(("toml", "message"), [
    ("window_days = 0", "duplicates.window_days"),
    ("window_days = 400", "must be at most 365 days, got 400"),
    ('window_days = "30"', "duplicates.window_days"),
    ('account_domain_field = "Domain c"', "'Domain c' is not a Salesforce field API name"),
    ('public_domains = ["gmail"]', "'gmail' is not a domain such as 'gmail.com'"),
    ('extra_public_domains = ["a b.com"]', "duplicates.extra_public_domains[0]"),
    ("window = 3", "duplicates.window"),
])
def test_bad_values_are_reported_naming_the_setting(toml: str, message: str):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[duplicates]\n{toml}\n")
    assert message in str(caught.value)
