"""The alert rules of spec section 6: one registry, and the settings in force per segment.

``RULES`` maps a rule name to its frozen ``RuleSpec`` (what it measures, how it compares, its
built-in defaults). ``effective_rule(config, rule, region, tier)`` merges, most specific last:

1. the built-in defaults of the ``RuleSpec``;
2. ``[alerts.rules.<rule>]``;
3. ``[[alerts.overrides]]`` naming only the region;
4. ``[[alerts.overrides]]`` naming only the tier;
5. ``[[alerts.overrides]]`` naming the region and the tier.

Each level replaces only the keys it sets. Should two overrides of one level match (the
configuration loader rejects that, but a hand-built ``RoutingConfig`` may hold it), ``enabled =
false`` wins and the later one's other keys apply.

Thresholds given as ``"tier SLA"`` resolve per segment: ``tta_p95`` uses the tier's
``assign_minutes``, ``touch_p95`` its ``touch_minutes`` (business minutes when the tier's
``clock = "business"`` and the region has a calendar); ``queue_aging`` uses
``[windows] queue_age_limit_hours``. ``queue_aging`` watches only tiers whose ``assign_minutes``
is at most 60 unless an override enables it for a segment; ``enabled = true`` in
``[alerts.rules.queue_aging]`` keeps that scope (it is the default state).

Severity and ``for`` (spec section 6): each rule has a default severity and pending period;
``assignment_success`` is critical on tiers whose ``assign_minutes`` is at most 15 (a lead that
must be answered in minutes), else a warning. ``routing_failures`` fires on ``min_count`` (3)
failures with one reason, or on any failure of such a fast tier; ``queue_aging`` looks only at
leads created in the last ``max_age_days`` (7): older leftovers belong to the digest, not the
pager. ``flow_regression`` (spec section 10, ``routing_health.alerts.flow_regression``) has
its own settings in ``[change_safety]``; here only ``enabled`` and ``severity`` apply to it; its
value is the assignment success since the activation and its threshold the baseline's.
``kill_switch`` (spec section 10, ``routing_health.alerts.kill_switch``) fires while the routing
kill switch has been ON longer than ``[change_safety.kill_switch] limit_hours`` (its threshold;
here only ``enabled`` and ``severity`` apply); it is not per segment.
``distribution_imbalance`` (issue 17, ``routing_health.alerts.fairness``) is judged per pool
(a region's reps unless ``[[fairness.pools]]`` names them) over the last ``window_hours`` (a
week): its value is the pool's max/min share-per-weight ratio, its ``min_sample`` the pool leads
it needs (20), its ``threshold`` the ratio (2.0, or ``[fairness] max_ratio``).
``input_missing`` (issue 17, ``routing_health.alerts.input_quality``) likewise takes its settings
from ``[data_quality]``; its value is a source's share of new leads missing a field and its
threshold that share in the baseline.
``duplicate_outreach`` (issue 17) counts the leads of the window flagged as duplicate outreach
(``metrics.duplicates``; partners may be up to ``[duplicates] window_days`` older) and fires
when there are more than ``threshold`` (the catalog target, 0) such leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from routing_health.alerts.message import ValueFormat
from routing_health.config import RoutingConfig, TierSla
from routing_health.config.model import ALERT_RULE_NAMES, RuleOverride, Severity
from routing_health.metrics.catalog import Metric, metric

Comparison = Literal["<", ">", ">="]
TIER_ASSIGN_SLA = "tier assign SLA"
TIER_TOUCH_SLA = "tier touch SLA"
QUEUE_AGE_LIMIT = "queue age limit"
DerivedThreshold = Literal["tier assign SLA", "tier touch SLA", "queue age limit"]
FAST_TIER_ASSIGN_MINUTES = 60.0  # queue_aging's default scope: tiers this fast or faster
HOT_TIER_ASSIGN_MINUTES = 15.0  # critical assignment success; any routing failure fires
ROUTING_FAILURES_MIN_COUNT = 3
QUEUE_AGING_MAX_AGE_DAYS = 7.0

MSG_UNKNOWN_RULE = "unknown alert rule {rule!r}; rules: {known}"


@dataclass(frozen=True)
class RuleSpec:
    """One default rule of spec section 6.

    - ``metric``: what ``value`` is: a metric of the catalog (``routing_health.metrics.catalog``:
      its label names the value in messages, its unit is ``value_format``, its default target
      the default threshold), or a quantity named here in words.
    - ``comparison``: the rule fires while ``value <comparison> threshold``.
    - ``default_threshold``: a number in the unit of ``value_format``, or a name of a threshold
      taken from the configuration (``"tier assign SLA"``, ``"tier touch SLA"``, ``"queue age
      limit"``).
    - ``window_hours``: leads created in ``(as_of - window_hours, as_of]``; ``None`` for a
      snapshot (``queue_aging``) or a rule not about leads (``sync_stale``).
    - ``min_sample``: the least sample (``sample_of`` words) that lets the rule fire.
    - ``per_segment``: evaluated per region × tier (else once, for all leads).
    - ``data_derived``: computed from synced Salesforce data, so held while ``sync_stale`` fires.
    """

    name: str
    title: str
    metric: str
    comparison: Comparison
    default_threshold: float | DerivedThreshold
    window_hours: float | None
    min_sample: int
    per_segment: bool
    data_derived: bool
    value_format: ValueFormat
    sample_of: str
    dashboard_path: str
    severity: Severity = "warning"
    for_minutes: float = 0.0
    value_words: str = "Value"  # what the value is called when it is not a catalog metric

    @property
    def catalog_metric(self) -> Metric | None:
        """The catalog row of ``metric``; ``None`` for a quantity that is not an exported metric."""
        try:
            return metric(self.metric)
        except KeyError:
            return None

    @property
    def value_label(self) -> str:
        """What the value is called in a message: the catalog label, else ``value_words``."""
        row = self.catalog_metric
        return row.label if row is not None else self.value_words


def _unit(name: str) -> ValueFormat:
    """The catalog unit of metric ``name`` (the ``value_format`` of a rule that measures it)."""
    return metric(name).unit


def _target(name: str) -> float:
    """The catalog's default target of metric ``name`` (the rule's default threshold)."""
    target = metric(name).default_target
    assert target is not None, name
    return target


RULES: Mapping[str, RuleSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            RuleSpec(
                "assignment_success", "Assignment success below target",
                "assignment_success_rate", "<", _target("assignment_success_rate"), 24.0, 1, True,
                True, _unit("assignment_success_rate"),
                "routed or failed leads", "/failures", "critical", 10.0,
            ),
            RuleSpec(
                "routing_failures", "Routing failures", "failed leads with this failure reason",
                ">=", float(ROUTING_FAILURES_MIN_COUNT), 24.0, 0, True, True, "count",
                "failed leads", "/failures", "critical",
            ),
            RuleSpec(
                "tta_p95", "Slow assignment (p95 time to a rep)", "tta_p95_minutes", ">",
                TIER_ASSIGN_SLA, 24.0, 5, True, True, _unit("tta_p95_minutes"), "assigned leads",
                "/segments", "warning", 10.0,
            ),
            RuleSpec(
                "touch_p95", "Slow first touch (p95)", "first_touch_p95_minutes", ">",
                TIER_TOUCH_SLA, 24.0, 5, True, True, _unit("first_touch_p95_minutes"),
                "touched leads", "/segments", "warning", 10.0,
            ),
            RuleSpec(
                "queue_aging", "Leads waiting in a queue past the limit",
                "oldest_queue_age_hours", ">", QUEUE_AGE_LIMIT, None, 1, True, True,
                _unit("oldest_queue_age_hours"), "queued leads over the limit", "/queues",
            ),
            RuleSpec(
                "rejection_rate", "Reps rejecting many leads", "rejection_rate", ">",
                _target("rejection_rate"), 168.0, 20, True, True, _unit("rejection_rate"),
                "assigned leads", "/reps",
            ),
            RuleSpec(
                "volume_anomaly", "Unusual number of failed or unrouted leads",
                "failed or unrouted leads created in the window", ">", 3.0, 1.0, 3, True, True,
                "count", "failed or unrouted leads", "/failures",
            ),
            RuleSpec(
                "inactive_owner", "Leads assigned to an inactive user",
                "leads owned by an inactive user", ">=", 1.0, 24.0, 1, True, True, "count",
                "leads owned by this inactive user", "/reps",
            ),
            RuleSpec(
                "flow_regression", "Routing worse since a flow activation",
                "assignment success since the activation", "<", 0.0, None, 0, True, True,
                _unit("assignment_success_rate"), "leads created since the activation",
                "/trends", "critical", value_words="Assignment success since the activation",
            ),
            # Issue 17 item 3: leads of one company routed to different reps.
            RuleSpec(
                "kill_switch", "Routing kill switch left on",
                "hours the kill switch has been on", ">", 2.0, None, 0, False, True, "hours",
                "kill switch changes", "/", "warning",
                value_words="Kill switch on for",
            ),
            RuleSpec(
                "distribution_imbalance", "Leads unevenly shared in a pool",
                "max/min share-per-weight ratio of the pool", ">=", 2.0, 168.0, 20, True, True,
                "count", "pool leads", "/fairness",
                value_words="Share ratio (largest / smallest, per weight)",
            ),
            RuleSpec(
                "duplicate_outreach", "One company worked by several reps",
                "duplicate_outreach", ">", _target("duplicate_outreach"), 168.0, 1, True, True,
                _unit("duplicate_outreach"), "leads routed to a rep with a domain or company name",
                "/duplicates",
            ),
            RuleSpec(
                "input_missing", "A lead source stopped sending a routing input",
                "share of the source's new leads missing the field", ">", 0.0, 24.0, 10, False,
                True, "rate", "new leads of the source", "/data-quality",
                value_words="Share of the source's new leads missing the field",
            ),
            RuleSpec(
                "sync_stale", "Salesforce data is stale",
                "minutes since the last successful sync", ">", 30.0, None, 0, False, False,
                "minutes", "sync runs", "/health", "critical",
            ),
        )
    }
)
"""Every default rule, in the order of spec section 6 (``ALERT_RULE_NAMES``)."""

DATA_DERIVED_RULES: frozenset[str] = frozenset(n for n, s in RULES.items() if s.data_derived)
BASELINE_WEEKS = 4
MIN_BASELINE_WEEKS = 2

assert tuple(RULES) == ALERT_RULE_NAMES, "the registry must cover every configurable rule"


@dataclass(frozen=True)
class EffectiveRule:
    """A rule's settings for one segment, every default resolved.

    ``threshold`` is in the unit of ``spec.value_format`` (for ``volume_anomaly``: standard
    deviations above the baseline mean; see ``routing_health.alerts.evaluate``). ``clock`` is the
    clock of the SLA threshold ("wall" or "business"), "wall" for rules without one.
    """

    spec: RuleSpec
    enabled: bool
    threshold: float
    min_sample: int
    window_hours: float | None
    clock: str = "wall"
    severity: Severity = "warning"
    for_minutes: float = 0.0
    min_count: int = ROUTING_FAILURES_MIN_COUNT
    max_age_days: float = QUEUE_AGING_MAX_AGE_DAYS
    fast_tier: bool = False  # the tier's assign_minutes is at most HOT_TIER_ASSIGN_MINUTES

    @property
    def name(self) -> str:
        return self.spec.name


def rule_spec(rule: str) -> RuleSpec:
    try:
        return RULES[rule]
    except KeyError:
        raise KeyError(MSG_UNKNOWN_RULE.format(rule=rule, known=", ".join(RULES))) from None


def tier_sla(config: RoutingConfig, tier: str | None) -> TierSla:
    """The SLA of a tier: ``RoutingConfig.tier_sla``, the one lookup."""
    return config.tier_sla(tier)


def _matching_overrides(
    config: RoutingConfig, rule: str, region: str | None, tier: str | None
) -> list[list[RuleOverride]]:
    """Matching overrides by level: region only, tier only, region and tier."""
    levels: list[list[RuleOverride]] = [[], [], []]
    for override in config.alerts.overrides:
        if override.rule != rule:
            continue
        if override.region is not None and override.region != region:
            continue
        if override.tier is not None and override.tier != tier:
            continue
        if override.region is not None and override.tier is not None:
            levels[2].append(override)
        elif override.tier is not None:
            levels[1].append(override)
        else:
            levels[0].append(override)
    return levels


def effective_rule(
    config: RoutingConfig, rule: str, region: str | None = None, tier: str | None = None
) -> EffectiveRule:
    """The settings of ``rule`` for the segment ``region`` × ``tier`` (see the module doc).

    For a rule that is not per segment (``sync_stale``) pass no segment.
    """
    spec = rule_spec(rule)
    sla = tier_sla(config, tier)
    enabled = True
    if rule == "queue_aging":
        enabled = sla.assign_minutes <= FAST_TIER_ASSIGN_MINUTES
    fast = sla.assign_minutes <= HOT_TIER_ASSIGN_MINUTES
    keys: dict[str, object] = {
        "threshold": None,
        "min_sample": spec.min_sample,
        "window_hours": spec.window_hours,
        "for_minutes": spec.for_minutes,
        "severity": spec.severity,
        "min_count": ROUTING_FAILURES_MIN_COUNT,
        "max_age_days": QUEUE_AGING_MAX_AGE_DAYS,
    }
    if rule == "assignment_success" and not fast:
        keys["severity"] = "warning"
    base = config.alerts.rules.get(rule)
    if base is not None:
        if base.enabled is False:
            enabled = False
        _take(keys, base)
    for level in _matching_overrides(config, rule, region, tier) if spec.per_segment else []:
        disabled_here = any(o.enabled is False for o in level)
        for override in level:
            if override.enabled is not None:
                enabled = override.enabled
            _take(keys, override)
        if disabled_here:
            enabled = False
    threshold = keys["threshold"]
    min_sample = int(keys["min_sample"])  # type: ignore[call-overload]
    window = keys["window_hours"]
    if spec.window_hours is None:
        window = None  # snapshot rules have no creation window to configure
    clock = "wall"
    if spec.default_threshold in (TIER_ASSIGN_SLA, TIER_TOUCH_SLA):
        # Spec section 10: the tier's clock decides; unset, business where the region has a
        # calendar (a region without one always runs on the wall clock).
        has_calendar = (region or "") in config.regions.calendars
        if has_calendar and sla.clock in ("business", None):
            clock = "business"
    min_count = int(keys["min_count"])  # type: ignore[call-overload]
    if threshold is None and rule == "routing_failures":
        threshold = min_count
    elif threshold is None:
        threshold = _default_threshold(config, spec, sla)
    return EffectiveRule(
        spec, enabled, float(threshold), min_sample, window, clock,  # type: ignore[arg-type]
        severity=keys["severity"], for_minutes=float(keys["for_minutes"]),  # type: ignore[arg-type]
        min_count=min_count, max_age_days=float(keys["max_age_days"]),  # type: ignore[arg-type]
        fast_tier=fast,
    )


_SETTING_KEYS = (
    "threshold", "min_sample", "window_hours", "for_minutes", "severity", "min_count",
    "max_age_days",
)


def _take(keys: dict[str, object], level: object) -> None:
    """Replace the settings ``level`` (a rule table or an override) sets."""
    for key in _SETTING_KEYS:
        value = getattr(level, key)
        if value is not None:
            keys[key] = value


def _default_threshold(config: RoutingConfig, spec: RuleSpec, sla: TierSla) -> float:
    default = spec.default_threshold
    if default == TIER_ASSIGN_SLA:
        return float(sla.assign_minutes)
    if default == TIER_TOUCH_SLA:
        return float(sla.touch_minutes)
    if default == QUEUE_AGE_LIMIT:
        return float(config.windows.queue_age_limit_hours)
    return float(default)


def largest_window_hours(config: RoutingConfig, rules: tuple[str, ...] = ALERT_RULE_NAMES) -> float:
    """The widest creation window any segment of ``rules`` can use (to size the data load)."""
    widest = 0.0
    for name in rules:
        spec = RULES[name]
        if spec.window_hours is None:
            continue
        widest = max(widest, spec.window_hours)
        base = config.alerts.rules.get(name)
        if base is not None and base.window_hours is not None:
            widest = max(widest, base.window_hours)
        for override in config.alerts.overrides:
            if override.rule == name and override.window_hours is not None:
                widest = max(widest, override.window_hours)
    return widest


def queue_aging_tiers(config: RoutingConfig) -> frozenset[str] | None:
    """Tiers ``queue_aging`` may watch in some region; ``None`` when any tier may be."""
    base = config.alerts.rules.get("queue_aging")
    if base is not None and base.enabled is False and not any(
        o.rule == "queue_aging" and o.enabled for o in config.alerts.overrides
    ):
        return frozenset()
    tiers = {
        name for name in config.tiers.names()
        if tier_sla(config, name).assign_minutes <= FAST_TIER_ASSIGN_MINUTES
    }
    for override in config.alerts.overrides:
        if override.rule == "queue_aging" and override.enabled:
            if override.tier is None:
                return None
            tiers.add(override.tier)
    return frozenset(tiers)


def window_words(hours: float | None) -> str:
    """"leads created in the last 24 h" / "last 7 d"; "" for no window."""
    if hours is None:
        return ""
    if hours >= 48 and hours % 24 == 0:
        return f"leads created in the last {int(hours // 24)} d"
    return f"leads created in the last {hours:g} h"
