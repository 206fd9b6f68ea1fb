"""``input_missing`` (issue 17, item 4): a lead source's share of new leads missing a
routing-critical field jumps far above its baseline ("the web form stopped sending Country").
Pure: lead facts with the input-quality columns in, findings out (``input_findings_as_of``
loads them).

For each lead source and each ``[data_quality]`` field, over the leads created in the **window**
``(T − window_hours, T]`` and the **baseline** (the ``baseline_days`` days before the window):
``share`` = leads missing (or invalid on) the field / leads. The rule fires when

- the window has at least ``min_leads`` leads of the source, and so has the baseline;
- ``share − baseline share ≥ min_increase`` (30 points); and
- ``share ≥ min_ratio × baseline share`` (3 ×).

One finding per source and field (fingerprint: rule, the field and the source), naming both;
its value is the window share, its threshold the baseline share; the example records are the
window's leads missing the field; the summary says how much more often they failed routing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from routing_health.alerts.evaluate import Finding, fingerprint
from routing_health.alerts.rules import effective_rule
from routing_health.config import RoutingConfig
from routing_health.config.model import DataQuality
from routing_health.lib.format import format_count, format_rate
from routing_health.metrics.inputs import missing_field_flags

RULE = "input_missing"
NO_SOURCE = "(no lead source)"


@dataclass(frozen=True)
class InputCheck:
    """One lead source × field compared: window and baseline counts, and whether it breaches."""

    source: str  # NO_SOURCE for leads without one
    field: str
    leads: int
    missing: int
    baseline_leads: int
    baseline_missing: int
    missing_failed: int
    missing_decided: int
    complete_failed: int
    complete_decided: int
    missing_ids: tuple[str, ...]
    breaching: bool

    @property
    def share(self) -> float | None:
        return self.missing / self.leads if self.leads else None

    @property
    def baseline_share(self) -> float | None:
        return self.baseline_missing / self.baseline_leads if self.baseline_leads else None

    def failure_rates(self) -> tuple[float | None, float | None]:
        """Failure rate (failed / decided) of the window's missing and complete leads."""
        missing = self.missing_failed / self.missing_decided if self.missing_decided else None
        complete = self.complete_failed / self.complete_decided if self.complete_decided else None
        return missing, complete


def input_checks(facts: pd.DataFrame, settings: DataQuality, as_of: datetime) -> list[InputCheck]:
    """Every source × field of ``facts`` (lead facts with ``lead_source`` and
    ``input_missing_fields``, created in the baseline or the window) compared; see the module."""
    if facts.empty or not settings.enabled:
        return []
    window_start = pd.Timestamp(as_of) - pd.Timedelta(hours=settings.window_hours)
    baseline_start = window_start - pd.Timedelta(days=settings.baseline_days)
    created = pd.to_datetime(facts["created_at"], utc=True)
    in_window = ((created > window_start) & (created <= pd.Timestamp(as_of))).to_numpy()
    in_baseline = ((created > baseline_start) & (created <= window_start)).to_numpy()
    source = facts["lead_source"].astype("string").fillna("").replace("", NO_SOURCE)
    source = source.astype(str).to_numpy()
    outcome = facts["outcome"].astype(str).to_numpy()
    failed = outcome == "failed"
    decided = failed | (outcome == "succeeded")
    ids = facts["lead_id"].astype(str).to_numpy()
    names = [rule.name for rule in settings.fields]
    flags = missing_field_flags(facts["input_missing_fields"], names)
    checks = []
    for name in sorted(set(source[in_window])):
        mine = source == name
        now, before = mine & in_window, mine & in_baseline
        for field in names:
            miss = flags[field]
            leads, missing = int(now.sum()), int((now & miss).sum())
            base_leads, base_missing = int(before.sum()), int((before & miss).sum())
            share = missing / leads if leads else 0.0
            base = base_missing / base_leads if base_leads else 0.0
            breaching = (
                leads >= settings.min_leads
                and base_leads >= settings.min_leads
                and share - base >= settings.min_increase - 1e-12
                and share >= settings.min_ratio * base - 1e-12
            )
            checks.append(InputCheck(
                source=name, field=field, leads=leads, missing=missing,
                baseline_leads=base_leads, baseline_missing=base_missing,
                missing_failed=int((now & miss & failed).sum()),
                missing_decided=int((now & miss & decided).sum()),
                complete_failed=int((now & ~miss & failed).sum()),
                complete_decided=int((now & ~miss & decided).sum()),
                missing_ids=tuple(np.sort(ids[now & miss])),
                breaching=breaching,
            ))
    return checks


def summary(check: InputCheck, settings: DataQuality) -> str:
    """One sentence: the source, the field, the jump and what it does to routing."""
    text = (
        f"{check.source} leads stopped sending {check.field}: "
        f"{format_rate(check.share)} of {format_count(check.leads)} new leads in the last "
        f"{settings.window_hours:g} h lack it or carry an invalid value, against "
        f"{format_rate(check.baseline_share)} over the {settings.baseline_days} days before."
    )
    missing, complete = check.failure_rates()
    if missing is not None and complete is not None:
        text += (f" Routing failed for {format_rate(missing)} of them, against "
                 f"{format_rate(complete)} of the source's leads with it.")
    return text


def input_findings(
    checks: list[InputCheck], config: RoutingConfig, labels: pd.Series | None = None,
) -> tuple[list[Finding], dict[str, float | None]]:
    """The findings of the breaching checks, and the window share of every compared one."""
    rule = effective_rule(config, RULE)
    if not rule.enabled:
        return [], {}
    settings = config.data_quality
    findings: list[Finding] = []
    values: dict[str, float | None] = {}
    for check in checks:
        reason = f"{check.field} from {check.source}"
        key = fingerprint(RULE, "", "", reason)
        values[key] = check.share
        if not check.breaching:
            continue
        ids = pd.Series(check.missing_ids, dtype=object)
        names = ids.map(labels).fillna(ids) if labels is not None else ids
        findings.append(Finding(
            fingerprint=key, rule=RULE, segment=MappingProxyType({"region": "", "tier": ""}),
            failure_reason=reason, value=check.share, threshold=check.baseline_share,
            comparison=">", window=f"last {settings.window_hours:g} h vs the "
            f"{settings.baseline_days} days before", sample=check.leads,
            lead_ids=check.missing_ids, labels=tuple(names.astype(str)),
            reasons=((reason, check.missing),), window_hours=settings.window_hours,
            severity=rule.severity, for_minutes=0.0, summary=summary(check, settings),
        ))
    return findings, values


def input_findings_as_of(
    config: RoutingConfig, as_of: datetime, labels: pd.Series | None = None,
) -> tuple[list[Finding], dict[str, float | None]]:
    """Load the leads of the baseline and the window from the database and check them."""
    settings = config.data_quality
    if not settings.enabled:
        return [], {}
    # Django and the loaders only here, so the checks above stay pure.
    from routing_health.facts.calendars import resolved_params
    from routing_health.facts.frames import load_frames
    from routing_health.metrics import lead_facts_of

    start = as_of - timedelta(hours=settings.window_hours, days=settings.baseline_days)
    frames = load_frames(created_from=start, as_of=as_of, data_quality=settings)
    facts = lead_facts_of(frames, resolved_params(config), as_of)
    return input_findings(input_checks(facts, settings, as_of), config, labels)
