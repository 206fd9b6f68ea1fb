"""The measures of the data-derived alert rules: one function per rule of spec section 6.

``MEASURES[rule](segment, settings)`` returns the rule's ``Measure``s for one segment: the value
(through ``routing_health.metrics.definitions``: rates with ``rate``, the p95s with
``percentile`` at the catalog's quantile), the threshold, the sample, whether it breaches, and
the leads and reasons behind it. ``routing_health.alerts.evaluate`` runs them per segment.
Pure: numpy arrays in (``read_leads``), no Django.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from routing_health.alerts.rules import BASELINE_WEEKS, MIN_BASELINE_WEEKS, RULES, EffectiveRule
from routing_health.metrics.catalog import Percentile, metric
from routing_health.metrics.definitions import percentile, rate

NS_PER_MINUTE = 60 * 1_000_000_000
NS_PER_HOUR = 60 * NS_PER_MINUTE
NAT_NS = np.iinfo(np.int64).min
NOT_ROUTED = "not routed yet"
UNKNOWN_REASON = "(no reason recorded)"
OWNER_INACTIVE = "owner_inactive"  # optional fact columns for inactive_owner (alerts.loading)
OWNER_NAME = "owner_name"
OWNER_SINCE = "owner_since"  # when the lead reached its (inactive) current owner
DUPLICATE_OUTREACH = "duplicate_outreach"  # optional fact columns (metrics.duplicates.attach)
DUPLICATE_CANDIDATE = "duplicate_candidate"
COMPANY_KEY = "company_key"
LEAD_DOMAIN = "lead_domain"


def _quantile(rule: str) -> float:
    """The quantile of the metric a percentile rule measures, from the catalog (0.95)."""
    formula = metric(RULES[rule].metric).formula
    assert isinstance(formula, Percentile), rule
    return formula.q


P95 = {"assign": _quantile("tta_p95"), "touch": _quantile("touch_p95")}


def hours_ns(hours: float) -> int:
    return round(hours * NS_PER_HOUR)


@dataclass
class Leads:
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
    duplicate_outreach: np.ndarray  # bool; all False without the duplicates columns
    duplicate_candidate: np.ndarray
    company: np.ndarray  # the lead's domain, else its company key (None: neither)


def _column(facts: pd.DataFrame, name: str, fallback: str) -> np.ndarray:
    return facts[name if name in facts.columns else fallback].to_numpy(dtype=float)


def _ns(series: pd.Series) -> np.ndarray:
    values = pd.to_datetime(series, utc=True).dt.as_unit("ns")
    return values.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _texts(series: pd.Series) -> np.ndarray:
    """Object array of str, ``None`` for null or ""."""
    values = series.astype(object).to_numpy()
    return np.array([v if isinstance(v, str) and v else None for v in values], dtype=object)


def read_leads(facts: pd.DataFrame, labels: Mapping[str, str] | pd.Series | None) -> Leads:
    ids = facts["lead_id"].astype(str).to_numpy(dtype=object)
    label_map = labels if labels is not None else {}
    return Leads(
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
        duplicate_outreach=_flags(facts, DUPLICATE_OUTREACH),
        duplicate_candidate=_flags(facts, DUPLICATE_CANDIDATE),
        company=_company(facts),
    )


def _flags(facts: pd.DataFrame, name: str) -> np.ndarray:
    if name not in facts.columns:
        return np.zeros(len(facts), dtype=bool)
    return facts[name].fillna(False).to_numpy(dtype=bool)


def _company(facts: pd.DataFrame) -> np.ndarray:
    if LEAD_DOMAIN not in facts.columns:
        return np.full(len(facts), None, dtype=object)
    domain = facts[LEAD_DOMAIN].astype(object)
    return _texts(domain.where(domain.notna(), facts[COMPANY_KEY].astype(object)))


@dataclass(frozen=True)
class Measure:
    value: float | None
    threshold: float | None
    sample: int
    breaching: bool
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    reasons: tuple[tuple[str, int], ...] = ()
    reason: str | None = None


@dataclass
class Segment:
    leads: Leads
    rows: np.ndarray  # positions in the facts of this segment's leads
    as_of_ns: int
    history_start_ns: int

    def window(self, hours: float | None) -> np.ndarray:
        if hours is None:
            return self.rows
        start = self.as_of_ns - hours_ns(hours)
        return self.rows[self.leads.created[self.rows] > start]


def _counts(values: Sequence[str | None], missing: str) -> tuple[tuple[str, int], ...]:
    counter = Counter(v if v is not None else missing for v in values)
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _oldest_first(leads: Leads, rows: np.ndarray) -> np.ndarray:
    return rows[np.argsort(leads.created[rows], kind="stable")]


def _assignment_success(seg: Segment, rule: EffectiveRule) -> list[Measure]:
    rows = seg.window(rule.window_hours)
    outcome = seg.leads.outcome[rows]
    succeeded, failed = int((outcome == "succeeded").sum()), int((outcome == "failed").sum())
    decided = succeeded + failed
    value = rate(succeeded, decided)
    breaching = (
        value is not None and decided >= rule.min_sample and failed >= 1 and value < rule.threshold
    )
    bad = _oldest_first(seg.leads, rows[outcome == "failed"])
    reasons = _counts(seg.leads.reason[bad], UNKNOWN_REASON)
    return [Measure(value, rule.threshold, decided, breaching, bad, reasons)]


def _routing_failures(seg: Segment, rule: EffectiveRule) -> list[Measure]:
    rows = seg.window(rule.window_hours)
    failed = _oldest_first(seg.leads, rows[seg.leads.outcome[rows] == "failed"])
    reasons = np.array([r or UNKNOWN_REASON for r in seg.leads.reason[failed]], dtype=object)
    # Spec section 6: min_count failures with one reason, or any failure of a fast tier.
    threshold = 1.0 if rule.fast_tier else rule.threshold
    measures = []
    for reason in sorted(set(reasons)):
        mine = failed[reasons == reason]
        count = len(mine)
        breaching = count >= threshold and count >= rule.min_sample
        measures.append(
            Measure(float(count), threshold, count, breaching, mine, ((reason, count),), reason)
        )
    return measures


def _sla_rule(kind: str) -> Callable[[Segment, EffectiveRule], list[Measure]]:
    """tta_p95 (``kind="assign"``) or touch_p95 (``kind="touch"``)."""

    def measure(seg: Segment, rule: EffectiveRule) -> list[Measure]:
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
        value = percentile(minutes[done], P95[kind])
        breaching = value is not None and sample >= rule.min_sample and value > rule.threshold
        waited = np.where(done, minutes, age)
        late = waited > rule.threshold
        order = np.argsort(-waited[late], kind="stable")
        return [Measure(value, rule.threshold, sample, breaching, rows[late][order])]

    return measure


def _queue_aging(seg: Segment, rule: EffectiveRule) -> list[Measure]:
    leads = seg.leads
    rows = seg.window(rule.max_age_days * 24.0)  # older leftovers go to the digest
    rows = rows[leads.queued[rows]]
    ages = leads.queue_age[rows]
    value = float(ages.max()) if len(rows) else None
    over = rows[ages > rule.threshold]
    over = over[np.argsort(-leads.queue_age[over], kind="stable")]
    breaching = len(over) >= max(rule.min_sample, 1) and value is not None
    reasons = _counts(leads.queue_owner[over], "(unknown queue)")
    return [Measure(value, rule.threshold, len(over), breaching, over, reasons)]


def _rejection_rate(seg: Segment, rule: EffectiveRule) -> list[Measure]:
    leads = seg.leads
    rows = seg.window(rule.window_hours)
    assigned = int(leads.assigned_at.iloc[rows].notna().sum()) if len(rows) else 0
    rejected = rows[leads.rejected[rows]]
    value = rate(len(rejected), assigned)
    breaching = value is not None and assigned >= rule.min_sample and value > rule.threshold
    newest = rejected[np.argsort(-leads.created[rejected], kind="stable")]
    reasons = _counts(leads.rejection_reason[newest], "(no reason given)")
    return [Measure(value, rule.threshold, assigned, breaching, newest, reasons)]


def _inactive_owner(seg: Segment, rule: EffectiveRule) -> list[Measure]:
    """One measure per deactivated user who received leads in the window: leads whose current
    owner is that user and who reached them (owner change, else creation) in
    ``(as_of - window, as_of]``; without that time, the lead's creation decides."""
    leads = seg.leads
    rows = seg.rows[leads.owner_inactive[seg.rows]]
    since = leads.owner_since[rows]
    since = np.where(since == NAT_NS, leads.created[rows], since)
    start = seg.as_of_ns - hours_ns(rule.window_hours or 24.0)
    rows = _oldest_first(leads, rows[(since > start) & (since <= seg.as_of_ns)])
    names = np.array([n or "(unknown user)" for n in leads.owner_name[rows]], dtype=object)
    measures = []
    for name in sorted(set(names)):
        mine = rows[names == name]
        count = len(mine)
        breaching = count >= rule.threshold and count >= rule.min_sample
        measures.append(
            Measure(float(count), rule.threshold, count, breaching, mine, ((name, count),), name)
        )
    return measures


