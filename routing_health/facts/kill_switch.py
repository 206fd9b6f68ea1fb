"""The routing kill switch as the metric engine and the pages need it (spec section 10): the
intervals it was ON (``MetricParams.kill_switch_on``) and its state at an instant."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models.signals import post_save
from django.dispatch import receiver

from routing_health.config import RoutingConfig
from routing_health.metrics.params import MetricParams
from routing_health.models import KillSwitchChange, SyncRun
from routing_health.sync.kill_switch import NAME as SYNC_NAME

Interval = tuple[datetime, datetime | None]


def on_intervals(changes: list[tuple[datetime, bool]]) -> tuple[Interval, ...]:
    """``[start, end)`` intervals in which the switch was ON, from its changes in time order
    (``end`` None: still on)."""
    found: list[Interval] = []
    start: datetime | None = None
    for at, is_on in changes:
        if is_on and start is None:
            start = at
        elif not is_on and start is not None:
            if at > start:
                found.append((start, at))
            start = None
    if start is not None:
        found.append((start, None))
    return tuple(found)


# A page builds the engine's parameters several times (equal-age comparisons, flow checks,
# drivers); the switch's changes are read once per MEMO_SECONDS per process instead. The sync
# forgets them in its own process when it stores a change (``forget_changes``, connected when
# the app is ready); another process
# sees a change at most MEMO_SECONDS late, and the next compute (whose parameter fingerprint then
# differs) recomputes every lead with it.
MEMO_SECONDS = 60.0
_memo: dict[str, tuple[float, list[tuple[datetime, bool]]]] = {}


def stored_changes() -> list[tuple[datetime, bool]]:
    now = time.monotonic()
    held = _memo.get("changes")
    if held is not None and now - held[0] < MEMO_SECONDS:
        return held[1]
    changes = list(KillSwitchChange.objects.order_by("changed_at", "id")
                   .values_list("changed_at", "is_on"))
    _memo["changes"] = (now, changes)
    return changes


@receiver(post_save, sender=KillSwitchChange)
def forget_changes(**_kwargs: object) -> None:
    """A stored change (the sync, in this process) makes the next read fresh."""
    _memo.clear()


def with_kill_switch(params: MetricParams, config: RoutingConfig) -> MetricParams:
    """``params`` with the stored ON intervals and the triage owners, when the configuration
    names a kill switch; unchanged otherwise."""
    switch = config.change_safety.kill_switch
    if switch is None:
        return params
    return replace(params, kill_switch_on=on_intervals(stored_changes()),
                   triage_owners=switch.triage_owners)


@dataclass(frozen=True)
class SwitchState:
    """The switch at an instant: ``is_on`` None when never read (``problem`` says why)."""

    configured: bool
    is_on: bool | None = None
    since: datetime | None = None
    changed_by: str = ""
    observed_at: datetime | None = None
    problem: str = ""
    sobject: str = ""
    field: str = ""

    def on_for_hours(self, as_of: datetime) -> float | None:
        if not self.is_on or self.since is None:
            return None
        return max((as_of - self.since).total_seconds(), 0.0) / 3600


def switch_state(config: RoutingConfig, as_of: datetime) -> SwitchState:
    """The kill switch's state at ``as_of`` (the latest change at or before it)."""
    switch = config.change_safety.kill_switch
    if switch is None:
        return SwitchState(configured=False)
    last_run = (SyncRun.objects.filter(object_name=SYNC_NAME).exclude(finished_at=None)
                .order_by("-finished_at", "-id").first())
    problem = last_run.error if last_run is not None and last_run.error else ""
    change = (KillSwitchChange.objects.filter(changed_at__lte=as_of)
              .order_by("-changed_at", "-id").first())
    if change is None:
        return SwitchState(True, problem=problem or "not read yet", sobject=switch.sobject,
                           field=switch.field)
    return SwitchState(True, change.is_on, change.changed_at, change.changed_by,
                       change.observed_at, problem, switch.sobject, switch.field)


def switch_changes(config: RoutingConfig, start: datetime, end: datetime
                   ) -> list[KillSwitchChange]:
    """The changes in ``[start, end]`` (drawn on Trends like flow activations)."""
    if config.change_safety.kill_switch is None:
        return []
    return list(KillSwitchChange.objects.filter(changed_at__gte=start, changed_at__lte=end)
                .order_by("changed_at", "id"))
