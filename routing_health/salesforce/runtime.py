"""Process-wide access to the routing configuration and the Salesforce client."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from routing_health.config import RoutingConfig, load_config
from routing_health.salesforce import ConnectionSettings, SalesforceClient


def config_path() -> Path:
    return Path(settings.ROUTING_HEALTH_CONFIG)


def routing_config() -> RoutingConfig:
    """Load and validate the routing configuration file (raises ConfigError)."""
    return load_config(config_path())


def salesforce_client() -> SalesforceClient:
    """A client for the org configured in the environment (logs in on first use)."""
    return SalesforceClient(ConnectionSettings.from_django_settings())
