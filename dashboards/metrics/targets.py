"""Targets and status levels of the metric pages, and the firing incidents shown beside them.

A metric's target is, in order: the threshold of the alert rule that measures it
(``routing_health.alerts.rules``: ``effective_rule`` with the configured thresholds and
per-segment overrides); the tier SLA its catalog row is judged against (``target_setting``);
its catalog ``default_target``. Its direction is the catalog's ``better``; every number reads
through the one formatter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse

from dashboards.filters import Filters
from dashboards.metrics.data import ordered_tiers
from dashboards.metrics.specs import (
    LEVEL_ORDER,
    LEVEL_WORDS,
    METRICS,
    Clock,
    Metrics,
    MetricSpec,
)
from routing_health.alerts.grouping import key_of, labels_of
from routing_health.alerts.rules import RULES, effective_rule, tier_sla
from routing_health.alerts.slack_blocks import value_text as alert_value_text
from routing_health.config import RoutingConfig
from routing_health.config.model import SEVERITIES
from routing_health.lib.format import NO_DATA, format_count, format_hours, format_value
from routing_health.metrics import catalog
from routing_health.models import AlertIncident

TIER_SLA_TEXT = "≤ tier SLA"
SLA_ORIGINS = {catalog.ASSIGN_SLA: "tier assignment SLA", catalog.TOUCH_SLA: "tier first-touch SLA"}
RULE_OF_METRIC = {rule.metric: rule.name for rule in RULES.values()}
"""Catalog metric → the alert rule that measures it (rules on other quantities left out)."""


@dataclass(frozen=True)
class Target:
    """A target and its warning bound (see the module doc), in the metric's unit."""

    threshold: float
    higher_is_better: bool
    warn_bound: float
    unit: str
    origin: str  # where the number comes from, for the tooltip
    wording: str = ""  # replaces "≤ <threshold>" when set

    @property
    def text(self) -> str:
        if self.wording:
            return self.wording
        return ("≥ " if self.higher_is_better else "≤ ") + format_value(self.threshold, self.unit)

    def level(self, value: float | None) -> str:
        if value is None:
            return "neutral"
        if self.higher_is_better:
            if value >= self.threshold:
                return "ok"
            return "warn" if value >= self.warn_bound else "breach"
        if value <= self.threshold:
            return "ok"
        return "warn" if value <= self.warn_bound else "breach"

    def score(self, value: float | None) -> float | None:
        """How far ``value`` misses the target: 0 meets it, 0.5 at the warning bound, 1 at
        twice that or worse (a finite colour scale for heatmaps)."""
        if value is None:
            return None
        if self.higher_is_better:
            miss, span = self.threshold - value, self.threshold - self.warn_bound
        else:
            miss, span = value - self.threshold, self.warn_bound - self.threshold
        if miss <= 0:
            return 0.0
        if not math.isfinite(span) or span <= 0:
            return 0.75  # a target of "none" (e.g. none over the queue limit): any miss shows
        return min(1.0, miss / (2 * span))


def _bounded(threshold: float, row: catalog.Metric, origin: str) -> Target:
    if row.better == "higher":
        return Target(threshold, True, max(0.0, 2 * threshold - 1), row.unit, origin)
    return Target(threshold, False, 2 * threshold, row.unit, origin)


def metric_target(
    key: str, config: RoutingConfig, *, region: str | None, tier: str | None
) -> Target | None:
    """The target of the wall-clock metric ``key`` for a segment (``None``: all): see the
    module docstring for where it comes from. ``None`` for a volume or a metric without one."""
    row = catalog.metric(key)
    if row.better == "none":
        return None
    tier_clock = row.target_setting in (catalog.ASSIGN_SLA, catalog.TOUCH_SLA)
    rule = RULE_OF_METRIC.get(key)
    if rule is not None:
        threshold = effective_rule(config, rule, region, tier).threshold
        return _bounded(threshold, row, f"alert rule {rule}" + (" (tier SLA)" * tier_clock))
    if tier_clock:
        sla = tier_sla(config, tier)
        threshold = getattr(sla, str(row.target_setting))
        return _bounded(threshold, row, SLA_ORIGINS[str(row.target_setting)])
    if row.default_target is None:
        return None
    if row.default_target == 0 and row.unit == "count":
        limit = format_hours(config.windows.queue_age_limit_hours)
        words = METRICS[key].target_words.format(limit=limit) if key in METRICS else ""
        return Target(0, False, math.inf, "count", "queue-age limit", words or "none")
    return _bounded(row.default_target, row, "dashboard target")


