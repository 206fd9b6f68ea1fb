"""The metric catalog: every exported metric declared once (spec sections 5 and 10).

One frozen ``Metric`` row per metric that ``export_metrics`` prints, in the order it prints them
(``METRICS``): its ``name`` (the JSON key and CSV column), the words people read (``label`` for a
sentence or a card, ``short_label`` for a column heading; both unique), its ``unit`` (``count``,
``rate`` 0..1, ``minutes`` or ``hours``), which way is ``better`` (``higher``, ``lower`` or
``none`` for a volume), its target (``default_target``, or ``target_setting`` when the routing
configuration supplies it: the tier's ``assign_minutes`` / ``touch_minutes`` or
``queue_age_limit_hours``), and its business-hours twin (``business_twin``).

``formula`` says how the engine computes it, as data:

- ``Count(members)``: the number of leads of the group that are ``members`` (a per-lead rule of
  ``definitions.count_members``);
- ``Rate(numerator, denominator)``: a count over the sum of the ``denominator`` counts; null when
  that sum is 0 (``definitions.rate``);
- ``Percentile(source, over, q)``: the ``q`` quantile (linear interpolation) of the fact column
  ``source`` over the leads counted by ``over``; null when there are none;
- ``Maximum(source, over)``: the largest ``source`` over the leads counted by ``over``; null when
  there are none.

A rate may be made of counts that are not exported themselves (``COMPONENTS``: e.g. the leads in
the assignment-SLA denominator); they are the counters the daily rollups store, under the same
names, so a rate merged from rollups is the same formula as the engine's.

Adding a metric: one row here (the engine's ``METRIC_NAMES`` and so the export's columns are
``exported_names()``), a per-lead rule in ``definitions.count_members`` if it is a new count, and
a test with a hand-computed value.

Pure Python: no Django, no pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from routing_health.lib.format import format_value

Unit = Literal["count", "rate", "minutes", "hours"]
Better = Literal["higher", "lower", "none"]

UNKNOWN_METRIC = "unknown metric {name!r}: the catalog has {known}"


@dataclass(frozen=True)
class Count:
    """The number of leads that are ``members`` (a name of ``definitions.count_members``)."""

    members: str


@dataclass(frozen=True)
class Rate:
    """``numerator`` / sum of ``denominator`` (count names); null when that sum is 0."""

    numerator: str
    denominator: tuple[str, ...]


@dataclass(frozen=True)
class Percentile:
    """The ``q`` quantile of fact column ``source`` over the leads counted by ``over``."""

    source: str
    over: str
    q: float


@dataclass(frozen=True)
class Maximum:
    """The largest value of fact column ``source`` over the leads counted by ``over``."""

    source: str
    over: str


Formula = Count | Rate | Percentile | Maximum


@dataclass(frozen=True)
class Metric:
    """One exported metric. See the module docstring for the fields."""

    name: str
    label: str
    short_label: str
    unit: Unit
    better: Better
    formula: Formula
    default_target: float | None = None
    target_setting: str | None = None
    business_twin: str | None = None
    description: str = ""

    @property
    def is_business(self) -> bool:
        """The business-hours variant of another metric (spec section 10)."""
        return self.name in _TWIN_OF


@dataclass(frozen=True)
class Component:
    """A count a rate is made of that the export does not print (a rollup counter)."""

    name: str
    description: str


def _metric(
    name: str,
    label: str,
    short_label: str,
    unit: Unit,
    better: Better,
    formula: Formula,
    description: str,
    *,
    target: float | None = None,
    target_setting: str | None = None,
    twin: str | None = None,
) -> Metric:
    return Metric(
        name=name,
        label=label,
        short_label=short_label,
        unit=unit,
        better=better,
        formula=formula,
        default_target=target,
        target_setting=target_setting,
        business_twin=twin,
        description=description,
    )


# Targets (see docs/metrics.md, "Targets"): assignment success and rejection rate are the alert
# rules' defaults of spec section 6; the p95 and p50 clocks are judged against the tier SLA; the
# SLA attainment, acceptance and bounce targets are the dashboard's own (no alert rule sets
# them); the queue-age limit is the configured ``queue_age_limit_hours``.
SLA_ATTAINMENT_TARGET = 0.95
ACCEPTANCE_TARGET = 0.90
BOUNCE_LIMIT = 0.10
ASSIGNMENT_SUCCESS_TARGET = 0.995
REJECTION_LIMIT = 0.10

ASSIGN_SLA = "assign_minutes"
TOUCH_SLA = "touch_minutes"
QUEUE_AGE_LIMIT = "queue_age_limit_hours"

METRICS: tuple[Metric, ...] = (
    _metric("leads", "Leads created", "Leads", "count", "none", Count("leads"),
            "Leads created in the window (the cohort)."),
    _metric("succeeded", "Routed", "Routed", "count", "none", Count("succeeded"),
            "Leads whose routing succeeded."),
    _metric("failed", "Failed routing", "Failed", "count", "lower", Count("failed"),
            "Leads whose routing failed (failed node, fallback owner or never routed)."),
    _metric("pending", "Routing pending", "Pending", "count", "none", Count("pending"),
            "Unrouted leads still inside the routing grace period."),
    _metric("assignment_success_rate", "Assignment success", "Assign success", "rate", "higher",
            Rate("succeeded", ("succeeded", "failed")),
            "Routed leads over routed and failed leads.", target=ASSIGNMENT_SUCCESS_TARGET),
    _metric("assigned", "Assigned to a rep", "Assigned", "count", "none", Count("assigned"),
            "Leads that reached a rep."),
    _metric("tta_p50_minutes", "Time to assignment p50", "TTA p50", "minutes", "lower",
            Percentile("tta_minutes", "assigned", 0.5),
            "Median time from creation to the first rep owner.",
            target_setting=ASSIGN_SLA, twin="tta_p50_business_minutes"),
    _metric("tta_p95_minutes", "Time to assignment p95", "TTA p95", "minutes", "lower",
            Percentile("tta_minutes", "assigned", 0.95),
            "95th percentile of the time from creation to the first rep owner.",
            target_setting=ASSIGN_SLA, twin="tta_p95_business_minutes"),
    _metric("assign_sla_met_rate", "Assignment SLA met", "Assign SLA", "rate", "higher",
            Rate("assign_sla_met", ("assign_sla_applicable",)),
            "Share of leads assigned within their tier's SLA; unassigned leads past it count "
            "as misses.", target=SLA_ATTAINMENT_TARGET, twin="assign_sla_met_rate_business"),
    _metric("bounced", "Bounced", "Bounced", "count", "lower", Count("bounced"),
            "Assigned leads moved on by their first rep within the bounce window."),
    _metric("bounce_rate", "Bounce rate", "Bounce rate", "rate", "lower",
            Rate("bounced", ("assigned",)), "Bounced leads over assigned leads.",
            target=BOUNCE_LIMIT),
    _metric("accepted", "Accepted", "Accepted", "count", "none", Count("accepted"),
            "Assigned leads accepted (accepted status or a touch) within the window."),
    _metric("acceptance_rate", "Acceptance rate", "Acceptance", "rate", "higher",
            Rate("accepted", ("acceptance_base",)),
            "Accepted leads over assigned leads whose acceptance window has closed.",
            target=ACCEPTANCE_TARGET),
    _metric("touched", "Touched", "Touched", "count", "none", Count("touched"),
            "Leads with a Task or Event not made by automation."),
    _metric("first_touch_p50_minutes", "First touch p50", "Touch p50", "minutes", "lower",
            Percentile("first_touch_minutes", "touched", 0.5),
            "Median time from creation to the first touch (speed to lead).",
            target_setting=TOUCH_SLA, twin="first_touch_p50_business_minutes"),
    _metric("first_touch_p95_minutes", "First touch p95", "Touch p95", "minutes", "lower",
            Percentile("first_touch_minutes", "touched", 0.95),
            "95th percentile of the time from creation to the first touch.",
            target_setting=TOUCH_SLA, twin="first_touch_p95_business_minutes"),
    _metric("touch_sla_met_rate", "First-touch SLA met", "Touch SLA", "rate", "higher",
            Rate("touch_sla_met", ("touch_sla_applicable",)),
            "Share of leads touched within their tier's SLA; untouched leads past it count as "
            "misses.", target=SLA_ATTAINMENT_TARGET, twin="touch_sla_met_rate_business"),
    _metric("rejected", "Rejected", "Rejected", "count", "lower", Count("rejected"),
            "Assigned leads moved into a rejected status."),
    _metric("rejection_rate", "Rejection rate", "Rejection", "rate", "lower",
            Rate("rejected", ("assigned",)), "Rejected leads over assigned leads.",
            target=REJECTION_LIMIT),
    _metric("queued", "Queued now", "Queued", "count", "none", Count("queued"),
            "Leads of the window owned by a queue at T."),
    _metric("queued_over_limit", "Queued over the limit", "Over limit", "count", "lower",
            Count("queued_over_limit"), "Queued leads waiting longer than the queue-age limit.",
            target=0.0),
    _metric("oldest_queue_age_hours", "Oldest queued lead", "Oldest queued", "hours", "lower",
            Maximum("queue_age_hours", "queued"),
            "How long the longest-waiting queued lead has waited.",
            target_setting=QUEUE_AGE_LIMIT),
    _metric("tta_p50_business_minutes", "Time to assignment p50 (business hours)",
            "TTA p50 (bh)", "minutes", "lower",
            Percentile("tta_business_minutes", "assigned", 0.5),
            "tta_p50_minutes counting only the open minutes of the region's calendar.",
            target_setting=ASSIGN_SLA),
    _metric("tta_p95_business_minutes", "Time to assignment p95 (business hours)",
            "TTA p95 (bh)", "minutes", "lower",
            Percentile("tta_business_minutes", "assigned", 0.95),
            "tta_p95_minutes counting only the open minutes of the region's calendar.",
            target_setting=ASSIGN_SLA),
    _metric("first_touch_p50_business_minutes", "First touch p50 (business hours)",
            "Touch p50 (bh)", "minutes", "lower",
            Percentile("first_touch_business_minutes", "touched", 0.5),
            "first_touch_p50_minutes counting only the open minutes of the region's calendar.",
            target_setting=TOUCH_SLA),
    _metric("first_touch_p95_business_minutes", "First touch p95 (business hours)",
            "Touch p95 (bh)", "minutes", "lower",
            Percentile("first_touch_business_minutes", "touched", 0.95),
            "first_touch_p95_minutes counting only the open minutes of the region's calendar.",
            target_setting=TOUCH_SLA),
    _metric("assign_sla_met_rate_business", "Assignment SLA met (business hours)",
            "Assign SLA (bh)", "rate", "higher",
            Rate("assign_sla_met_business", ("assign_sla_applicable_business",)),
            "assign_sla_met_rate on the business-hours clock.", target=SLA_ATTAINMENT_TARGET),
    _metric("touch_sla_met_rate_business", "First-touch SLA met (business hours)",
            "Touch SLA (bh)", "rate", "higher",
            Rate("touch_sla_met_business", ("touch_sla_applicable_business",)),
            "touch_sla_met_rate on the business-hours clock.", target=SLA_ATTAINMENT_TARGET),
    # Spec section 10, kill switch: a fourth outcome beside succeeded, failed and pending.
    _metric("triaged", "Triaged (kill switch on)", "Triaged", "count", "none", Count("triaged"),
            "Leads sent to the triage queue while the routing kill switch was on: routing was "
            "switched off on purpose, so they are neither routed nor failed."),
    # Routing-input data quality (issue 17, item 4; routing_health.metrics.inputs): "missing"
    # means missing or invalid at creation on at least one [data_quality] field. Null rates
    # when [data_quality] lists no field (nothing was checked).
    _metric("input_missing", "Leads missing routing inputs", "Inputs missing", "count",
            "lower", Count("input_missing"),
            "Leads missing, or invalid on, at least one [data_quality] field at creation."),
    _metric("input_missing_rate", "Share missing routing inputs", "Inputs missing %", "rate",
            "lower", Rate("input_missing", ("input_checked",)),
            "Leads missing routing inputs over the leads checked."),
    _metric("input_missing_failure_rate", "Failure rate, inputs missing", "Fail % (missing)",
            "rate", "lower",
            Rate("input_missing_failed", ("input_missing_failed", "input_missing_succeeded")),
            "Failed over failed and routed leads among those missing routing inputs."),
    _metric("input_complete_failure_rate", "Failure rate, inputs complete",
            "Fail % (complete)", "rate", "lower",
            Rate("input_complete_failed", ("input_complete_failed", "input_complete_succeeded")),
            "Failed over failed and routed leads among those with every routing input."),
)
"""Every exported metric, in the order ``export_metrics`` prints them."""

DUPLICATE_METRICS: tuple[Metric, ...] = (
    _metric("account_matched", "Leads matching an Account", "Account match", "count", "none",
            Count("account_matched"),
            "Leads routed to a rep whose e-mail/website domain or company name matches an "
            "existing Account."),
    _metric("account_conflicts", "Routed against the account owner", "Account misrouted",
            "count", "lower", Count("account_conflict"),
            "Matched leads routed to a rep who owns none of the matching Accounts."),
    _metric("account_conflict_rate", "Account-owner conflict rate", "Account conflict",
            "rate", "lower", Rate("account_conflict", ("account_matched",)),
            "Leads routed against the account owner over leads matching an Account."),
    _metric("duplicate_outreach", "Duplicate outreach", "Dup. outreach", "count", "lower",
            Count("duplicate_outreach"),
            "Leads of a company (domain or name) that another rep also got within the "
            "duplicates window.", target=0.0),
    _metric("duplicate_outreach_rate", "Duplicate outreach rate", "Dup. outreach rate", "rate",
            "lower", Rate("duplicate_outreach", ("duplicate_candidate",)),
            "Duplicate-outreach leads over leads routed to a rep with a domain or company name."),
)
"""The duplicates family (issue 17 item 3): computed from leads and Accounts by
``routing_health.metrics.duplicates``, exported after ``METRICS`` by ``export_metrics`` and the
API; not in the daily rollups (a lead's duplicate status changes when another lead arrives)."""

DUPLICATE_COMPONENTS: tuple[Component, ...] = (
    Component("duplicate_candidate", "Leads routed to a rep with a domain or company key."),
)

COMPONENTS: tuple[Component, ...] = (
    Component("assign_sla_applicable", "Leads in the assignment-SLA denominator: assigned, or "
              "unassigned and older than the tier's assign_minutes."),
    Component("assign_sla_met", "Of those, assigned within assign_minutes."),
    Component("acceptance_base", "Assigned leads not pending acceptance."),
    Component("touch_sla_applicable", "Leads in the touch-SLA denominator: touched, or "
              "untouched and older than the tier's touch_minutes."),
    Component("touch_sla_met", "Of those, touched within touch_minutes."),
    Component("assign_sla_applicable_business", "assign_sla_applicable on the business clock."),
    Component("assign_sla_met_business", "assign_sla_met on the business clock."),
    Component("touch_sla_applicable_business", "touch_sla_applicable on the business clock."),
    Component("touch_sla_met_business", "touch_sla_met on the business clock."),
    Component("input_checked", "Leads whose [data_quality] fields were checked (all leads "
              "when fields are listed, none otherwise)."),
    Component("input_missing_failed", "Leads missing routing inputs whose routing failed."),
    Component("input_missing_succeeded", "Leads missing routing inputs that were routed."),
    Component("input_complete_failed", "Checked leads with every input whose routing failed."),
    Component("input_complete_succeeded", "Checked leads with every input that were routed."),
)
"""Counts that rates are made of but the export does not print (the rollups store them)."""

# Shadow comparison (issue 17): exported only when the configuration has a ``[shadow]`` table
# (the facts then carry the ``metrics.shadow`` columns). "Agreed" leads are those whose candidate
# owner is the owner routing chose; "disagreed" ones had a candidate and a different routed
# owner. Their outcomes side by side are the raw material of the comparison
# (``metrics.shadow_compare``: differences with 95 % intervals and a verdict).
SHADOW_METRICS: tuple[Metric, ...] = (
    _metric("shadow_candidates", "Leads with a candidate owner", "With candidate", "count",
            "none", Count("shadow_candidates"),
            "Leads whose candidate-owner field holds an owner."),
    _metric("shadow_coverage_rate", "Candidate coverage", "Coverage", "rate", "higher",
            Rate("shadow_candidates", ("leads",)),
            "Leads with a candidate owner over all leads."),
    _metric("shadow_compared", "Leads compared", "Compared", "count", "none",
            Count("shadow_compared"),
            "Leads with a candidate owner and a routed owner."),
    _metric("shadow_agreed", "Candidate agreed with routing", "Agreed", "count", "none",
            Count("shadow_agreed"),
            "Compared leads whose candidate is the owner routing chose."),
    _metric("shadow_disagreed", "Candidate disagreed with routing", "Disagreed", "count", "none",
            Count("shadow_disagreed"),
            "Compared leads whose candidate is another owner than the one routing chose."),
    _metric("shadow_agreement_rate", "Agreement with routing", "Agreement", "rate", "none",
            Rate("shadow_agreed", ("shadow_compared",)),
            "Agreed leads over compared leads."),
    _metric("shadow_first_rep_agreement_rate", "Agreement with the first rep",
            "First-rep agreement", "rate", "none",
            Rate("shadow_first_rep_agreed", ("shadow_first_rep_compared",)),
            "Leads whose candidate is their first rep over leads with a candidate and a first "
            "rep."),
    _metric("shadow_agreed_acceptance_rate", "Acceptance when agreed", "Accept (agreed)", "rate",
            "higher", Rate("shadow_agreed_accepted", ("shadow_agreed_acceptance_base",)),
            "acceptance_rate over the agreed leads."),
    _metric("shadow_disagreed_acceptance_rate", "Acceptance when disagreed",
            "Accept (disagreed)", "rate", "higher",
            Rate("shadow_disagreed_accepted", ("shadow_disagreed_acceptance_base",)),
            "acceptance_rate over the disagreed leads."),
    _metric("shadow_agreed_first_touch_p50_minutes", "First touch p50 when agreed",
            "Touch p50 (agreed)", "minutes", "lower",
            Percentile("first_touch_minutes", "shadow_agreed_touched", 0.5),
            "first_touch_p50_minutes over the agreed leads."),
    _metric("shadow_disagreed_first_touch_p50_minutes", "First touch p50 when disagreed",
            "Touch p50 (disagreed)", "minutes", "lower",
            Percentile("first_touch_minutes", "shadow_disagreed_touched", 0.5),
            "first_touch_p50_minutes over the disagreed leads."),
    _metric("shadow_agreed_touch_sla_met_rate", "First-touch SLA met when agreed",
            "Touch SLA (agreed)", "rate", "higher",
            Rate("shadow_agreed_touch_sla_met", ("shadow_agreed_touch_sla_applicable",)),
            "touch_sla_met_rate over the agreed leads."),
    _metric("shadow_disagreed_touch_sla_met_rate", "First-touch SLA met when disagreed",
            "Touch SLA (disagreed)", "rate", "higher",
            Rate("shadow_disagreed_touch_sla_met", ("shadow_disagreed_touch_sla_applicable",)),
            "touch_sla_met_rate over the disagreed leads."),
    _metric("shadow_agreed_conversion_rate", "Converted within N days when agreed",
            "Converted (agreed)", "rate", "higher",
            Rate("shadow_agreed_converted", ("shadow_agreed_conversion_base",)),
            "Agreed leads converted within [shadow] conversion_days of creation over agreed "
            "leads converted so or older than that."),
    _metric("shadow_disagreed_conversion_rate", "Converted within N days when disagreed",
            "Converted (disagreed)", "rate", "higher",
            Rate("shadow_disagreed_converted", ("shadow_disagreed_conversion_base",)),
            "shadow_agreed_conversion_rate over the disagreed leads."),
)
"""The shadow-comparison metrics, in export order after ``METRICS`` (only with ``[shadow]``)."""

SHADOW_COMPONENTS: tuple[Component, ...] = (
    Component("shadow_first_rep_compared", "Leads with a candidate owner and a first rep."),
    Component("shadow_first_rep_agreed", "Of those, the candidate is the first rep."),
    *(
        Component(f"shadow_{side}_{part}", f"{part} among the {side} leads.")
        for side in ("agreed", "disagreed")
        for part in ("accepted", "acceptance_base", "touched", "touch_sla_met",
                     "touch_sla_applicable", "converted", "conversion_base")
    ),
)
"""Counts the shadow rates are made of that the export does not print."""

AVAILABILITY_METRICS: tuple[Metric, ...] = (
    _metric("leads_to_inactive_rep", "Leads sent to an inactive rep", "To inactive", "count",
            "lower", Count("to_inactive_rep"),
            "Leads whose first rep is inactive now and was assigned them after the rep's last "
            "modification (routing_health.metrics.fairness).", target=0.0),
    _metric("leads_to_out_of_office_rep", "Leads sent to an out-of-office rep", "To OOO",
            "count", "lower", Count("to_out_of_office_rep"),
            "Leads whose first rep is active but out of office now (the configured User "
            "checkbox) and was assigned them after the rep's last modification.", target=0.0),
    _metric("open_with_inactive_owner", "Open leads owned by an inactive user",
            "Open, owner inactive", "count", "lower", Count("open_with_inactive_owner"),
            "Leads not converted and not in a closed status whose current owner is an "
            "inactive user.", target=0.0),
)
"""The fairness counts of issue 17, exported after ``METRICS`` (``export_metrics``, the API):
computed from the lead facts with the users' state (``routing_health.metrics.fairness``), not
from the daily rollups, so pages that merge rollups do not show them."""

_BY_NAME: Mapping[str, Metric] = MappingProxyType(
    {m.name: m for m in (*METRICS, *AVAILABILITY_METRICS, *DUPLICATE_METRICS, *SHADOW_METRICS)}
)
_TWIN_OF: Mapping[str, str] = MappingProxyType(
    {m.business_twin: m.name for m in METRICS if m.business_twin}
)


def metric(name: str) -> Metric:
    """The catalog row of ``name``; ``KeyError`` naming it (and the known names) if unknown."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise KeyError(UNKNOWN_METRIC.format(name=name, known=known)) from None


def exported_names() -> tuple[str, ...]:
    """The names of every exported metric, in export order (the JSON keys, CSV columns)."""
    return tuple(m.name for m in METRICS)


def shadow_names() -> tuple[str, ...]:
    """The shadow-comparison metrics' names, in export order (after ``exported_names()``)."""
    return tuple(m.name for m in SHADOW_METRICS)


def availability_names() -> tuple[str, ...]:
    """The names of the fairness counts the export prints after ``exported_names()``."""
    return tuple(m.name for m in AVAILABILITY_METRICS)


def duplicate_names() -> tuple[str, ...]:
    """The duplicates family's metric names, in export order (after ``exported_names()``)."""
    return tuple(m.name for m in DUPLICATE_METRICS)


def count_names() -> tuple[str, ...]:
    """Every count a formula may refer to: the exported counts, then ``COMPONENTS``."""
    exported = tuple(m.formula.members for m in METRICS if isinstance(m.formula, Count))
    return (*exported, *(c.name for c in COMPONENTS))


def wall_clock_twin(name: str) -> str | None:
    """The wall-clock metric whose business-hours twin is ``name`` (``None`` if it is none)."""
    return _TWIN_OF.get(name)


def of_unit(unit: Unit) -> tuple[Metric, ...]:
    """The metrics in ``unit``, in export order."""
    return tuple(m for m in METRICS if m.unit == unit)


def format_metric(name: str, value: float | None) -> str:
    """The value of metric ``name`` as every surface shows it, in the catalog's unit for it
    (``routing_health.lib.format.format_value``); ``KeyError`` for an unknown name."""
    return format_value(value, metric(name).unit)
