"""The ``[alerts]`` table of the routing configuration (spec section 6)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from routing_health.config.model import (
    ALERT_RULE_NAMES,
    GROUP_LABELS,
    SEVERITIES,
    AlertsConfig,
    RuleConfig,
    RuleOverride,
)
from routing_health.config.reader import KeyPath, Table, check_number, unknown_key_message
from routing_health.config.routes import parse_inhibit, parse_routes

RULE_KEYS = (
    "enabled", "threshold", "min_sample", "window_hours", "for_minutes", "severity",
    "min_count", "max_age_days",
)
OVERRIDE_KEYS = ("rule", "region", "tier", *RULE_KEYS)
ALERTS_KEYS = (
    "group_by", "group_wait_seconds", "group_interval_minutes", "repeat_interval_hours",
    "reminder_hours", "max_new_groups", "resolve_minutes", "rules", "overrides", "routes",
    "inhibit",
)
RATE_RULES = frozenset({"assignment_success", "rejection_rate"})
MIN_COUNT_RULES = frozenset({"routing_failures"})
MAX_AGE_RULES = frozenset({"queue_aging"})

MSG_UNKNOWN_RULE = "unknown alert rule"
MSG_NOT_A_RULE = "{value!r} is not an alert rule"
MSG_UNKNOWN_TIER = "unknown tier {value!r} (known tiers: {known})"
MSG_RATE_RANGE = "a rate threshold must be between 0 and 1, got {value!r}"
MSG_OVERRIDE_NO_SEGMENT = "an override needs a region and/or a tier"
MSG_OVERRIDE_NOTHING = "an override must set one of: " + ", ".join(RULE_KEYS)
MSG_BAD_SEVERITY = "unknown severity {value!r} (expected one of: critical, warning, info)"
MSG_NOT_FOR_RULE = "{key} applies only to {rules}"
MSG_BAD_GROUP_LABEL = "cannot group by {value!r} (expected some of: region, tier, rule, severity)"
MSG_REPEATED_LABEL = "{value!r} is listed twice"
MSG_TWO_NAMES = "set repeat_interval_hours only (reminder_hours is its old name)"
MSG_OVERRIDE_DUPLICATE = "repeats alerts.overrides[{other}] (same rule, region and tier)"
MSG_OVERRIDE_UNSEGMENTED = "sync_stale is not per segment; set it in [alerts.rules.sync_stale]"
MSG_FLOW_REGRESSION = ("flow_regression takes enabled and severity here; its other settings "
                       "are in [change_safety]")
MSG_INPUT_MISSING = ("input_missing takes enabled and severity here; its other settings are "
                     "in [data_quality]")
MSG_UNKNOWN_REGION = (
    "region {value!r} never occurs: without lead_fields.region the regions are "
    "regions.default and the values of regions.by_country"
)


def _rule_settings(table: Table, rule: str | None) -> dict[str, Any]:
    """The ``RULE_KEYS`` of a rule or an override."""
    threshold = table.raw("threshold")
    path: KeyPath = (*table.path, "threshold")
    if threshold is not None:
        threshold = check_number(table.problems, path, threshold, minimum=0)
        if threshold is not None and rule in RATE_RULES and threshold > 1:
            table.problems.add(path, MSG_RATE_RANGE.format(value=threshold))
    for key, rules in (("min_count", MIN_COUNT_RULES), ("max_age_days", MAX_AGE_RULES)):
        if table.has(key) and rule is not None and rule not in rules:
            message = MSG_NOT_FOR_RULE.format(key=key, rules=", ".join(sorted(rules)))
            table.problems.add((*table.path, key), message)
    if rule == "flow_regression":
        for key in ("threshold", "min_sample", "window_hours", "for_minutes"):
            if table.has(key):
                table.problems.add((*table.path, key), MSG_FLOW_REGRESSION)
    if rule == "input_missing":
        for key in ("threshold", "min_sample", "window_hours", "for_minutes"):
            if table.has(key):
                table.problems.add((*table.path, key), MSG_INPUT_MISSING)
    return {
        "enabled": table.boolean("enabled"),
        "threshold": threshold,
        "min_sample": table.integer("min_sample", minimum=0),
        "window_hours": table.number("window_hours", minimum=0, exclusive=True),
        "for_minutes": table.number("for_minutes", minimum=0),
        "severity": severity(table, "severity"),
        "min_count": table.integer("min_count", minimum=1),
        "max_age_days": table.number("max_age_days", minimum=0, exclusive=True),
    }


def severity(table: Table, key: str) -> Any:
    """A severity name (``critical``, ``warning``, ``info``) or None."""
    value = table.string(key)
    if value is not None and value not in SEVERITIES:
        table.problems.add((*table.path, key), MSG_BAD_SEVERITY.format(value=value))
        return None
    return value


def _labels(table: Table, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list of group labels (``GROUP_LABELS``), each once."""
    if not table.has(key):
        return default
    labels: list[str] = []
    for index, label in enumerate(table.string_list(key)):
        if label not in GROUP_LABELS:
            table.problems.add((*table.path, key, index), MSG_BAD_GROUP_LABEL.format(value=label))
        elif label in labels:
            table.problems.add((*table.path, key, index), MSG_REPEATED_LABEL.format(value=label))
        else:
            labels.append(label)
    return tuple(labels)