@dataclass(frozen=True)
class TierCheck:
    tier: str
    value_text: str
    target_text: str
    level: str


@dataclass(frozen=True)
class Assessment:
    """A value against its target: level (ok, warn, breach, neutral) and words."""

    level: str
    label: str
    target_text: str
    origin: str = ""
    tiers: tuple[TierCheck, ...] = ()


def worst(levels: Iterable[str]) -> str:
    return max(levels, key=LEVEL_ORDER.__getitem__, default="neutral")


def assess(
    spec: MetricSpec,
    value: float | None,
    *,
    config: RoutingConfig,
    region: str | None,
    tier: str | None,
    by_tier: Mapping[Any, Metrics] | None = None,
    clock: Clock | None = None,
) -> Assessment:
    """``value`` of ``spec`` (read on ``clock``) against its target in the segment.

    A metric whose target is the tier SLA, over several tiers (no tier filter), is judged tier
    by tier from ``by_tier``: the worst tier sets the level, and the label names it.
    """
    if spec.tier_sla and tier is None and by_tier:
        key = clock.key(spec.key) if clock else spec.key
        checks = []
        for name, metrics in by_tier.items():
            if name is None or metrics.get(key) is None:
                continue
            target = metric_target(spec.key, config, region=region, tier=name)
            if target is None:
                continue
            checks.append(
                TierCheck(
                    str(name),
                    catalog.format_metric(key, metrics[key]),
                    target.text,
                    target.level(metrics[key]),
                )
            )
        if value is None or not checks:
            return Assessment("neutral", NO_DATA, TIER_SLA_TEXT)
        order = {name: i for i, name in enumerate(ordered_tiers((c.tier for c in checks), config))}
        checks.sort(key=lambda c: order[c.tier])
        level = worst(c.level for c in checks)
        culprits = [c.tier for c in checks if c.level == level]
        label = LEVEL_WORDS[level]
        if level != "ok":
            if len(culprits) == len(checks) > 1:
                label += " · every tier"
            elif len(culprits) <= 2:
                label += " · " + ", ".join(culprits)
            else:
                label += f" · {len(culprits)} tiers"
        return Assessment(level, label, TIER_SLA_TEXT, "each tier against its SLA", tuple(checks))
    target = metric_target(spec.key, config, region=region, tier=tier)
    if target is None:
        return Assessment("neutral", LEVEL_WORDS["neutral"] if value is not None else NO_DATA, "")
    if value is None:
        return Assessment("neutral", NO_DATA, target.text, target.origin)
    level = target.level(value)
    return Assessment(level, LEVEL_WORDS[level], target.text, target.origin)


def detail(spec: MetricSpec, metrics: Mapping[str, Any]) -> str:
    """The counts behind a value: ``"12 bounced of 112 assigned"``, ``"112 assigned"``."""
    base = sum(metrics.get(name) or 0 for name in spec.base) if spec.base else None
    count = format_count(metrics.get(spec.count) or 0)
    if spec.count and base is not None:
        return f"{count} of {format_count(base)} {spec.base_words}"
    if spec.count:
        return f"{count} {spec.count}"
    if base is not None:
        return f"over {format_count(base)} {spec.base_words}"
    return ""


COMPARISON_SIGNS = {">=": "≥", "<=": "≤"}
PAGE_LABELS = {
    "/failures": "Failures",
    "/segments": "Segments",
    "/queues": "Queues",
    "/reps": "Reps",
    "/health": "Health",
    "/trends": "Trends",
}


@dataclass(frozen=True)
class IncidentLine:
    """One firing incident as the "What's broken now" panel shows it."""

    id: int
    rule: str
    title: str
    region: str
    tier: str
    failure_reason: str
    value_text: str
    threshold_text: str
    comparison: str
    since: datetime
    snoozed: bool
    href: str
    page_label: str
    records_href: str
    summary: str = ""  # the incident's sentence (a flow regression: what changed, how to undo)
    caused_by: str = ""  # the title of the firing cause it is shown under (inhibit rules)

    @property
    def segment(self) -> str:
        return " · ".join(p for p in (self.region, self.tier) if p) or "All leads"


