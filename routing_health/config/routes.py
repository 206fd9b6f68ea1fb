"""``[[alerts.routes]]`` and ``[[alerts.inhibit]]``: where alert groups go, and what a cause
silences (spec section 6, modelled on Alertmanager's routing tree and inhibit rules)."""

from __future__ import annotations

import re
from typing import Any

from routing_health.config.model import (
    ALERT_RULE_NAMES,
    GROUP_LABELS,
    SEVERITIES,
    InhibitRule,
    Route,
)
from routing_health.config.reader import KeyPath, Table

ROUTE_KEYS = ("region", "tier", "rule", "severity", "slack_channel", "email", "continue")
INHIBIT_KEYS = ("source_rule", "target_rules", "equal")
INHIBIT_SOURCES = ALERT_RULE_NAMES
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_CHANNEL = re.compile(r"^#?[\w.-]{1,80}$")

MSG_ROUTE_NOWHERE = "a route needs slack_channel and/or email"
MSG_BAD_EMAIL = "{value!r} is not an e-mail address"
MSG_BAD_CHANNEL = "{value!r} is not a Slack channel (an id such as C0123ABCD or a #name)"
MSG_UNKNOWN_VALUE = "unknown {what} {value!r} (known: {known})"
MSG_STRING_OR_LIST = "a string or an array of strings"
MSG_BAD_EQUAL = "cannot compare {value!r} (expected some of: region, tier, rule, severity)"


def _matcher(
    table: Table, key: str, known: frozenset[str] | set[str] | None, what: str
) -> tuple[str, ...]:
    """A route matcher: one string or a list of them, each a ``known`` value when given."""
    raw = table.raw(key)
    if raw is None:
        return ()
    values: list[str] = []
    items = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
    if items is None:
        table.problems.wrong_type((*table.path, key), MSG_STRING_OR_LIST, raw)
        return ()
    for index, item in enumerate(items):
        path: KeyPath = (*table.path, key) if isinstance(raw, str) else (*table.path, key, index)
        if not isinstance(item, str) or not item.strip():
            table.problems.wrong_type(path, "a non-empty string", item)
        elif known is not None and item not in known:
            listed = ", ".join(sorted(known))
            table.problems.add(path, MSG_UNKNOWN_VALUE.format(what=what, value=item, known=listed))
        else:
            values.append(item)
    return tuple(values)


def _emails(table: Table) -> tuple[str, ...]:
    addresses = _matcher(table, "email", None, "address")
    for address in addresses:
        if not _EMAIL.match(address):
            table.problems.add((*table.path, "email"), MSG_BAD_EMAIL.format(value=address))
    return tuple(a for a in addresses if _EMAIL.match(a))


def parse_routes(
    alerts: Table, tier_names: frozenset[str], known_regions: set[str] | None
) -> tuple[Route, ...]:
    routes: list[Route] = []
    for index, item in enumerate(alerts.array("routes")):
        path = (*alerts.path, "routes", index)
        if not isinstance(item, dict):
            alerts.problems.wrong_type(path, "a table", item)
            continue
        entry = Table(alerts.problems, item, path, ROUTE_KEYS)
        before = len(entry.problems.items)
        channel = entry.string("slack_channel")
        if channel is not None and not _CHANNEL.match(channel):
            entry.problems.add((*path, "slack_channel"), MSG_BAD_CHANNEL.format(value=channel))
        route = Route(
            region=_matcher(entry, "region", known_regions, "region"),
            tier=_matcher(entry, "tier", tier_names, "tier"),
            rule=_matcher(entry, "rule", frozenset(ALERT_RULE_NAMES), "rule"),
            severity=_matcher(entry, "severity", frozenset(SEVERITIES), "severity"),
            slack_channel=channel,
            email=_emails(entry),
            continue_=bool(entry.boolean("continue")),
        )
        if not entry.has("slack_channel") and not entry.has("email"):
            entry.problems.add(path, MSG_ROUTE_NOWHERE)
        entry.finish()
        if len(entry.problems.items) == before:
            routes.append(route)
    return tuple(routes)


def parse_inhibit(alerts: Table) -> tuple[InhibitRule, ...]:
    rules: list[InhibitRule] = []
    known = frozenset(INHIBIT_SOURCES)
    for index, item in enumerate(alerts.array("inhibit")):
        path = (*alerts.path, "inhibit", index)
        if not isinstance(item, dict):
            alerts.problems.wrong_type(path, "a table", item)
            continue
        entry = Table(alerts.problems, item, path, INHIBIT_KEYS)
        before = len(entry.problems.items)
        source = entry.string("source_rule", required=True)
        if source is not None and source not in known:
            listed = ", ".join(INHIBIT_SOURCES)
            message = MSG_UNKNOWN_VALUE.format(what="rule", value=source, known=listed)
            entry.problems.add((*path, "source_rule"), message)
        targets = _matcher(entry, "target_rules", frozenset(ALERT_RULE_NAMES), "rule")
        equal = _equal(entry)
        entry.finish()
        if source is not None and len(entry.problems.items) == before:
            rules.append(InhibitRule(source, targets, equal))
    return tuple(rules)


def _equal(entry: Table) -> tuple[str, ...]:
    labels: list[Any] = []
    for index, label in enumerate(entry.string_list("equal")):
        if label not in GROUP_LABELS:
            entry.problems.add((*entry.path, "equal", index), MSG_BAD_EQUAL.format(value=label))
        else:
            labels.append(label)
    return tuple(labels)
