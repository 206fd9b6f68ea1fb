"""Process-wide access to the routing configuration and the Salesforce client."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from routing_health.config import RoutingConfig
from routing_health.config.current import current_config
from routing_health.salesforce import ConnectionSettings, SalesforceClient


def config_path() -> Path:
    return Path(settings.ROUTING_HEALTH_CONFIG)


def routing_config() -> RoutingConfig:
    """The routing configuration file, validated; parsed once per process until the file
    changes (``config.current``); raises ConfigError."""
    return current_config(config_path())


def salesforce_client(connection: str = "default") -> SalesforceClient:
    """A client for the org configured in the environment (logs in on first use):
    ``default`` (``SALESFORCE_*``) or ``sandbox`` (``SALESFORCE_SANDBOX_*``)."""
    return SalesforceClient(ConnectionSettings.from_django_settings(connection))
