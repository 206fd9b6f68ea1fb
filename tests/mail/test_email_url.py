"""EMAIL_URL (spec section 2.1): parsed once, malformed values named, the password never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from routing_health.lib.env import EmailServer, parse_email_url

PROJECT = Path(__file__).resolve().parents[2]


def test_the_spec_example_is_starttls_on_587_with_user_and_password():
    server = parse_email_url("smtp://user:pass@host:587?tls=true")
    assert server == EmailServer(
        host="host", port=587, username="user", password="pass", use_tls=True, use_ssl=False,
        timeout=10.0,
    )


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl", "timeout"),
    [
        ("smtp://mail.example.com", 25, False, False, 10.0),
        ("smtp://mail.example.com?tls=true", 587, True, False, 10.0),
        ("smtps://mail.example.com", 465, False, True, 10.0),
        ("smtp://mail.example.com?ssl=true&timeout=2.5", 465, False, True, 2.5),
        ("smtps://mail.example.com:2465?timeout=30", 2465, False, True, 30.0),
        ("smtp://mail.example.com:2525?tls=0", 2525, False, False, 10.0),
    ],
)
def test_ports_tls_and_timeout(url, port, tls, ssl, timeout):
    server = parse_email_url(url)
    assert (server.host, server.port, server.use_tls, server.use_ssl, server.timeout) == (
        "mail.example.com", port, tls, ssl, timeout)
    assert (server.username, server.password) == ("", "")


def test_user_and_password_are_url_decoded():
    server = parse_email_url("smtp://ops%40example.com:p%40ss%3Aw%2Fo%20rd@smtp.example.com")
    assert (server.username, server.password) == ("ops@example.com", "p@ss:w/o rd")


def test_the_password_is_not_in_the_repr_or_the_description():
    server = parse_email_url("smtp://ops:hunter2@smtp.example.com:587?tls=true")
    assert "hunter2" not in repr(server)
    assert server.describe() == "ops@smtp.example.com:587 (STARTTLS)"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://ops:hunter2@smtp.example.com", "smtp:// or smtps://"),
        ("smtp://ops:hunter2@", "names no host"),
        ("smtp://ops:hunter2@smtp.example.com:port", "not a valid SMTP URL"),
        ("smtp://ops:hunter2@smtp.example.com:99999", "not a valid SMTP URL"),
        ("smtp://ops:hunter2@smtp.example.com?tls=maybe", "not a boolean"),
        ("smtp://ops:hunter2@smtp.example.com?tls=true&ssl=true", "exclude each other"),
        ("smtps://ops:hunter2@smtp.example.com?tls=true", "exclude each other"),
        ("smtp://ops:hunter2@smtp.example.com?timeout=0", "positive number"),
        ("smtp://ops:hunter2@smtp.example.com?timeout=soon", "positive number"),
        ("smtp://ops:hunter2@smtp.example.com?starttls=1", "unknown option 'starttls'"),
        ("smtp://ops:hunter2@smtp.example.com/inbox", "unexpected path"),
        ("smtp.example.com:587", "smtp:// or smtps://"),
    ],
)
def test_a_malformed_value_names_email_url_and_not_the_password(url, words):
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_email_url(url)
    message = str(caught.value)
    assert message.startswith("EMAIL_URL")
    assert words in message
    assert "hunter2" not in message


def _manage(*args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SECRET_KEY": "test-only-secret-key",
        "PYTHONPATH": str(PROJECT),
        **env_vars,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env,
        capture_output=True, text=True, timeout=120,
    )


def test_manage_py_with_a_bad_email_url_prints_one_line_naming_it(tmp_path):
    done = _manage(
        "check", EMAIL_URL="smtp://ops:hunter2@smtp.example.com?tls=perhaps",
        ROUTING_HEALTH_DATA_DIR=str(tmp_path),
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("manage.py: EMAIL_URL=")
    assert "tls" in line and "hunter2" not in line
