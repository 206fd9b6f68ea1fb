"""The Salesforce boundary: auth modes, retries and error translation, over real HTTPS."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from routing_health.salesforce import (
    ConnectionSettings,
    SalesforceAuthError,
    SalesforceClient,
    SalesforceLimitError,
    SalesforceQueryError,
    SalesforceSettingsError,
    SalesforceUnavailable,
)


def test_it_names_the_variables_to_set_when_nothing_is_configured():
    with pytest.raises(SalesforceSettingsError, match="SALESFORCE_INSTANCE_URL"):
        _ = ConnectionSettings().auth_mode


def test_jwt_needs_a_username():
    settings = ConnectionSettings(consumer_key="key", private_key_file="/tmp/key.pem")
    with pytest.raises(SalesforceSettingsError, match="SALESFORCE_USERNAME"):
        _ = settings.auth_mode


@pytest.mark.parametrize(
    ("settings", "mode"),
    [
        (ConnectionSettings(instance_url="https://x", access_token="t"), "session"),
        (ConnectionSettings(username="u", password="p"), "password"),
        (ConnectionSettings(consumer_key="k", consumer_secret="s"), "client_credentials"),
        (ConnectionSettings(consumer_key="k", private_key_file="f", username="u"), "jwt"),
    ],
)
def test_it_picks_the_auth_mode_from_the_settings(settings, mode):
    assert settings.auth_mode == mode


def test_it_queries_with_a_session_token(sf_client):
    pages = list(sf_client.query_pages("SELECT Id, Name FROM User"))
    assert sum(len(p) for p in pages) == 4
    assert "attributes" not in pages[0][0]


def test_it_logs_in_with_username_and_password(emulator):
    emulator.add_credentials("rh@example.com", "pw", "TOK")
    settings = ConnectionSettings(username="rh@example.com", password="pw", security_token="TOK")
    sf_client = SalesforceClient(settings, session=emulator.login_session())
    assert sf_client.count("SELECT COUNT() FROM Lead") == 12


def test_a_wrong_password_is_an_auth_error(emulator):
    settings = ConnectionSettings(username="rh@example.com", password="nope")
    sf_client = SalesforceClient(settings, session=emulator.login_session())
    with pytest.raises(SalesforceAuthError, match="login"):
        sf_client.count("SELECT COUNT() FROM Lead")


def test_it_logs_in_with_the_jwt_bearer_flow(emulator, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_file = tmp_path / "server.key"
    key_file.write_bytes(pem)
    emulator.register_jwt_client("CONSUMER", public.decode(), "rh@example.com")
    settings = ConnectionSettings(
        consumer_key="CONSUMER", private_key_file=str(key_file), username="rh@example.com"
    )
    sf_client = SalesforceClient(settings, session=emulator.login_session())
    assert sf_client.count("SELECT COUNT() FROM Lead") == 12


def test_five_hundreds_are_retried_with_backoff(sf_client, emulator):
    emulator.faults.add(kind=500, path="/query", times=3)
    assert sf_client.count("SELECT COUNT() FROM Lead") == 12


def test_it_gives_up_after_the_last_retry(emulator):
    emulator.faults.add(kind=503, path="/query", times=None)
    settings = ConnectionSettings(instance_url=emulator.url, access_token=emulator.access_token)
    sf_client = SalesforceClient(settings, max_retries=2, backoff_seconds=0.01)
    with pytest.raises(SalesforceUnavailable, match="3 attempt"):
        sf_client.count("SELECT COUNT() FROM Lead")


def test_an_unknown_field_is_a_query_error_naming_the_field(sf_client):
    with pytest.raises(SalesforceQueryError) as error:
        list(sf_client.query_pages("SELECT Id, Regoin__c FROM Lead"))
    assert error.value.field == "Regoin__c"
    assert error.value.code == "INVALID_FIELD"


def test_filtering_history_values_is_rejected_as_salesforce_does(sf_client):
    with pytest.raises(SalesforceQueryError, match="OldValue"):
        list(sf_client.query_pages("SELECT Id FROM LeadHistory WHERE OldValue = 'x'"))


def test_it_records_api_usage_from_the_limit_info_header(sf_client, emulator):
    emulator.set_api_usage(used=100, max=15_000)
    sf_client.count("SELECT COUNT() FROM Lead")
    assert sf_client.usage is not None
    assert sf_client.usage.max == 15_000
    assert sf_client.usage.used >= 100


def test_the_budget_refuses_work_past_the_allowed_share(sf_client, emulator):
    emulator.set_api_usage(used=7_000, max=15_000)
    sf_client.refresh_usage()
    sf_client.ensure_budget(100, what="small")
    with pytest.raises(SalesforceLimitError, match="50%"):
        sf_client.ensure_budget(1_000, what="big")


def test_the_request_limit_is_a_limit_error(sf_client, emulator):
    emulator.faults.add(kind=403, path="/query")
    with pytest.raises(SalesforceLimitError):
        sf_client.count("SELECT COUNT() FROM Lead")


def test_bulk_queries_return_every_row_across_pages(sf_client):
    pages = list(
        sf_client.bulk_query_pages("Lead", "SELECT Id, CreatedDate FROM Lead", page_size=5)
    )
    assert [len(p) for p in pages] == [5, 5, 2]
    assert pages[0][0]["CreatedDate"].endswith("Z")
