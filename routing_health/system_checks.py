"""Django system checks with stable ids, so ``manage.py check`` (and ``migrate``, ``runserver``)
fails a misconfigured deploy before it runs.

- ``routing_health.E001`` (error): the routing configuration file exists but is invalid; the
  message lists each problem with its key and line.
- ``routing_health.E002`` (error): ``Q_CLUSTER["timeout"]`` is not below ``Q_CLUSTER["retry"]``,
  so a task still running would be delivered a second time.
- ``routing_health.W001`` (warning): only one of ``SLACK_BOT_TOKEN`` / ``SLACK_CHANNEL`` is set,
  so alerts silently stay on the dashboard.
- ``routing_health.W002`` (warning): ``Q_CLUSTER["max_attempts"]`` is 0 or unset, so django-q2
  retries a failing task forever.
- ``routing_health.W003`` (warning): only one of ``EMAIL_URL`` / ``ALERT_EMAIL_FROM`` is set, so
  no e-mail is sent. (A malformed ``EMAIL_URL`` stops the settings from loading at all:
  ``ImproperlyConfigured`` naming it.)

A configuration file that does not exist is not a check issue: a fresh checkout, the test suite and
``check --deploy`` on a build machine have none, and every command that needs the file says so,
naming its path.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from routing_health.config import ConfigError, load_config

E001_CONFIG_INVALID = "routing_health.E001"
E002_Q_TIMEOUT = "routing_health.E002"
W001_SLACK_HALF = "routing_health.W001"
W002_Q_ATTEMPTS = "routing_health.W002"
W003_EMAIL_HALF = "routing_health.W003"


@register()
def routing_config_check(
    app_configs: Iterable[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E001: the routing configuration file is invalid."""
    path = Path(settings.ROUTING_HEALTH_CONFIG)
    if not path.exists():
        return []
    try:
        load_config(path)
    except ConfigError as exc:
        return [
            Error(
                f"The routing configuration {path} is invalid:\n{exc}",
                hint="Fix the file (manage.py check_config shows the same problems).",
                id=E001_CONFIG_INVALID,
            )
        ]
    return []


@register()
def slack_settings_check(
    app_configs: Iterable[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W001: a Slack token without a channel, or a channel without a token."""
    token, channel = bool(settings.SLACK_BOT_TOKEN), bool(settings.SLACK_CHANNEL)
    if token == channel:
        return []
    missing, present = ("SLACK_CHANNEL", "SLACK_BOT_TOKEN") if token else (
        "SLACK_BOT_TOKEN", "SLACK_CHANNEL"
    )
    return [
        Warning(
            f"{present} is set but {missing} is not: alerts are kept on the dashboard and not "
            "posted to Slack.",
            hint=f"Set {missing} as well, or unset {present}.",
            id=W001_SLACK_HALF,
        )
    ]


@register()
def email_settings_check(
    app_configs: Iterable[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W003: an SMTP server without a sender, or a sender without an SMTP server."""
    url = bool(getattr(settings, "EMAIL_URL", None))
    sender = bool(getattr(settings, "ALERT_EMAIL_FROM", None))
    if url == sender:
        return []
    missing, present = ("ALERT_EMAIL_FROM", "EMAIL_URL") if url else (
        "EMAIL_URL", "ALERT_EMAIL_FROM"
    )
    return [
        Warning(
            f"{present} is set but {missing} is not: no e-mail is sent (weekly reviews, alert "
            "routes to e-mail addresses).",
            hint=f"Set {missing} as well, or unset {present}.",
            id=W003_EMAIL_HALF,
        )
    ]


@register()
def task_queue_check(
    app_configs: Iterable[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E002: a task may outlive its redelivery; W002: failing tasks retried forever."""
    cluster = getattr(settings, "Q_CLUSTER", {}) or {}
    messages: list[CheckMessage] = []
    timeout, retry = cluster.get("timeout"), cluster.get("retry")
    if timeout is not None and retry is not None and timeout >= retry:
        messages.append(
            Error(
                f"Q_CLUSTER timeout ({timeout} s) is not below retry ({retry} s): a task still "
                "running would be delivered a second time.",
                hint="Make Q_CLUSTER['retry'] larger than Q_CLUSTER['timeout'].",
                id=E002_Q_TIMEOUT,
            )
        )
    if not cluster.get("max_attempts"):
        messages.append(
            Warning(
                "Q_CLUSTER max_attempts is 0 or unset: django-q2 retries a failing task forever.",
                hint="Set Q_CLUSTER['max_attempts'] (the default settings use 3).",
                id=W002_Q_ATTEMPTS,
            )
        )
    return messages
