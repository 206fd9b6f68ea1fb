"""Settings come from the environment; a bad value names its variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from routing_health.lib.env import envbool, envint


def test_envbool_names_the_variable_with_a_bad_value(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        envbool("SOME_FLAG")


def test_envint_names_the_variable_with_a_bad_value(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        envint("SOME_NUMBER", 1)


def _settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='routing_health.settings';"
        "import django; django.setup(); from django.conf import settings;"
        f"print({expression})"
    )
    clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env}
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True)


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _settings_in_subprocess({}, "settings.SECRET_KEY")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "1", "DJANGO_SESSION_SECONDS": "soon"}, "DJANGO_SESSION_SECONDS"),
    ],
)
def test_manage_py_without_a_setting_prints_one_line_naming_it_and_exits_non_zero(
    tmp_path, env, variable
):
    manage = Path(__file__).resolve().parents[1] / "manage.py"
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    clean["ROUTING_HEALTH_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, str(manage), "check_config"],
        env={**clean, **env}, cwd=tmp_path, capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("manage.py: ") and variable in lines[0]


def test_the_default_database_is_sqlite_in_the_data_folder(tmp_path):
    result = _settings_in_subprocess(
        {"DJANGO_DEBUG": "1", "ROUTING_HEALTH_DATA_DIR": str(tmp_path)},
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']",
    )
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout
    assert str(tmp_path / "routing_health.sqlite3") in result.stdout


def test_database_url_selects_postgresql():
    result = _settings_in_subprocess(
        {"DJANGO_DEBUG": "1", "DATABASE_URL": "postgres://rh@db.example:5433/rh"},
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['PORT']",
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout and "5433" in result.stdout


def test_redis_url_switches_the_django_q_broker():
    result = _settings_in_subprocess(
        {"DJANGO_DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/3"},
        "settings.Q_CLUSTER.get('redis'), settings.Q_CLUSTER.get('orm')",
    )
    assert result.returncode == 0, result.stderr
    assert "redis://127.0.0.1:6379/3 None" in result.stdout


def test_q_cluster_times_out_tasks_before_it_redelivers_them():
    from django.conf import settings

    assert settings.Q_CLUSTER["timeout"] < settings.Q_CLUSTER["retry"]
    assert settings.Q_CLUSTER["max_attempts"] > 0
    assert settings.Q_CLUSTER["catch_up"] is False


@pytest.mark.django_db
def test_the_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
