"""The stored data of the ``flow_regression`` check (``routing_health.alerts.flow_regression``):
the latest activation of each ``[change_safety]`` flow, and the lead facts of both sides."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from routing_health.alerts.flow_regression import Activation, SegmentCheck, check_activation
from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.facts.frames import load_frames
from routing_health.metrics import lead_facts_of
from routing_health.metrics.params import MetricParams
from routing_health.models import FlowVersionChange

_INCLUSIVE = timedelta(microseconds=1)  # load_frames' window is half-open


def latest_activation(flow: str, as_of: datetime) -> Activation | None:
    """The flow's latest version change at or before ``as_of`` when it activated a version
    (a deactivation, or no change stored: ``None``)."""
    change = (FlowVersionChange.objects.filter(flow_api_name=flow, changed_at__lte=as_of)
              .order_by("-changed_at", "-id").first())
    if change is None or not change.new_active_version_id:
        return None
    return Activation(
        flow=flow, at=change.changed_at, new_version_id=change.new_active_version_id,
        old_version_id=change.old_active_version_id, new_version=change.new_version_number,
        old_version=change.old_version_number, activated_by=change.activated_by,
        label=change.label, old_inferred=change.old_version_inferred,
    )


def watched_activations(config: RoutingConfig, as_of: datetime) -> list[Activation]:
    """The activations the check compares at ``as_of`` (at most ``MAX_WATCH`` old)."""
    found = [latest_activation(flow, as_of) for flow in config.change_safety.flows]
    return [a for a in found if a is not None and a.watched(as_of)]


def _facts(params: MetricParams, start: datetime, end: datetime) -> pd.DataFrame:
    """Lead facts of the leads created in ``[start, end]``, as of ``end``."""
    frames = load_frames(created_from=start, created_to=end + _INCLUSIVE, as_of=end)
    return lead_facts_of(frames, params, end)


def checks_by_activation(config: RoutingConfig, as_of: datetime
                         ) -> list[tuple[Activation, list[SegmentCheck]]]:
    """Each watched activation at ``as_of`` with its segment checks (none: no lead on either
    side yet)."""
    activations = watched_activations(config, as_of)
    if not activations:
        return []
    params = resolved_params(config)
    found = []
    for activation in activations:
        after, before = activation.windows(as_of, config.change_safety.window_hours)
        found.append((activation, check_activation(
            activation, _facts(params, *after), _facts(params, *before), config,
            weeks=activation.baseline_weeks(as_of))))
    return found


def check_flows(config: RoutingConfig, as_of: datetime) -> list[SegmentCheck]:
    """Every segment check of every watched activation at ``as_of``."""
    return [check for _, checks in checks_by_activation(config, as_of) for check in checks]
