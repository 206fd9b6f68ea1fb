"""One alert evaluation, end to end: load → evaluate → plan → apply → deliver.

``run_evaluation`` is the service ``manage.py evaluate_alerts`` and the scheduled job call.
Two clocks: ``as_of`` is the time the data is judged at (default: now); ``now`` is the wall
clock, used by ``sync_stale`` and the outbox. With an explicit ``as_of`` (a replay)
``sync_stale`` is skipped, so nothing is held either.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from routing_health.alerts.delivery import DeliverySummary, deliver_pending
from routing_health.alerts.evaluate import Finding, evaluate_facts, evaluate_sync
from routing_health.alerts.fairness import RULE as DISTRIBUTION_IMBALANCE
from routing_health.alerts.fairness import imbalance_findings
from routing_health.alerts.flow_loading import check_flows
from routing_health.alerts.flow_regression import RULE as FLOW_REGRESSION
from routing_health.alerts.flow_regression import flow_findings
from routing_health.alerts.incidents import Plan, Transition, apply_transitions, plan_transitions
from routing_health.alerts.inhibit import causes, with_causes
from routing_health.alerts.input_quality import RULE as INPUT_MISSING
from routing_health.alerts.input_quality import input_findings_as_of
from routing_health.alerts.kill_switch import RULE as KILL_SWITCH
from routing_health.alerts.kill_switch import kill_switch_findings
from routing_health.alerts.loading import load_alert_data
from routing_health.alerts.notices import incident_title, salesforce_instance_url
from routing_health.alerts.rules import DATA_DERIVED_RULES, RULES
from routing_health.alerts.slack_blocks import value_text
from routing_health.config import RoutingConfig
from routing_health.facts.kill_switch import switch_state
from routing_health.facts.reps import load_rep_states
from routing_health.models import AlertIncident
from routing_health.rollups.freshness import sync_status
from routing_health.slack.transport import SlackTransport

_FROM_SETTINGS: Any = object()


@dataclass(frozen=True)
class EvaluationReport:
    """What one evaluation found and did (the typed result of ``run_evaluation``)."""

    as_of: datetime
    now: datetime
    explicit_as_of: bool
    leads: int
    findings: tuple[Finding, ...]
    plan: Plan
    applied: list[Transition] = field(default_factory=list)
    held_rules: frozenset[str] = frozenset()
    dry_run: bool = False
    delivery: DeliverySummary | None = None

    def count(self, action: str) -> int:
        done = self.plan.transitions if self.dry_run else self.applied
        return sum(1 for t in done if t.action == action)

    def incidents(self) -> str:
        """One line: what happened to incidents (fired, reminded, resolved, held, snoozed)."""
        verb = "would be " if self.dry_run else ""
        parts = [
            f"fired {self.count('fire')}",
            f"reminded {self.count('remind')}",
            f"resolved {self.count('resolve')}",
            f"held {self.plan.held}",
            f"snoozed {self.plan.snoozed}",
        ]
        if self.count("pend"):
            parts.append(f"pending (waiting out the rule's `for`) {self.count('pend')}")
        if self.count("drop"):
            parts.append(f"dropped before firing {self.count('drop')}")
        if self.count("announce"):
            parts.append(f"announced after a snooze {self.count('announce')}")
        return f"incidents {verb}" + ", ".join(parts)

    def lines(self) -> list[str]:
        when = self.as_of.isoformat().replace("+00:00", "Z")
        head = f"Evaluated alert rules over {self.leads} leads as of {when}"
        if self.explicit_as_of:
            head += " (sync_stale skipped: --as-of given)"
        lines = [head]
        if self.held_rules:
            lines.append("sync_stale is firing: data-derived rules are held (no fire, resolve "
                         "or reminder until the data is fresh)")
        if self.dry_run:
            lines += [f"finding: {describe_finding(f)}" for f in self.findings]
            lines += [f"would {t.describe()}" for t in self.plan.transitions]
        lines.append(self.incidents())
        if self.delivery is not None:
            lines.append(self.delivery.line())
        return lines

    def summary(self) -> str:
        """The incidents line and, after a delivery, the notifications line (the job's detail)."""
        parts = [self.incidents()]
        if self.delivery is not None:
            parts.append(self.delivery.line())
        return "; ".join(parts)


def describe_finding(finding: Finding) -> str:
    """One line: rule, segment, reason, value vs threshold, sample, window, lead count."""
    spec = RULES[finding.rule]
    segment = "/".join(p for p in (finding.region, finding.tier) if p) or "all leads"
    reason = f" [{finding.failure_reason}]" if finding.failure_reason else ""
    value = value_text(finding.value, spec.value_format)
    threshold = value_text(finding.threshold, spec.value_format)
    window = f", {finding.window}" if finding.window else ""
    return (
        f"{finding.rule} {segment}{reason}: {value} {finding.comparison} {threshold} "
        f"(sample {finding.sample} {spec.sample_of}{window}; {len(finding.lead_ids)} leads)"
    )


def describe_consequence(finding: Finding) -> str:
    """A consequence as its cause's message lists it: "Assignment success below target
    (EMEA · hot): 0.0%"."""
    spec = RULES[finding.rule]
    segment = " · ".join(p for p in (finding.region, finding.tier) if p) or "all leads"
    title = incident_title(finding.rule, finding.failure_reason, finding.reasons)
    return f"{title} ({segment}): {value_text(finding.value, spec.value_format)}"


def _root_causes_first(
    findings: list[Finding], incidents: list[AlertIncident], config: RoutingConfig,
    as_of: datetime,
) -> list[Finding]:
    """Mark each consequence with its cause (``[[alerts.inhibit]]``): only findings that fire in
    this evaluation inhibit — ``for`` 0, or pending long enough, or firing already."""
    stored = {incident.fingerprint: incident for incident in incidents}

    def fires(finding: Finding) -> bool:
        incident = stored.get(finding.fingerprint)
        if incident is not None and incident.state == AlertIncident.State.FIRING:
            return True
        if incident is not None and incident.state == AlertIncident.State.PENDING:
            return as_of - incident.first_seen >= timedelta(minutes=finding.for_minutes)
        return finding.for_minutes == 0

    firing = {f.fingerprint for f in findings if fires(f)}
    cause_of = causes(findings, config.alerts.inhibit, firing)
    return with_causes(findings, cause_of, describe_consequence)


def run_evaluation(
    *,
    config: RoutingConfig,
    as_of: datetime | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    transport: SlackTransport | None = _FROM_SETTINGS,
    deliver: bool = True,
) -> EvaluationReport:
    """Evaluate every rule and apply the lifecycle; then deliver due notifications.

    ``transport`` defaults to ``SlackTransport.from_settings()`` (None: Slack not configured,
    notifications are kept). ``dry_run`` writes nothing and sends nothing.
    """
    now = now or timezone.now()
    explicit = as_of is not None
    as_of = as_of if as_of is not None else now
    data = load_alert_data(config, as_of)
    evaluation = evaluate_facts(
        data.facts, config, as_of, labels=data.labels, queue_names=data.queue_names,
        history_start=data.history_start,
    )
    # A flow regression comes first: it is the root cause of what follows it (spec section 10).
    flow_found, flow_values = flow_findings(
        check_flows(config, as_of), config, timezone=config.report.timezone,
        instance_url=salesforce_instance_url(), labels=data.labels,
    )
    switch_found, switch_values = kill_switch_findings(
        switch_state(config, as_of), config, as_of)
    imbalance_found, imbalance_values = imbalance_findings(
        data.facts, load_rep_states(), config, as_of, labels=data.labels,
    )
    input_found, input_values = input_findings_as_of(config, as_of, labels=data.labels)
    findings = [*flow_found, *switch_found, *evaluation.findings, *imbalance_found,
                *input_found]
    evaluated = {*evaluation.rules, FLOW_REGRESSION, KILL_SWITCH, DISTRIBUTION_IMBALANCE,
                 INPUT_MISSING}
    held: frozenset[str] = frozenset()
    if not explicit:
        evaluated.add("sync_stale")
        stale = evaluate_sync(sync_status(), config, now)
        if stale is not None:
            findings.insert(0, stale)
            held = DATA_DERIVED_RULES
    incidents = list(AlertIncident.objects.filter(rule__in=sorted(evaluated | held)))
    findings = _root_causes_first(findings, incidents, config, as_of)
    plan = plan_transitions(
        findings=findings,
        incidents=incidents,
        evaluated=frozenset(evaluated - held),
        held=held,
        values={**evaluation.values, **flow_values, **switch_values, **imbalance_values,
                **input_values},
        as_of=as_of,
        reminder=timedelta(hours=config.alerts.repeat_interval_hours),
        resolve_after=timedelta(minutes=config.alerts.resolve_minutes),
    )
    report = EvaluationReport(
        as_of=as_of, now=now, explicit_as_of=explicit, leads=evaluation.leads,
        findings=tuple(findings), plan=plan, held_rules=held, dry_run=dry_run,
    )
    if dry_run:
        return report
    applied = apply_transitions(
        plan.transitions, as_of=as_of, now=now, report_timezone=config.report.timezone,
        routes=config.alerts.routes,
    )
    delivery = None
    if deliver:
        if transport is _FROM_SETTINGS:
            transport = SlackTransport.from_settings()
        delivery = deliver_pending(now, transport)
    return replace(report, applied=applied, delivery=delivery)
