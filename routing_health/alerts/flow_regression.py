"""``flow_regression`` (spec section 10, issue 16): is a segment clearly worse since a routing
flow's activation? Pure: lead facts in, checks and findings out (``flow_loading`` loads them).

For the latest activation ``A`` of each flow of ``[change_safety] flows`` (at most
``MAX_WATCH``, four weeks, before the evaluation time ``T``), each region × tier segment compares

- **after**: the leads created in ``[max(A, T − window_hours), T]``, seen as of ``T``;
- **baseline**: the leads created in the same hours ``k`` weeks earlier,
  ``[start − k·7 d, T − k·7 d]``, seen as of ``T − k·7 d``, where ``k`` is the fewest whole weeks
  that put the baseline's end at or before the activation (1 in the first week after it, 2 in
  the second …).

Both sides are observed at **equal age** (each lead has had the same time to be routed, the idea
of ``routing_health.reports.compare``) and over the **same hours of the week** (a Monday
morning against a Monday morning), and the baseline always ran on the previous version. A
regression that outlives its first week therefore stays the root cause of what follows instead
of resolving on day 8 and letting its consequences page on their own; four weeks after the
activation the check stops (the ordinary rules go on watching). Each side needs ``min_leads``
leads (default 10), else the segment is "not enough leads yet".

A segment is **clearly worse** when, with enough leads on both sides, any of:

- assignment success is below the segment's ``assignment_success`` threshold (0.995) and at least
  ``success_drop`` (5 points) below the baseline's;
- a failure reason has at least ``min_failures`` (3) failures since the activation and its share
  of the leads is at least ``success_drop`` above its share in the baseline;
- TTA p95 is over the tier's ``assign_minutes`` and at least ``tta_ratio`` (2) × the baseline's
  (with at least 5 assigned leads each side).

One finding per flow and segment (fingerprint: rule, region, tier, flow API name); it clears when
the segment is no longer clearly worse or another version is activated (a new activation starts a
new comparison with no leads after it yet).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from routing_health.alerts.evaluate import Finding, fingerprint
from routing_health.alerts.measures import P95, UNKNOWN_REASON
from routing_health.alerts.rules import RULES, effective_rule
from routing_health.config import RoutingConfig
from routing_health.lib.format import format_count, format_minutes, format_rate, format_time
from routing_health.metrics.definitions import percentile, rate

RULE = "flow_regression"
WEEK = timedelta(days=7)  # the baseline: the same hours of the week, whole weeks earlier
MAX_WATCH = 4 * WEEK  # how long after an activation the check goes on comparing
MIN_ASSIGNED = int(RULES["tta_p95"].min_sample)  # assigned leads each side to compare TTA p95
NOT_ENOUGH_LEADS = ("not enough leads yet ({after} since the activation, {before} in the "
                    "baseline {weeks} earlier; the check needs {need} each)")
FLOW_BUILDER = "/builder_platform_interaction/flowBuilder.app?flowId={version_id}"


@dataclass(frozen=True)
class Activation:
    """A flow version activated at ``at`` (from ``FlowVersionChange``); version numbers and
    who activated it when FlowVersionView could be read."""

    flow: str
    at: datetime
    new_version_id: str
    old_version_id: str = ""
    new_version: int | None = None
    old_version: int | None = None
    activated_by: str = ""
    label: str = ""
    old_inferred: bool = False  # the previous version inferred from FlowVersionView

    def baseline_weeks(self, as_of: datetime) -> int:
        """``k``: the fewest whole weeks back that end the baseline at or before the
        activation (at least 1)."""
        return max(1, math.ceil((as_of - self.at) / WEEK))

    def windows(self, as_of: datetime, hours: float) -> tuple[tuple[datetime, datetime],
                                                                tuple[datetime, datetime]]:
        """(after, baseline): creation windows, both ends inclusive; see the module doc."""
        start = max(self.at, as_of - timedelta(hours=hours))
        shift = self.baseline_weeks(as_of) * WEEK
        return (start, as_of), (start - shift, as_of - shift)

    def watched(self, as_of: datetime) -> bool:
        """From the activation until ``MAX_WATCH`` after it."""
        return self.at <= as_of and as_of - self.at <= MAX_WATCH

    def version(self) -> str:
        return f"v{self.new_version}" if self.new_version is not None else "a new version"

    def previous(self) -> str:
        if self.old_version is not None:
            inferred = " (the last version active before it, by FlowVersionView)"
            return f"v{self.old_version}" + (inferred if self.old_inferred else "")
        if self.old_version_id:
            return "the previous version"
        if self.new_version == 1:
            return "none (the flow's first version)"
        # The first sync found this version active already: what came before is not known.
        return "not recorded"


@dataclass(frozen=True)
class Side:
    """One side of a segment's comparison."""

    leads: int = 0
    decided: int = 0  # succeeded or failed
    success: float | None = None
    failures: tuple[tuple[str, int], ...] = ()  # (failure reason, leads), most first
    assigned: int = 0
    tta_p95: float | None = None

    def failed(self, reason: str) -> int:
        return dict(self.failures).get(reason, 0)


