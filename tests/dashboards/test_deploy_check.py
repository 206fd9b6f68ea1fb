"""``manage.py check --deploy`` is clean under production settings."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def production_env() -> dict[str, str]:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "routing_health.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(64)),
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "PYTHONPATH": str(PROJECT),
    }


def test_check_deploy_reports_no_issue_under_production_settings(tmp_path):
    env = production_env() | {"ROUTING_HEALTH_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), "check", "--deploy", "--fail-level", "DEBUG"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
