"""The routing configuration (TOML, spec section 2.2) → frozen dataclasses; pure, no Django.

``parse.py`` validates a file (``load_config`` / ``parse_config``), ``model.py`` holds the frozen
types, ``reader.py`` the TOML reading helpers, ``alerts.py`` and ``calendars.py`` their sections.
"""

from __future__ import annotations

from routing_health.config.parse import (
    ALERT_RULE_NAMES,
    DEFAULT_TIER_SLA,
    AlertsConfig,
    CalendarSalesforceRefs,
    Clock,
    ConfigError,
    ConfigProblem,
    LeadFields,
    Owners,
    Regions,
    ReportConfig,
    RoutingConfig,
    RuleConfig,
    RuleOverride,
    Statuses,
    Tiers,
    TierSla,
    Windows,
    load_config,
    parse_config,
)

__all__ = [
    "ALERT_RULE_NAMES",
    "DEFAULT_TIER_SLA",
    "AlertsConfig",
    "CalendarSalesforceRefs",
    "Clock",
    "ConfigError",
    "ConfigProblem",
    "LeadFields",
    "Owners",
    "Regions",
    "ReportConfig",
    "RoutingConfig",
    "RuleConfig",
    "RuleOverride",
    "Statuses",
    "TierSla",
    "Tiers",
    "Windows",
    "load_config",
    "parse_config",
]
