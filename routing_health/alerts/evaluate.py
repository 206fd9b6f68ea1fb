"""Rule evaluation: lead facts in, findings out. Pure: no Django, no I/O, ``as_of`` passed in.

``evaluate_facts(facts, config, as_of)`` reads the frame of ``routing_health.metrics.lead_facts``
(one row per lead, ``FACT_COLUMNS``) and checks every data-derived rule of spec section 6 per
segment (region × tier, the lead's current values; an empty value is the segment ""), with the
settings of ``routing_health.alerts.rules.effective_rule``. Windows are relative to ``as_of``:
a rule with ``window_hours = w`` looks at the leads created in ``(as_of - w h, as_of]``.
``sync_stale`` is not about leads: ``evaluate_sync`` checks it from the sync bookkeeping.

Values follow the metric definitions of spec section 5 (the tests compare them with
``total_metrics``): rates over their denominators, percentiles with linear interpolation.

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
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from routing_health.alerts.rules import (
    BASELINE_WEEKS,
    MIN_BASELINE_WEEKS,
    RULES,
    EffectiveRule,
    effective_rule,
    window_words,
)
from routing_health.config import RoutingConfig
from routing_health.rollups.freshness import SyncStatus, freshness_of

NS_PER_MINUTE = 60 * 1_000_000_000
NS_PER_HOUR = 60 * NS_PER_MINUTE
NAT_NS = np.iinfo(np.int64).min
NOT_ROUTED = "not routed yet"
OWNER_INACTIVE = "owner_inactive"  # optional fact columns for inactive_owner (alerts.loading)
OWNER_NAME = "owner_name"
OWNER_SINCE = "owner_since"  # when the lead reached its (inactive) current owner
UNKNOWN_REASON = "(no reason recorded)"


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


def _hours_ns(hours: float) -> int:
    return round(hours * NS_PER_HOUR)


def fingerprint(rule: str, region: str = "", tier: str = "", reason: str | None = None) -> str:
    """A stable 64-character key of rule + segment [+ failure reason]."""
    parts = [rule, region or "", tier or ""] + ([reason] if reason is not None else [])
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


@dataclass
class _Leads:
    """The facts as numpy arrays, read once."""

    ids: np.ndarray
    labels: np.ndarray
    created: np.ndarray
    outcome: np.ndarray
    reason: np.ndarray
    routed: np.ndarray
    assigned_at: pd.Series
    tta: np.ndarray
    first_touch: np.ndarray
    age: np.ndarray
    tta_business: np.ndarray
    first_touch_business: np.ndarray
    age_business: np.ndarray
    queued: np.ndarray
    queue_age: np.ndarray
    queue_owner: np.ndarray
    rejected: np.ndarray
    rejection_reason: np.ndarray
    owner_inactive: np.ndarray  # the current owner is a deactivated user
    owner_name: np.ndarray
    owner_since: np.ndarray  # ns; when the lead reached that owner (NAT_NS: unknown)


def _column(facts: pd.DataFrame, name: str, fallback: str) -> np.ndarray:
    return facts[name if name in facts.columns else fallback].to_numpy(dtype=float)


def _ns(series: pd.Series) -> np.ndarray:
    values = pd.to_datetime(series, utc=True).dt.as_unit("ns")
    return values.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _texts(series: pd.Series) -> np.ndarray:
    """Object array of str, ``None`` for null or ""."""
    values = series.astype(object).to_numpy()
    return np.array([v if isinstance(v, str) and v else None for v in values], dtype=object)


def _read(facts: pd.DataFrame, labels: Mapping[str, str] | pd.Series | None) -> _Leads:
    ids = facts["lead_id"].astype(str).to_numpy(dtype=object)
    label_map = labels if labels is not None else {}
    return _Leads(
        ids=ids,
        labels=np.array([label_map.get(i) or i for i in ids], dtype=object),
        created=_ns(facts["created_at"]),
        outcome=facts["outcome"].astype(str).to_numpy(),
        reason=_texts(facts["failure_reason"]),
        routed=_ns(facts["routed_at"]),
        assigned_at=facts["rep_assigned_at"].reset_index(drop=True),
        tta=facts["tta_minutes"].to_numpy(dtype=float),
        first_touch=facts["first_touch_minutes"].to_numpy(dtype=float),
        age=facts["age_minutes"].to_numpy(dtype=float),
        # Business clocks (spec section 10); the wall clock where a region has no calendar.
        tta_business=_column(facts, "tta_business_minutes", "tta_minutes"),
        first_touch_business=_column(facts, "first_touch_business_minutes", "first_touch_minutes"),
        age_business=_column(facts, "age_business_minutes", "age_minutes"),
        queued=facts["queued"].to_numpy(dtype=bool),
        queue_age=facts["queue_age_hours"].to_numpy(dtype=float),
        queue_owner=_texts(facts["queue_owner"]),
        rejected=facts["rejected"].to_numpy(dtype=bool),
        rejection_reason=_texts(facts["rejection_reason"]),
        owner_inactive=(
            facts[OWNER_INACTIVE].fillna(False).to_numpy(dtype=bool)
            if OWNER_INACTIVE in facts.columns else np.zeros(len(facts), dtype=bool)
        ),
        owner_name=(
            _texts(facts[OWNER_NAME]) if OWNER_NAME in facts.columns
            else np.full(len(facts), None, dtype=object)
        ),
        owner_since=(
            _ns(facts[OWNER_SINCE]) if OWNER_SINCE in facts.columns
            else np.full(len(facts), NAT_NS, dtype=np.int64)
        ),
    )


@dataclass(frozen=True)
class _Measure:
    value: float | None
    threshold: float | None
    sample: int
    breaching: bool
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    reasons: tuple[tuple[str, int], ...] = ()
    reason: str | None = None


@dataclass
class _Segment:
    leads: _Leads
    rows: np.ndarray  # positions in the facts of this segment's leads
    as_of_ns: int
    history_start_ns: int

    def window(self, hours: float | None) -> np.ndarray:
        if hours is None:
            return self.rows
        start = self.as_of_ns - _hours_ns(hours)
        return self.rows[self.leads.created[self.rows] > start]


def _counts(values: Sequence[str | None], missing: str) -> tuple[tuple[str, int], ...]:
    counter = Counter(v if v is not None else missing for v in values)
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _oldest_first(leads: _Leads, rows: np.ndarray) -> np.ndarray:
    return rows[np.argsort(leads.created[rows], kind="stable")]


def _assignment_success(seg: _Segment, rule: EffectiveRule) -> list[_Measure]:
    rows = seg.window(rule.window_hours)
    outcome = seg.leads.outcome[rows]
    succeeded, failed = int((outcome == "succeeded").sum()), int((outcome == "failed").sum())
    decided = succeeded + failed
    value = succeeded / decided if decided else None
    breaching = (
        value is not None and decided >= rule.min_sample and failed >= 1 and value < rule.threshold
    )
    bad = _oldest_first(seg.leads, rows[outcome == "failed"])
    reasons = _counts(seg.leads.reason[bad], UNKNOWN_REASON)
    return [_Measure(value, rule.threshold, decided, breaching, bad, reasons)]


def _routing_failures(seg: _Segment, rule: EffectiveRule) -> list[_Measure]:
    rows = seg.window(rule.window_hours)
    failed = _oldest_first(seg.leads, rows[seg.leads.outcome[rows] == "failed"])
    reasons = np.array([r or UNKNOWN_REASON for r in seg.leads.reason[failed]], dtype=object)
    measures = []
    # Spec section 6: min_count failures with one reason, or any failure of a fast tier.
    threshold = 1.0 if rule.fast_tier else rule.threshold
    for reason in sorted(set(reasons)):
        mine = failed[reasons == reason]
        count = len(mine)
        breaching = count >= threshold and count >= rule.min_sample
        measures.append(
            _Measure(float(count), threshold, count, breaching, mine, ((reason, count),), reason)
        )
    return measures


def _sla_rule(kind: str) -> Callable[[_Segment, EffectiveRule], list[_Measure]]:
    """tta_p95 (``kind="assign"``) or touch_p95 (``kind="touch"``)."""

    def measure(seg: _Segment, rule: EffectiveRule) -> list[_Measure]:
        leads = seg.leads
        rows = seg.window(rule.window_hours)
        if rule.clock == "business":
            # The engine's business clocks use the calendars resolved for this evaluation.
            minutes = (leads.tta_business if kind == "assign" else leads.first_touch_business)
            age = leads.age_business[rows]
        else:
            minutes = leads.tta if kind == "assign" else leads.first_touch
            age = leads.age[rows]
        minutes = minutes[rows]
        done = ~np.isnan(minutes)
        sample = int(done.sum())
        value = float(np.percentile(minutes[done], 95)) if sample else None
        breaching = value is not None and sample >= rule.min_sample and value > rule.threshold
        waited = np.where(done, minutes, age)
        late = waited > rule.threshold
        order = np.argsort(-waited[late], kind="stable")
        return [_Measure(value, rule.threshold, sample, breaching, rows[late][order])]

    return measure


def _queue_aging(seg: _Segment, rule: EffectiveRule) -> list[_Measure]:
    leads = seg.leads
    rows = seg.window(rule.max_age_days * 24.0)  # older leftovers go to the digest
    rows = rows[leads.queued[rows]]
    ages = leads.queue_age[rows]
    value = float(ages.max()) if len(rows) else None
    over = rows[ages > rule.threshold]
    over = over[np.argsort(-leads.queue_age[over], kind="stable")]
    breaching = len(over) >= max(rule.min_sample, 1) and value is not None
    reasons = _counts(leads.queue_owner[over], "(unknown queue)")
    return [_Measure(value, rule.threshold, len(over), breaching, over, reasons)]


def _rejection_rate(seg: _Segment, rule: EffectiveRule) -> list[_Measure]:
    leads = seg.leads
    rows = seg.window(rule.window_hours)
    assigned = int(leads.assigned_at.iloc[rows].notna().sum()) if len(rows) else 0
    rejected = rows[leads.rejected[rows]]
    value = len(rejected) / assigned if assigned else None
    breaching = value is not None and assigned >= rule.min_sample and value > rule.threshold
    newest = rejected[np.argsort(-leads.created[rejected], kind="stable")]
    reasons = _counts(leads.rejection_reason[newest], "(no reason given)")
    return [_Measure(value, rule.threshold, assigned, breaching, newest, reasons)]


def _inactive_owner(seg: _Segment, rule: EffectiveRule) -> list[_Measure]:
    """One measure per deactivated user who received leads in the window: leads whose current
    owner is that user and who reached them (owner change, else creation) in
    ``(as_of - window, as_of]``; without that time, the lead's creation decides."""
    leads = seg.leads
    rows = seg.rows[leads.owner_inactive[seg.rows]]
    since = leads.owner_since[rows]
    since = np.where(since == NAT_NS, leads.created[rows], since)
    start = seg.as_of_ns - _hours_ns(rule.window_hours or 24.0)
    rows = _oldest_first(leads, rows[(since > start) & (since <= seg.as_of_ns)])
    names = np.array([n or "(unknown user)" for n in leads.owner_name[rows]], dtype=object)
    measures = []
    for name in sorted(set(names)):
        mine = rows[names == name]
        count = len(mine)
        breaching = count >= rule.threshold and count >= rule.min_sample
        measures.append(
            _Measure(float(count), rule.threshold, count, breaching, mine, ((name, count),), name)
        )
    return measures