def firing_words(shown: int, more: int) -> str:
    """The "What's broken now" count in plain words: ``"16 alerts firing, the first 8 shown"``
    (``shown`` listed here, ``more`` only on the Alerts page), ``"1 alert firing"``."""
    total = shown + more
    words = f"{format_count(total)} alert{'' if total == 1 else 's'} firing"
    return f"{words}, the first {format_count(shown)} shown" if more else words


def problems_first(
    incidents: Iterable[AlertIncident], group_by: Sequence[str]
) -> list[AlertIncident]:
    """``incidents`` (already in display order) with each alert group's worst incident first:
    the one its Slack message leads with (severity, then leads affected; spec section 6), the
    groups in that same order; then the others in their order. So each problem paged shows
    once at the top instead of one problem filling the first lines. Only incidents that page
    lead a group (not inhibited by another, not ``info``), as in ``firing_by_group``."""
    ordered = list(incidents)
    severity = {name: i for i, name in enumerate(SEVERITIES)}

    def rank(incident: AlertIncident) -> tuple[int, int]:
        leads = int((incident.details or {}).get("total_leads") or 0)
        return severity.get(incident.severity, len(severity)), -leads

    worst: dict[str, AlertIncident] = {}
    for incident in ordered:
        if incident.inhibited_by or incident.severity == "info":
            continue
        key = key_of(labels_of(incident, group_by))
        if key not in worst or rank(incident) < rank(worst[key]):
            worst[key] = incident
    leading = sorted(worst.values(), key=lambda i: (rank(i), ordered.index(i)))
    chosen = {id(i) for i in leading}
    return leading + [i for i in ordered if id(i) not in chosen]


def incident_lines(
    incidents: Iterable[AlertIncident],
    filters: Filters,
    *,
    now: datetime,
    group_by: Sequence[str] | None = None,
) -> list[IncidentLine]:
    """Firing incidents in the filters' region and tier (an incident over all leads always
    shows), each linked to its rule's page filtered to the incident's segment. A flow
    regression first (the root cause of what follows it, spec section 10), then routing
    failures (the rules' order in spec section 6), then the oldest first; with ``group_by``
    (the configured alert grouping), each group's worst incident comes first
    (``problems_first``); an incident shown under a firing cause names it."""
    order = {name: i for i, name in enumerate(RULES)}
    order["flow_regression"] = -1
    incidents = list(incidents)
    titles = {i.fingerprint: str((i.details or {}).get("title") or i.rule) for i in incidents}
    lines = []
    ordered = sorted(incidents, key=lambda i: (order.get(i.rule, len(order)), i.first_seen, i.pk))
    if group_by is not None:
        ordered = problems_first(ordered, group_by)
    for incident in ordered:
        if filters.region and incident.region not in ("", filters.region):
            continue
        if filters.tier and incident.tier not in ("", filters.tier):
            continue
        spec = RULES.get(incident.rule)
        unit = spec.value_format if spec else "count"  # a rule's value may be no catalog metric
        path = spec.dashboard_path if spec else "/alerts"
        segment = {k: v for k, v in (("region", incident.region), ("tier", incident.tier)) if v}
        unfiltered = Filters(start=filters.start, end=filters.end)
        query = unfiltered.querystring(**segment)
        records = dict(segment, outcome="failed")
        # A flow regression's "reason" is the flow's API name, not a failure reason.
        reason = "" if incident.rule == "flow_regression" else incident.failure_reason
        if reason:
            records["failure_reason"] = reason
        lines.append(
            IncidentLine(
                id=incident.pk,
                rule=incident.rule,
                title=spec.title if spec else incident.rule,
                region=incident.region,
                tier=incident.tier,
                failure_reason=reason,
                # As the alert's message and the Alerts page show them (one formatter).
                value_text=alert_value_text(incident.current_value, unit),
                threshold_text=alert_value_text(incident.threshold, unit),
                comparison=COMPARISON_SIGNS.get(incident.comparison, incident.comparison),
                since=incident.first_seen,
                snoozed=bool(incident.snoozed_until and incident.snoozed_until > now),
                href=path + query,
                page_label=PAGE_LABELS.get(path, "Alerts"),
                records_href=reverse("leads") + unfiltered.querystring(**records)
                if reason or incident.rule in ("assignment_success", "flow_regression")
                else "",
                summary=str((incident.details or {}).get("summary") or ""),
                caused_by=titles.get(incident.inhibited_by, "") if incident.inhibited_by else "",
            )
        )
    return lines
