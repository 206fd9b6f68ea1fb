"""``manage.py check_config`` against the emulator: the org checks of ``sync/org_checks.py``."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing_health.lib.sfid import to_18


def test_a_good_configuration_passes_every_check(configured, capsys):
    call_command("check_config")
    out = capsys.readouterr().out
    assert "[ok  ] history tracking of Lead.Owner: on" in out
    assert "[ok  ] history tracking of Lead.Status: on" in out
    assert "FAIL" not in out
    assert out.strip().endswith("configuration OK")


def test_it_says_when_owner_history_tracking_is_off(configured, tiny, capsys):
    tiny.org.history_tracked.discard("OwnerId")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("check_config")
    out = capsys.readouterr().out
    assert "[FAIL] history tracking of Lead.Owner: OFF" in out


def test_it_names_a_configured_lead_field_that_does_not_exist(configured, capsys):
    configured.write_text(configured.read_text().replace("Region__c", "Regoin__c"))
    with pytest.raises(CommandError):
        call_command("check_config")
    assert "[FAIL] Lead field Regoin__c: does not exist" in capsys.readouterr().out


def test_it_names_a_configured_owner_missing_from_the_org(configured, capsys):
    missing = to_18("00G5g000000ZZZZ")
    text = configured.read_text().replace('fallback = ["', f'fallback = ["{missing}", "')
    configured.write_text(text)
    with pytest.raises(CommandError):
        call_command("check_config")
    out = capsys.readouterr().out
    assert f"[FAIL] owners.fallback {missing}: not found in the org" in out


def test_an_invalid_file_fails_before_connecting(configured, emulator, capsys):
    configured.write_text("[windows]\nbounce_hour = 3\n")
    with pytest.raises(CommandError, match="bounce_hour"):
        call_command("check_config")
    assert not [r for r in emulator.requests_log if "/query" in r[1]]


def test_without_field_definition_it_looks_for_history_rows(configured, emulator, capsys):
    emulator.faults.add(
        kind=400,
        path="/query",
        times=1,
        body=[
            {
                "message": "sObject type 'FieldDefinition' is not supported.",
                "errorCode": "INVALID_TYPE",
            }
        ],
    )
    with pytest.raises(CommandError):  # the tiny org has no Status changes to prove tracking
        call_command("check_config")
    out = capsys.readouterr().out
    assert "[ok  ] history tracking of Lead.Owner: on (history rows found" in out
    assert "[FAIL] history tracking of Lead.Status: could not confirm" in out


def test_a_missing_limits_endpoint_is_not_fatal(configured, emulator, capsys):
    emulator.faults.add(
        kind=404,
        path="/limits",
        times=None,
        body=[{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
    )
    call_command("check_config")
    assert "configuration OK" in capsys.readouterr().out


def test_it_rejects_a_compound_address_field_naming_the_configuration_key(configured, capsys):
    text = configured.read_text().replace('region = "Region__c"', 'region = "Address"')
    configured.write_text(text)
    with pytest.raises(CommandError):
        call_command("check_config")
    out = capsys.readouterr().out
    assert "[FAIL] lead_fields.region = 'Address': is a compound Address field" in out


def test_without_view_setup_it_still_connects_and_reads_usage_from_the_header(
    configured, emulator, capsys
):
    emulator.revoke_view_setup()
    emulator.set_api_usage(used=1_000, max=10_000)
    call_command("check_config")
    out = capsys.readouterr().out
    assert "API usage 1001/10000 (API usage read from the Sforce-Limit-Info header" in out


def test_it_checks_the_data_quality_fields_naming_their_setting(configured, capsys):
    configured.write_text(configured.read_text()
                          + '\n[data_quality]\nfields = ["Address", "No_Such_Field__c"]\n')
    with pytest.raises(CommandError):
        call_command("check_config")
    out = capsys.readouterr().out
    assert "[FAIL] Lead field No_Such_Field__c: does not exist" in out


def test_a_compound_data_quality_field_is_named_by_its_setting(configured, capsys):
    configured.write_text(configured.read_text() + '\n[data_quality]\nfields = ["Address"]\n')
    with pytest.raises(CommandError):
        call_command("check_config")
    out = capsys.readouterr().out
    assert "[FAIL] data_quality.fields = 'Address': is a compound Address field" in out
