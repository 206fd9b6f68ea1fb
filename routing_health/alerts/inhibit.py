"""Root cause first (spec section 6): which findings a cause inhibits, as Alertmanager does.

An ``[[alerts.inhibit]]`` rule (``config.model.InhibitRule``; spec defaults
``DEFAULT_INHIBIT_RULES``) says: while a finding of ``source_rule`` fires, a finding of one of
``target_rules`` (every data-derived rule when empty) whose ``equal`` labels (region, tier, rule,
severity) have the same values is a *consequence*: it is shown under its cause — in the cause's
message and on the Alerts page — and never paged on its own. A finding never inhibits itself;
a source that is still pending (waiting out its ``for``) inhibits nothing yet. When several
causes inhibit one finding, the worst (critical first, then the earliest in evaluation order)
is its cause.

Pure: findings in, a mapping out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace

from routing_health.alerts.evaluate import Finding
from routing_health.alerts.rules import DATA_DERIVED_RULES
from routing_health.config.model import SEVERITIES, InhibitRule


def label(finding: Finding, name: str) -> str:
    """A finding's value for a group / inhibit label: region, tier, rule or severity."""
    if name == "region":
        return finding.region
    if name == "tier":
        return finding.tier
    if name == "rule":
        return finding.rule
    return finding.severity


def causes(
    findings: Sequence[Finding], rules: Sequence[InhibitRule], firing: Collection[str]
) -> Mapping[str, Finding]:
    """For each inhibited finding's fingerprint, the finding that causes it.

    ``firing``: the fingerprints that fire in this evaluation (only those may inhibit).
    """
    rank = {name: index for index, name in enumerate(SEVERITIES)}
    sources = sorted(
        (f for f in findings if f.fingerprint in firing),
        key=lambda f: rank.get(f.severity, len(rank)),
    )
    out: dict[str, Finding] = {}
    for target in findings:
        for rule in rules:
            targets = rule.target_rules or tuple(DATA_DERIVED_RULES)
            if target.rule not in targets or target.rule == rule.source_rule:
                continue
            cause = next(
                (s for s in sources
                 if s.rule == rule.source_rule and s.fingerprint != target.fingerprint
                 and all(label(s, name) == label(target, name) for name in rule.equal)),
                None,
            )
            if cause is not None and (
                target.fingerprint not in out
                or rank.get(cause.severity, 9) < rank.get(out[target.fingerprint].severity, 9)
            ):
                out[target.fingerprint] = cause
    return out


def with_causes(
    findings: Sequence[Finding], cause_of: Mapping[str, Finding], describe: Callable[[Finding], str]
) -> list[Finding]:
    """``findings`` with ``inhibited_by`` set on each consequence and, on each cause, its
    ``consequences`` described in words (evaluation order)."""
    by_cause: dict[str, list[str]] = {}
    for finding in findings:
        cause = cause_of.get(finding.fingerprint)
        if cause is not None:
            by_cause.setdefault(cause.fingerprint, []).append(describe(finding))
    return [
        replace(
            finding,
            inhibited_by=cause_of[finding.fingerprint].fingerprint
            if finding.fingerprint in cause_of else None,
            consequences=tuple(by_cause.get(finding.fingerprint, ())),
        )
        for finding in findings
    ]