def _duplicate_outreach(seg: Segment, rule: EffectiveRule) -> list[Measure]:
    """Leads of the window flagged as duplicate outreach; the reasons are their companies
    (domain, else normalised name), most leads first."""
    leads = seg.leads
    rows = seg.window(rule.window_hours)
    sample = int(leads.duplicate_candidate[rows].sum())
    flagged = _oldest_first(leads, rows[leads.duplicate_outreach[rows]])
    count = len(flagged)
    breaching = count > rule.threshold and sample >= rule.min_sample
    reasons = _counts(leads.company[flagged], "(no company)")
    return [Measure(float(count), rule.threshold, sample, breaching, flagged, reasons)]


def _bad_rows(seg: Segment, end_ns: int, hours: float) -> np.ndarray:
    """Leads created in ``(end - hours, end]`` that are failed or not routed at ``end``."""
    leads = seg.leads
    created = leads.created[seg.rows]
    inside = (created > end_ns - hours_ns(hours)) & (created <= end_ns)
    rows = seg.rows[inside]
    routed = leads.routed[rows]
    bad = (leads.outcome[rows] == "failed") | (routed == NAT_NS) | (routed > end_ns)
    return rows[bad]


def _volume_anomaly(seg: Segment, rule: EffectiveRule) -> list[Measure]:
    hours = rule.window_hours or 1.0
    week = 7 * 24 * NS_PER_HOUR
    current = _oldest_first(seg.leads, _bad_rows(seg, seg.as_of_ns, hours))
    baseline = [
        len(_bad_rows(seg, seg.as_of_ns - k * week, hours))
        for k in range(1, BASELINE_WEEKS + 1)
        if seg.as_of_ns - k * week - hours_ns(hours) >= seg.history_start_ns
    ]
    count = len(current)
    reasons = _counts(seg.leads.reason[current], NOT_ROUTED)
    if len(baseline) < MIN_BASELINE_WEEKS:
        return [Measure(float(count), None, count, False, current, reasons)]
    mean = float(np.mean(baseline))
    stdev = float(np.std(baseline, ddof=1))
    bound = max(float(rule.min_sample), mean + rule.threshold * stdev, 2 * mean)
    return [Measure(float(count), bound, count, count > bound, current, reasons)]


MEASURES: Mapping[str, Callable[[Segment, EffectiveRule], list[Measure]]] = MappingProxyType(
    {
        "assignment_success": _assignment_success,
        "routing_failures": _routing_failures,
        "tta_p95": _sla_rule("assign"),
        "touch_p95": _sla_rule("touch"),
        "queue_aging": _queue_aging,
        "rejection_rate": _rejection_rate,
        "volume_anomaly": _volume_anomaly,
        "inactive_owner": _inactive_owner,
        "duplicate_outreach": _duplicate_outreach,
    }
)
