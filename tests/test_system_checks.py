"""Django system checks with stable ids: ``manage.py check`` fails a misconfigured deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.checks import run_checks

PROJECT = Path(__file__).resolve().parents[1]
CLUSTER = {"timeout": 600, "retry": 900, "max_attempts": 3}


def ids(**kwargs) -> list[str]:
    return sorted(m.id for m in run_checks(**kwargs) if m.id.startswith("routing_health."))


def test_a_valid_setup_raises_no_routing_health_check(settings, tmp_path):
    config = tmp_path / "routing_health.toml"
    config.write_text('[report]\ntimezone = "UTC"\n')
    settings.ROUTING_HEALTH_CONFIG = str(config)
    settings.SLACK_BOT_TOKEN, settings.SLACK_CHANNEL = "xoxb-1", "C0ROUTING01"
    settings.Q_CLUSTER = dict(CLUSTER)
    assert ids() == []


def test_a_missing_configuration_file_is_not_a_check_issue(settings, tmp_path):
    settings.ROUTING_HEALTH_CONFIG = str(tmp_path / "nowhere.toml")
    assert "routing_health.E001" not in ids()


def test_an_invalid_configuration_is_error_e001_naming_the_key_and_line(settings, tmp_path):
    config = tmp_path / "routing_health.toml"
    config.write_text('[report]\ntimezone = "UTC"\n[windows]\nbounce_hour = 3\n')
    settings.ROUTING_HEALTH_CONFIG = str(config)
    [message] = [m for m in run_checks() if m.id == "routing_health.E001"]
    assert message.level >= 40  # ERROR
    assert "windows.bounce_hour" in message.msg
    assert f"{config}:4:" in message.msg


def test_a_slack_token_without_a_channel_is_warning_w001(settings):
    settings.SLACK_BOT_TOKEN, settings.SLACK_CHANNEL = "xoxb-1", ""
    assert "routing_health.W001" in ids()
    settings.SLACK_BOT_TOKEN, settings.SLACK_CHANNEL = "", "C0ROUTING01"
    assert "routing_health.W001" in ids()
    settings.SLACK_BOT_TOKEN, settings.SLACK_CHANNEL = "", ""
    assert "routing_health.W001" not in ids()


def test_a_q_cluster_timeout_equal_to_retry_is_error_e002(settings):
    settings.Q_CLUSTER = {**CLUSTER, "timeout": 900, "retry": 900}
    assert "routing_health.E002" in ids()
    settings.Q_CLUSTER = {**CLUSTER, "timeout": 899, "retry": 900}
    assert "routing_health.E002" not in ids()


def test_a_q_cluster_without_max_attempts_is_warning_w002(settings):
    settings.Q_CLUSTER = {"timeout": 600, "retry": 900}
    assert "routing_health.W002" in ids()


def test_manage_py_check_exits_non_zero_on_an_invalid_configuration(tmp_path):
    config = tmp_path / "routing_health.toml"
    config.write_text("[tiers]\ndefault = 7\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SECRET_KEY": "test-only-secret-key",
        "ROUTING_HEALTH_CONFIG": str(config),
        "ROUTING_HEALTH_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(PROJECT),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=PROJECT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert "(routing_health.E001)" in done.stderr
    assert "tiers.default" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_email_url_without_a_sender_is_warning_w003(settings):
    settings.EMAIL_URL, settings.ALERT_EMAIL_FROM = "smtp://smtp.example.com:587?tls=true", None
    [message] = [m for m in run_checks() if m.id == "routing_health.W003"]
    assert message.level == 30  # WARNING
    assert "EMAIL_URL is set but ALERT_EMAIL_FROM is not" in message.msg
    settings.EMAIL_URL, settings.ALERT_EMAIL_FROM = None, "routing@example.com"
    [message] = [m for m in run_checks() if m.id == "routing_health.W003"]
    assert "ALERT_EMAIL_FROM is set but EMAIL_URL is not" in message.msg
    settings.EMAIL_URL = "smtp://smtp.example.com:587?tls=true"
    assert "routing_health.W003" not in ids()
    settings.EMAIL_URL, settings.ALERT_EMAIL_FROM = None, None
    assert "routing_health.W003" not in ids()
