"""The Acknowledge / Snooze buttons of an alert message (pure: no I/O, no Django).

A firing (or reminder) message carries one ``actions`` block with three Block Kit buttons when
``SLACK_SIGNING_SECRET`` is set (``alerts.notices.render`` decides). Each button's ``value``
names the incidents it acts on, as a list, so a message about several incidents (a group) can
carry the same buttons: compact JSON ``{"incidents": [[id, episode], …]}``. The episode makes a
button on an old message act on that episode only: an acknowledge of an episode that has
resolved meanwhile changes nothing.

``POST /slack/interactions`` (``dashboards.ops.slack_interactions``) reads ``action_id`` and
``value`` back with ``parse_value`` and applies them through ``alerts.actions``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

ACTION_ACKNOWLEDGE = "rh_ack"
SNOOZE_ACTIONS: Mapping[str, timedelta] = {
    "rh_snooze_1h": timedelta(hours=1),
    "rh_snooze_4h": timedelta(hours=4),
}
ACTION_IDS = frozenset({ACTION_ACKNOWLEDGE, *SNOOZE_ACTIONS})
BLOCK_ID = "rh_incident_actions"
MAX_VALUE = 2000  # Slack's limit for a button value
MSG_BAD_VALUE = "not a Routing Health button value: {value!r}"


@dataclass(frozen=True)
class IncidentRef:
    """One incident a button acts on: its row id and the episode the message was about."""

    incident_id: int
    episode: int


def button_value(refs: Iterable[tuple[int, int] | IncidentRef]) -> str:
    """The ``value`` of a button acting on ``refs`` ((incident id, episode) pairs)."""
    pairs = [
        [r.incident_id, r.episode] if isinstance(r, IncidentRef) else [int(r[0]), int(r[1])]
        for r in refs
    ]
    if not pairs:
        raise ValueError("a button must act on at least one incident")
    value = json.dumps({"incidents": pairs}, separators=(",", ":"))
    if len(value) > MAX_VALUE:
        raise ValueError(f"too many incidents for one button ({len(pairs)})")
    return value


def parse_value(value: object) -> tuple[IncidentRef, ...]:
    """The incidents a button ``value`` names; ``ValueError`` when it is not one of ours."""
    try:
        data = json.loads(value) if isinstance(value, str) and len(value) <= MAX_VALUE else None
    except ValueError:
        data = None
    pairs = data.get("incidents") if isinstance(data, dict) else None
    if not isinstance(pairs, list) or not pairs:
        raise ValueError(MSG_BAD_VALUE.format(value=value))
    refs = []
    for pair in pairs:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(type(n) is int and n > 0 for n in pair)
        ):
            raise ValueError(MSG_BAD_VALUE.format(value=value))
        refs.append(IncidentRef(pair[0], pair[1]))
    return tuple(refs)


def _button(action_id: str, label: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def actions_block(refs: Iterable[tuple[int, int] | IncidentRef]) -> dict[str, Any]:
    """The ``actions`` block: Acknowledge, Snooze 1 h, Snooze 4 h, all acting on ``refs``."""
    value = button_value(refs)
    return {
        "type": "actions",
        "block_id": BLOCK_ID,
        "elements": [
            _button(ACTION_ACKNOWLEDGE, "Acknowledge", value, "primary"),
            _button("rh_snooze_1h", "Snooze 1 h", value),
            _button("rh_snooze_4h", "Snooze 4 h", value),
        ],
    }
