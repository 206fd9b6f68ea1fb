"""Rule evaluation: lead facts in, findings out. Pure: no Django, no I/O, ``as_of`` passed in.

``evaluate_facts(facts, config, as_of)`` reads the frame of ``routing_health.metrics.lead_facts``
(one row per lead, ``FACT_COLUMNS``) and checks every data-derived rule of spec section 6 per
segment (region × tier, the lead's current values; an empty value is the segment ""), with the
settings of ``routing_health.alerts.rules.effective_rule``. Windows are relative to ``as_of``:
a rule with ``window_hours = w`` looks at the leads created in ``(as_of - w h, as_of]``.
``sync_stale`` is not about leads: ``evaluate_sync`` checks it from the sync bookkeeping.

Values follow the metric definitions of spec section 5 (the tests compare them with
``total_metrics``): each rule's measure (``routing_health.alerts.measures``) computes rates and
percentiles with ``routing_health.metrics.definitions``, as the engine does.

``volume_anomaly`` counts the leads created in the window that are *failed or not yet routed*
at the end of the window, and compares the count with the same window, same hour of the week,
in each of the 4 previous weeks (each judged at its own end, so a lead still waiting for the
router counts alike). It fires when the count is above ``max(min_sample, mean + threshold ×
stdev, 2 × mean)`` (sample stdev of the baseline weeks; defaults 3 leads and 3 stdevs); it stays
quiet while fewer than 2 baseline weeks lie after ``history_start``, the oldest stored lead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from routing_health.alerts.measures import MEASURES, Segment, read_leads
from routing_health.alerts.rules import (
    BASELINE_WEEKS,
    RULES,
    EffectiveRule,
    effective_rule,
    window_words,
)
from routing_health.config import RoutingConfig
from routing_health.rollups.freshness import SyncStatus, freshness_of


@dataclass(frozen=True)
class Finding:
    """One breaching rule for one segment (and, for ``routing_failures``, one failure reason).

    ``segment`` is ``{"region": …, "tier": …}`` (empty for a rule not per segment). ``value``
    breaks ``threshold`` by ``comparison`` over ``window`` (plain words); ``sample`` is the size
    of what the value is computed over. ``lead_ids`` are every lead behind the alert, worst
    first, with their ``labels`` (lead name, else company, else the Id); ``reasons`` are
    ``(reason, lead count)`` pairs, largest first: failure reasons for the routing rules,
    rejection reasons for ``rejection_rate``, queue names for ``queue_aging``.
    """

    fingerprint: str
    rule: str
    segment: Mapping[str, str] = field(hash=False)
    failure_reason: str | None
    value: float | None
    threshold: float | None
    comparison: str
    window: str
    sample: int
    lead_ids: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    reasons: tuple[tuple[str, int], ...] = ()
    window_hours: float | None = None
    severity: str = "warning"
    for_minutes: float = 0.0
    inhibited_by: str | None = None  # the fingerprint of the cause shown above it
    consequences: tuple[str, ...] = ()  # what this finding inhibits, in words
    summary: str = ""  # one sentence saying what happened (flow_regression)

    @property
    def region(self) -> str:
        return self.segment.get("region", "")

    @property
    def tier(self) -> str:
        return self.segment.get("tier", "")


@dataclass(frozen=True)
class Evaluation:
    """The result of one evaluation: ``findings`` (breaches) and ``values``: the current value of
    every fingerprint that was measured, breaching or not (for resolved notices)."""

    as_of: datetime
    findings: tuple[Finding, ...]
    values: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))
    rules: frozenset[str] = frozenset()
    leads: int = 0


def fingerprint(rule: str, region: str = "", tier: str = "", reason: str | None = None) -> str:
    """A stable 64-character key of rule + segment [+ failure reason]."""
    parts = [rule, region or "", tier or ""] + ([reason] if reason is not None else [])
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _segments(facts: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    region = facts["region"].astype(object).where(facts["region"].notna(), "").astype(str)
    tier = facts["tier"].astype(object).where(facts["tier"].notna(), "").astype(str)
    keys = pd.DataFrame({"region": region.to_numpy(), "tier": tier.to_numpy()})
    return {key: np.asarray(rows, dtype=np.int64)
            for key, rows in sorted(keys.groupby(["region", "tier"], sort=True).indices.items())}


def evaluate_facts(
    facts: pd.DataFrame,
    config: RoutingConfig,
    as_of: datetime,
    *,
    labels: Mapping[str, str] | pd.Series | None = None,
    queue_names: Mapping[str, str] | pd.Series | None = None,
    history_start: datetime | None = None,
    rules: Sequence[str] | None = None,
) -> Evaluation:
    """Check the data-derived rules (or ``rules``) over ``facts`` as of ``as_of`` (aware).

    ``labels`` maps lead Id → label (default: the Id); ``queue_names`` maps queue Id → name
    for ``queue_aging`` reasons; ``history_start`` is the oldest stored lead's creation time
    (default: the oldest in ``facts``), which decides how many ``volume_anomaly`` baseline
    weeks exist. Findings come in segment order, then rule order.
    """
    names = [r for r in (rules or RULES) if r in MEASURES]
    facts = facts.reset_index(drop=True)
    leads = read_leads(facts, labels)
    as_of_ns = int(pd.Timestamp(as_of).tz_convert("UTC").as_unit("ns").value)
    if history_start is not None:
        start_ns = int(pd.Timestamp(history_start).tz_convert("UTC").as_unit("ns").value)
    else:
        start_ns = int(leads.created.min()) if len(leads.created) else as_of_ns
    queue_label = queue_names if queue_names is not None else {}
    findings: list[Finding] = []
    values: dict[str, float | None] = {}
    for (region, tier), rows in _segments(facts).items():
        seg = Segment(leads, rows, as_of_ns, start_ns)
        for name in names:
            rule = effective_rule(config, name, region, tier)
            if not rule.enabled:
                continue
            for m in MEASURES[name](seg, rule):
                key = fingerprint(name, region, tier, m.reason)
                values[key] = m.value
                if not m.breaching:
                    continue
                reasons = m.reasons
                if name == "queue_aging":
                    reasons = tuple((queue_label.get(q, q), n) for q, n in reasons)
                findings.append(
                    Finding(
                        fingerprint=key,
                        rule=name,
                        segment=MappingProxyType({"region": region, "tier": tier}),
                        failure_reason=m.reason,
                        value=m.value,
                        threshold=m.threshold,
                        comparison=rule.spec.comparison,
                        window=_window_text(rule),
                        sample=m.sample,
                        lead_ids=tuple(leads.ids[m.rows]),
                        labels=tuple(leads.labels[m.rows]),
                        reasons=reasons,
                        window_hours=rule.window_hours,
                        severity=rule.severity,
                        for_minutes=rule.for_minutes,
                    )
                )
    return Evaluation(as_of, tuple(findings), MappingProxyType(values), frozenset(names),
                      len(facts))


def _window_text(rule: EffectiveRule) -> str:
    if rule.name == "queue_aging":
        return "leads in a queue now"
    if rule.name == "volume_anomaly":
        hours = rule.window_hours or 1.0
        return (f"{window_words(hours)}, against the same hours of the previous "
                f"{BASELINE_WEEKS} weeks")
    clock = " (business minutes)" if rule.clock == "business" else ""
    return window_words(rule.window_hours) + clock


def evaluate_sync(status: SyncStatus, config: RoutingConfig, now: datetime) -> Finding | None:
    """The ``sync_stale`` finding at wall-clock ``now``, or None when the data is fresh.

    Fires when no sync ever succeeded, the last success is more than ``threshold`` minutes old
    (default 30), or the latest finished run of some object failed (``failed_objects``).
    """
    rule = effective_rule(config, "sync_stale")
    if not rule.enabled:
        return None
    # The one freshness rule (/healthz, the page banner), with this rule's threshold.
    fresh = freshness_of(status, now=now, stale_after=timedelta(minutes=rule.threshold))
    if fresh.state == "ok":
        return None
    minutes = fresh.age / timedelta(minutes=1) if fresh.age is not None else None
    reasons = tuple((f"last {name} sync failed", 1) for name in status.failed_objects)
    return Finding(
        fingerprint=fingerprint("sync_stale"),
        rule="sync_stale",
        segment=MappingProxyType({}),
        failure_reason=None,
        value=minutes,
        threshold=rule.threshold,
        comparison=rule.spec.comparison,
        window="time since the last successful Salesforce sync",
        sample=len(status.failed_objects),
        reasons=reasons,
        severity=rule.severity,
        for_minutes=rule.for_minutes,
    )