def _bad_rows(seg: _Segment, end_ns: int, hours: float) -> np.ndarray:
    """Leads created in ``(end - hours, end]`` that are failed or not routed at ``end``."""
    leads = seg.leads
    created = leads.created[seg.rows]
    inside = (created > end_ns - _hours_ns(hours)) & (created <= end_ns)
    rows = seg.rows[inside]
    routed = leads.routed[rows]
    bad = (leads.outcome[rows] == "failed") | (routed == NAT_NS) | (routed > end_ns)
    return rows[bad]


def _volume_anomaly(seg: _Segment, rule: EffectiveRule) -> list[_Measure]:
    hours = rule.window_hours or 1.0
    week = 7 * 24 * NS_PER_HOUR
    current = _oldest_first(seg.leads, _bad_rows(seg, seg.as_of_ns, hours))
    baseline = [
        len(_bad_rows(seg, seg.as_of_ns - k * week, hours))
        for k in range(1, BASELINE_WEEKS + 1)
        if seg.as_of_ns - k * week - _hours_ns(hours) >= seg.history_start_ns
    ]
    count = len(current)
    reasons = _counts(seg.leads.reason[current], NOT_ROUTED)
    if len(baseline) < MIN_BASELINE_WEEKS:
        return [_Measure(float(count), None, count, False, current, reasons)]
    mean = float(np.mean(baseline))
    stdev = float(np.std(baseline, ddof=1))
    bound = max(float(rule.min_sample), mean + rule.threshold * stdev, 2 * mean)
    return [_Measure(float(count), bound, count, count > bound, current, reasons)]


MEASURES: Mapping[str, Callable[[_Segment, EffectiveRule], list[_Measure]]] = MappingProxyType(
    {
        "assignment_success": _assignment_success,
        "routing_failures": _routing_failures,
        "tta_p95": _sla_rule("assign"),
        "touch_p95": _sla_rule("touch"),
        "queue_aging": _queue_aging,
        "rejection_rate": _rejection_rate,
        "volume_anomaly": _volume_anomaly,
        "inactive_owner": _inactive_owner,
    }
)


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
    leads = _read(facts, labels)
    as_of_ns = int(pd.Timestamp(as_of).tz_convert("UTC").as_unit("ns").value)
    if history_start is not None:
        start_ns = int(pd.Timestamp(history_start).tz_convert("UTC").as_unit("ns").value)
    else:
        start_ns = int(leads.created.min()) if len(leads.created) else as_of_ns
    queue_label = queue_names if queue_names is not None else {}
    findings: list[Finding] = []
    values: dict[str, float | None] = {}
    for (region, tier), rows in _segments(facts).items():
        seg = _Segment(leads, rows, as_of_ns, start_ns)
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
