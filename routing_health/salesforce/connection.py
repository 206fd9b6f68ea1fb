"""How we reach the org: connection settings from Django settings, HTTP timeouts, API usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from routing_health.salesforce.errors import (
    SalesforceSettingsError,
)

# Connection name -> the Django setting holding its variables.
CONNECTIONS = {"default": "SALESFORCE", "sandbox": "SALESFORCE_SANDBOX"}


@dataclass(frozen=True)
class ApiUsage:
    used: int
    max: int

    @property
    def share(self) -> float:
        return self.used / self.max if self.max else 0.0


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to connect; see the environment table in the README."""

    instance_url: str | None = None
    access_token: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = None
    private_key_file: str | None = None
    domain: str = "login"
    api_version: str = "62.0"
    timeout_seconds: float = 60.0
    max_api_share: float = 0.5
    bulk_poll_seconds: float = 0.5  # first wait before polling a Bulk job; it then backs off

    @classmethod
    def from_django_settings(cls, connection: str = "default") -> ConnectionSettings:
        """``default``: the ``SALESFORCE_*`` variables; ``sandbox``: ``SALESFORCE_SANDBOX_*``
        (the routing test pack's own org)."""
        from django.conf import settings

        if connection not in CONNECTIONS:
            raise SalesforceSettingsError(
                f"unknown connection {connection!r}: use one of {', '.join(CONNECTIONS)}"
            )
        return cls(**getattr(settings, CONNECTIONS[connection]))

    @property
    def auth_mode(self) -> str:
        """``session``, ``jwt``, ``client_credentials`` or ``password``."""
        if self.instance_url and self.access_token:
            return "session"
        if self.consumer_key and self.private_key_file:
            if not self.username:
                raise SalesforceSettingsError(
                    "SALESFORCE_USERNAME is required with SALESFORCE_PRIVATE_KEY_FILE (JWT bearer)"
                )
            return "jwt"
        if self.consumer_key and self.consumer_secret and not self.username:
            return "client_credentials"
        if self.username and self.password:
            return "password"
        raise SalesforceSettingsError(
            "Salesforce is not configured: set SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN, "
            "or SALESFORCE_CONSUMER_KEY + SALESFORCE_PRIVATE_KEY_FILE + SALESFORCE_USERNAME (JWT), "
            "or SALESFORCE_CONSUMER_KEY + SALESFORCE_CONSUMER_SECRET (client credentials), "
            "or SALESFORCE_USERNAME + SALESFORCE_PASSWORD (+ SALESFORCE_SECURITY_TOKEN)"
        )

    @property
    def holds_credentials(self) -> bool:
        return self.auth_mode != "session"


class _TimeoutAdapter(HTTPAdapter):
    """Gives every request a default timeout: simple_salesforce does not pass one."""

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        self._timeout = timeout
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def _with_timeouts(session: requests.Session | None, timeout: float) -> requests.Session:
    session = session or requests.Session()
    for prefix, adapter in list(session.adapters.items()):
        if type(adapter) is HTTPAdapter:
            session.mount(prefix, _TimeoutAdapter(timeout))
    return session