@dataclass(frozen=True)
class SegmentCheck:
    """One segment since one activation: both sides, whether they can be compared, and what is
    clearly worse (in words, empty when nothing is)."""

    activation: Activation
    region: str
    tier: str
    after: Side
    before: Side
    ready: bool
    note: str = ""
    worse: tuple[str, ...] = ()
    failed_ids: tuple[str, ...] = field(default=(), repr=False)
    weeks: int = 1  # the baseline's distance in weeks

    @property
    def breaching(self) -> bool:
        return self.ready and bool(self.worse)


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str)


def _side(facts: pd.DataFrame) -> Side:
    outcome = facts["outcome"].astype(str)
    succeeded = int((outcome == "succeeded").sum())
    failed = facts[outcome == "failed"]
    reasons = _text(failed["failure_reason"]).replace("", UNKNOWN_REASON)
    counts = reasons.value_counts()
    failures = tuple(sorted(((str(r), int(n)) for r, n in counts.items()),
                            key=lambda kv: (-kv[1], kv[0])))
    tta = facts["tta_minutes"].to_numpy(dtype=float)
    tta = tta[~np.isnan(tta)]
    return Side(len(facts), succeeded + len(failed), rate(succeeded, succeeded + len(failed)),
                failures, len(tta), percentile(tta, P95["assign"]))


