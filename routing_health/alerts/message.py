"""What an alert notification says, independent of Slack (or any other channel).

The alert engine fills an `AlertMessage`; `alerts.slack_blocks.build_payload` turns it into Block
Kit. Every string here may come from Salesforce (segment values, failure reasons, lead names) and
is stored raw: escaping is the renderer's job, because each channel escapes differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routing_health.metrics.catalog import Unit

AlertKind = Literal["firing", "reminder", "resolved"]
ValueFormat = Unit  # the metric catalog's units: count, rate (0..1), minutes, hours

ALERT_KINDS: frozenset[str] = frozenset(get_args(AlertKind))
VALUE_FORMATS: frozenset[str] = frozenset(get_args(ValueFormat))


@dataclass(frozen=True)
class RecordLink:
    """One example record: a Lead Id (15 or 18 characters) and a human label (name or company)."""

    lead_id: str
    label: str


@dataclass(frozen=True, kw_only=True)
class AlertMessage:
    """One notification about one alert incident.

    - `kind`: "firing" (new incident), "reminder" (still firing) or "resolved".
    - `rule`: the rule name (e.g. "assignment_success"); `title`: a human sentence for the header.
    - `segment`: the fingerprint's segment in display order, e.g. {"region": "EMEA", "tier": "hot"};
      empty for all leads.
    - `value` / `threshold`: the measured value and the rule's threshold in the unit given by
      `value_format` ("rate": a 0..1 share, "minutes", "hours", "count"); `None` when undefined
      (an empty denominator, or a rule with no numeric threshold).
    - `comparison`: how the value breaks the threshold ("<", "<=", ">", ">="): the alert fires
      while `value <comparison> threshold`.
    - `window`: the cohort in plain words, e.g. "leads created in the last 24 h".
    - `failure_reasons`: (reason, lead count) pairs; `records`: example leads; `total_records`:
      how many leads are behind the alert (may exceed `len(records)`).
    - `dashboard_url`: the dashboard page for this alert (the segment is added as a filter).
    - `first_seen`: when the incident started; `as_of`: the evaluation time. Both aware UTC.
    - `value_label`: what the value is called (the metric catalog's label for a rule about an
      exported metric, e.g. "Assignment success"; "Value" otherwise).
    - `timezone`: the report timezone (IANA name) times are shown in, e.g. "Europe/Berlin".
    - `summary`: one sentence about the incident, shown first (a flow regression names the flow,
      both versions, who activated it, the failed nodes and how to roll back); "" for none.
    """

    kind: AlertKind
    rule: str
    title: str
    segment: Mapping[str, str] = field(hash=False)
    first_seen: datetime
    as_of: datetime
    value: float | None = None
    threshold: float | None = None
    comparison: str = ""
    window: str = ""
    value_format: ValueFormat = "count"
    failure_reasons: tuple[tuple[str, int], ...] = ()
    records: tuple[RecordLink, ...] = ()
    total_records: int = 0
    dashboard_url: str = ""
    consequences: tuple[str, ...] = ()  # what this incident inhibits (spec 6: root cause first)
    value_label: str = "Value"
    timezone: str = "UTC"
    summary: str = ""  # one sentence saying what happened and what to do (flow_regression)

    def __post_init__(self) -> None:
        if self.kind not in ALERT_KINDS:
            raise ValueError(f"kind must be one of {sorted(ALERT_KINDS)}, not {self.kind!r}")
        if self.value_format not in VALUE_FORMATS:
            raise ValueError(
                f"value_format must be one of {sorted(VALUE_FORMATS)}, not {self.value_format!r}"
            )
        for name in ("first_seen", "as_of"):
            moment = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"{name} must be a timezone-aware datetime")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone must be an IANA name, not {self.timezone!r}") from None
        if self.total_records < 0:
            raise ValueError("total_records must not be negative")
        # Freeze the containers so a message cannot change after it was rendered or queued.
        object.__setattr__(
            self,
            "segment",
            MappingProxyType(
                {str(k): "" if v is None else str(v) for k, v in self.segment.items()}
            ),
        )
        object.__setattr__(
            self,
            "failure_reasons",
            tuple((str(reason), int(count)) for reason, count in self.failure_reasons),
        )
        object.__setattr__(self, "records", tuple(self.records))

    @property
    def duration(self) -> timedelta:
        """How long the incident has lasted at `as_of` (never negative)."""
        return max(self.as_of - self.first_seen, timedelta(0))