def parse_alerts(
    table: Table, tier_names: frozenset[str], known_regions: set[str] | None
) -> AlertsConfig:
    if table.has("reminder_hours") and table.has("repeat_interval_hours"):
        table.problems.add((*table.path, "reminder_hours"), MSG_TWO_NAMES)
    repeat_key = "reminder_hours" if table.has("reminder_hours") else "repeat_interval_hours"
    repeat = table.number(repeat_key, 4.0, minimum=0, exclusive=True)
    defaults = AlertsConfig()
    policy = {
        "group_by": _labels(table, "group_by", defaults.group_by),
        "group_wait_seconds": table.number("group_wait_seconds", minimum=0),
        "group_interval_minutes": table.number("group_interval_minutes", minimum=0),
        "max_new_groups": table.integer("max_new_groups", minimum=1),
        "resolve_minutes": table.number("resolve_minutes", minimum=0),
    }
    policy = {key: value for key, value in policy.items() if value is not None}
    routes = parse_routes(table, tier_names, known_regions)
    inhibit = parse_inhibit(table)
    rules_table = table.table("rules")
    rules: dict[str, RuleConfig] = {}
    for name, value in rules_table.items():
        if name not in ALERT_RULE_NAMES:
            message = unknown_key_message(name, ALERT_RULE_NAMES, MSG_UNKNOWN_RULE)
            table.problems.add((*rules_table.path, name), message)
        elif not isinstance(value, dict):
            table.problems.wrong_type((*rules_table.path, name), "a table", value)
        else:
            rule_table = rules_table.table(name, RULE_KEYS)
            rules[name] = RuleConfig(**_rule_settings(rule_table, name))
            rule_table.finish()
    overrides: list[RuleOverride] = []
    segments: dict[tuple[str, str | None, str | None], int] = {}
    for index, item in enumerate(table.array("overrides")):
        path = (*table.path, "overrides", index)
        if not isinstance(item, dict):
            table.problems.wrong_type(path, "a table", item)
            continue
        entry = Table(table.problems, item, path, OVERRIDE_KEYS)
        override = _override(entry, tier_names, known_regions)
        entry.finish()
        if override is None:
            continue
        segment = (override.rule, override.region, override.tier)
        if segment in segments:
            table.problems.add(path, MSG_OVERRIDE_DUPLICATE.format(other=segments[segment]))
            continue
        segments[segment] = index
        overrides.append(override)
    table.finish()
    return AlertsConfig(
        repeat_interval_hours=4.0 if repeat is None else repeat,
        rules=MappingProxyType(rules),
        overrides=tuple(overrides),
        routes=routes,
        inhibit=(*defaults.inhibit, *inhibit),
        **policy,
    )


def _override(
    entry: Table, tier_names: frozenset[str], known_regions: set[str] | None
) -> RuleOverride | None:
    problems_before = len(entry.problems.items)
    rule = entry.string("rule", required=True)
    if rule is not None and rule not in ALERT_RULE_NAMES:
        message = unknown_key_message(rule, ALERT_RULE_NAMES, MSG_NOT_A_RULE.format(value=rule))
        entry.problems.add((*entry.path, "rule"), message)
    elif rule == "sync_stale":
        entry.problems.add((*entry.path, "rule"), MSG_OVERRIDE_UNSEGMENTED)
    region = entry.string("region")
    if region is not None and known_regions is not None and region not in known_regions:
        entry.problems.add((*entry.path, "region"), MSG_UNKNOWN_REGION.format(value=region))
    tier = entry.string("tier")
    if tier is not None and tier not in tier_names:
        known = ", ".join(sorted(tier_names))
        entry.problems.add((*entry.path, "tier"), MSG_UNKNOWN_TIER.format(value=tier, known=known))
    if not entry.has("region") and not entry.has("tier"):
        entry.problems.add(entry.path, MSG_OVERRIDE_NO_SEGMENT)
    settings = _rule_settings(entry, rule)
    if not any(entry.has(key) for key in RULE_KEYS):
        entry.problems.add(entry.path, MSG_OVERRIDE_NOTHING)
    if len(entry.problems.items) != problems_before or rule is None:
        return None
    return RuleOverride(rule=rule, region=region, tier=tier, **settings)
