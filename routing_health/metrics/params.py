"""The knobs of the routing model, as the metric engine needs them.

``MetricParams`` is a plain frozen value: the configuration loader builds it from the TOML file
(spec section 2.2); the engine only reads it. Ids are 18-character Salesforce Ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from routing_health.lib.calendar import Calendar

SlaMinutes = tuple[float, float]
"""``(assign_minutes, touch_minutes)`` of one tier."""


@dataclass(frozen=True)
class MetricParams:
    """Everything about how this org routes that the metrics depend on.

    - ``holding``: owner Ids meaning "not routed yet" (integration user, holding queue).
    - ``fallback``: owner Ids meaning "routing failed" (triage queue, default owner).
      An Id listed in both is treated as holding.
    - ``accepted_statuses`` / ``rejected_statuses`` / ``closed_statuses``: Lead status values.
    - ``routing_grace_minutes``: an unrouted lead strictly older than this has failed.
    - ``bounce_hours``: an owner change within this (inclusive) after rep assignment is a bounce.
    - ``accept_hours``: acceptance must happen within this (inclusive) after rep assignment.
    - ``queue_age_limit_hours``: a queued lead strictly older than this in its queue is "over".
    - ``tier_sla``: tier name -> ``(assign_minutes, touch_minutes)``.
    - ``default_tier_sla``: the SLA of a tier missing from ``tier_sla`` (or an empty tier).
    - ``report_timezone``: IANA name; day and week boundaries are local dates in it.
    - ``calendars``: business-hours calendar name -> ``Calendar`` (spec section 10).
    - ``region_calendars``: region -> calendar name. A lead whose region is not listed, or is
      mapped to a name missing from ``calendars``, has no calendar: its business clocks are its
      wall clocks.
    - ``kill_switch_on``: the intervals ``[start, end)`` (UTC, aware; ``end`` ``None`` = still
      on) in which the routing kill switch was ON (spec section 10). A lead whose routed owner
      is a triage owner and who was routed inside one, with no failed node, has the outcome
      ``triaged`` instead of ``failed``.
    - ``triage_owners``: the owners that mean "sent to triage" while the switch is on; empty
      means every ``fallback`` owner.
    """

    holding: frozenset[str] = frozenset()
    fallback: frozenset[str] = frozenset()
    accepted_statuses: frozenset[str] = frozenset()
    rejected_statuses: frozenset[str] = frozenset()
    closed_statuses: frozenset[str] = frozenset()
    routing_grace_minutes: float = 60.0
    bounce_hours: float = 168.0
    accept_hours: float = 24.0
    queue_age_limit_hours: float = 24.0
    tier_sla: Mapping[str, SlaMinutes] = field(default_factory=lambda: MappingProxyType({}))
    default_tier_sla: SlaMinutes = (240.0, 1440.0)
    report_timezone: str = "UTC"
    calendars: Mapping[str, Calendar] = field(default_factory=lambda: MappingProxyType({}))
    region_calendars: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    kill_switch_on: tuple[tuple[datetime, datetime | None], ...] = ()
    triage_owners: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Freeze the containers so a shared params object cannot be mutated behind the engine.
        for name in (
            "holding",
            "fallback",
            "accepted_statuses",
            "rejected_statuses",
            "closed_statuses",
            "triage_owners",
        ):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        sla = {str(k): (float(v[0]), float(v[1])) for k, v in dict(self.tier_sla).items()}
        object.__setattr__(self, "tier_sla", MappingProxyType(sla))
        assign, touch = self.default_tier_sla
        object.__setattr__(self, "default_tier_sla", (float(assign), float(touch)))
        object.__setattr__(self, "calendars", MappingProxyType(dict(self.calendars)))
        regions = {str(k): str(v) for k, v in dict(self.region_calendars).items()}
        object.__setattr__(self, "region_calendars", MappingProxyType(regions))
        object.__setattr__(self, "kill_switch_on", tuple(
            (start, end) for start, end in self.kill_switch_on))
        for start, end in self.kill_switch_on:
            if start.tzinfo is None or (end is not None and end.tzinfo is None):
                raise ValueError("kill_switch_on intervals must be timezone-aware")

    @property
    def triage(self) -> frozenset[str]:
        """The owners a lead is triaged to while the kill switch is on."""
        return self.triage_owners or self.fallback

    def calendar_for(self, region: str | None) -> Calendar | None:
        """The business-hours calendar of a region; ``None`` means wall-clock time."""
        name = self.region_calendars.get(region or "")
        return None if name is None else self.calendars.get(name)

    def sla_for(self, tier: str | None) -> SlaMinutes:
        """The ``(assign_minutes, touch_minutes)`` of a tier, the default one when unknown."""
        if tier is None:
            return self.default_tier_sla
        return self.tier_sla.get(tier, self.default_tier_sla)

    def __hash__(self) -> int:
        return hash(
            (
                self.holding,
                self.fallback,
                self.accepted_statuses,
                self.rejected_statuses,
                self.closed_statuses,
                self.routing_grace_minutes,
                self.bounce_hours,
                self.accept_hours,
                self.queue_age_limit_hours,
                tuple(sorted(self.tier_sla.items())),
                self.default_tier_sla,
                self.report_timezone,
                tuple(sorted(self.calendars.items())),
                tuple(sorted(self.region_calendars.items())),
                self.kill_switch_on,
                self.triage_owners,
            )
        )