def _by_segment(facts: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    if facts.empty:
        return {}
    keys = pd.DataFrame({"region": _text(facts["region"]).to_numpy(),
                         "tier": _text(facts["tier"]).to_numpy()}, index=facts.index)
    return {(str(r), str(t)): facts.loc[rows]
            for (r, t), rows in keys.groupby(["region", "tier"], sort=True).groups.items()}


def weeks_text(weeks: int) -> str:
    return "a week" if weeks == 1 else f"{weeks} weeks"


def check_activation(
    activation: Activation, after: pd.DataFrame, before: pd.DataFrame, config: RoutingConfig,
    *, weeks: int = 1,
) -> list[SegmentCheck]:
    """Compare each segment of ``after`` (lead facts of the after window, as of T) with
    ``before`` (the baseline window's facts as of T − ``weeks`` × 7 d); see the module doc."""
    settings = config.change_safety
    after_parts, before_parts = _by_segment(after), _by_segment(before)
    checks = []
    for region, tier in sorted(set(after_parts) | set(before_parts)):
        rows = after_parts.get((region, tier), after.iloc[0:0])
        a = _side(rows)
        b = _side(before_parts.get((region, tier), before.iloc[0:0]))
        need = settings.min_leads
        if a.leads < need or b.leads < need:
            note = NOT_ENOUGH_LEADS.format(after=a.leads, before=b.leads, need=need,
                                           weeks=weeks_text(weeks))
            checks.append(SegmentCheck(activation, region, tier, a, b, False, note, weeks=weeks))
            continue
        worse = _worse(a, b, config, region, tier)
        failed = rows[rows["outcome"].astype(str) == "failed"].sort_values("created_at")
        checks.append(SegmentCheck(activation, region, tier, a, b, True, "", worse,
                                   tuple(failed["lead_id"].astype(str)), weeks=weeks))
    return checks


def _worse(a: Side, b: Side, config: RoutingConfig, region: str, tier: str) -> tuple[str, ...]:
    settings = config.change_safety
    found = []
    target = effective_rule(config, "assignment_success", region, tier).threshold
    if (a.success is not None and b.success is not None and a.success < target
            and b.success - a.success >= settings.success_drop):
        found.append(f"assignment success {format_rate(b.success)} → {format_rate(a.success)} "
                     f"({format_count(a.leads)} leads)")
    for reason, count in a.failures:
        share_before = b.failed(reason) / b.leads
        if count >= settings.min_failures and count / a.leads - share_before >= (
                settings.success_drop):
            found.append(f"{format_count(count)} failures at {reason}")
    sla = config.tier_sla(tier or None).assign_minutes
    if (a.tta_p95 is not None and b.tta_p95 is not None and a.assigned >= MIN_ASSIGNED
            and b.assigned >= MIN_ASSIGNED and a.tta_p95 > sla
            and a.tta_p95 >= settings.tta_ratio * b.tta_p95):
        found.append(f"TTA p95 {format_minutes(b.tta_p95)} → {format_minutes(a.tta_p95)}")
    return tuple(found)


def rollback_link(activation: Activation, instance_url: str) -> str:
    """The flow version to activate again, in Flow Builder (Setup); "" when unknown."""
    if not instance_url or not activation.old_version_id:
        return ""
    return instance_url.rstrip("/") + FLOW_BUILDER.format(version_id=activation.old_version_id)


def summary(check: SegmentCheck, *, timezone: str, instance_url: str = "") -> str:
    """The incident's sentence: "Lead_Router v13 activated 02:39 by Ada Admin; since then EMEA
    hot assignment success 99.8% → 8.0% (22 leads), 22 failures at Assign EMEA. Previous
    version: v12. Roll back: activate v12 (link)." Without FlowVersionView: "a new version"."""
    act = check.activation
    head = (f"{act.flow} {act.version()}" if act.new_version is not None
            else f"{act.flow}: a new version")
    head += f" activated {format_time(act.at, timezone)}"
    if act.activated_by:
        head += f" by {act.activated_by}"
    segment = " ".join(p for p in (check.region, check.tier) if p) or "all leads"
    text = f"{head}; since then {segment} " + ", ".join(check.worse) + "."
    text += f" Previous version: {act.previous()}."
    if act.old_version_id:
        link = rollback_link(act, instance_url)
        target = f"v{act.old_version}" if act.old_version is not None else "the previous version"
        text += f" Roll back: activate {target}" + (f" ({link})." if link else ".")
    elif act.new_version == 1:
        text += " Roll back: deactivate the flow."
    else:
        text += " Roll back: activate the previous version (Setup › Flows › " + act.flow + ")."
    return text


def window_text(check: SegmentCheck, timezone: str) -> str:
    at = format_time(check.activation.at, timezone)
    return (f"leads created since {at}, against the same hours {weeks_text(check.weeks)} "
            "earlier")


def flow_findings(
    checks: Sequence[SegmentCheck], config: RoutingConfig, *, timezone: str,
    instance_url: str = "", labels: pd.Series | None = None,
) -> tuple[list[Finding], dict[str, float | None]]:
    """The findings of the clearly worse segments, and the value of every compared one."""
    findings: list[Finding] = []
    values: dict[str, float | None] = {}
    for check in checks:
        rule = effective_rule(config, RULE, check.region, check.tier)
        if not rule.enabled:
            continue
        key = fingerprint(RULE, check.region, check.tier, check.activation.flow)
        values[key] = check.after.success
        if not check.breaching:
            continue
        ids = pd.Series(check.failed_ids, dtype=object)
        names = ids.map(labels).fillna(ids) if labels is not None else ids
        findings.append(Finding(
            fingerprint=key, rule=RULE,
            segment=MappingProxyType({"region": check.region, "tier": check.tier}),
            failure_reason=check.activation.flow, value=check.after.success,
            threshold=check.before.success, comparison="<",
            window=window_text(check, timezone), sample=check.after.leads,
            lead_ids=check.failed_ids,
            labels=tuple(names.astype(str)),
            reasons=check.after.failures, severity=rule.severity, for_minutes=0.0,
            summary=summary(check, timezone=timezone, instance_url=instance_url),
        ))
    return findings, values
