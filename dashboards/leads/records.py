"""Record filters: narrow the lead list (``/leads``) to the leads behind a number.

The operational pages (Queues, Failures, Reps, Alerts) count stored facts (``LeadFact``, as of
the metrics time); each count links to ``/leads`` with the page's filters plus one or more of
these parameters, so the list shows exactly the leads counted:

- ``outcome``: ``succeeded``, ``failed`` or ``pending``;
- ``failure_reason``: the failed decision node (``fallback: …`` / ``unrouted: …`` included);
- ``first_rep``: the 18-character Id of the lead's first rep;
- ``queue``: the 18-character Id of the queue the lead sat in at the metrics time;
- ``flag``: one of ``FLAGS`` (``queued``, ``over_limit``, ``bounced``, ``accepted``, …);
- ``above``: ``<column>:<minutes>``, the leads whose ``VALUE_COLUMNS`` column exceeds the value
  (a percentile tile's drill-down: the leads above its p95, listed worst first);
- ``missed``: an SLA of ``MISSED`` (``assign_sla_met``, …), the leads it applies to that missed it.
- ``rejection_reason``: rejected leads with this reason (``NO_REASON``: rejected without one).
- ``shadow``: one of ``SHADOW`` (``candidate``, ``compared``, ``agreed``, ``disagreed``), the
  Shadow page's counts (``[shadow]`` configured; the candidate is read from ``Lead.raw_fields``);
- ``candidate``: compared leads whose candidate is this owner Id; ``routed_owner``: leads whose
  routed owner is this Id (the Shadow page's bias review).

They read ``LeadFact`` through ``lead_id IN (SELECT …)``, so the list stays the paginated,
indexed query over ``Lead``. A bad value is dropped and explained, never a 500.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from routing_health.lib.format import format_minutes
from routing_health.lib.sfid import InvalidSalesforceId, to_18
from routing_health.models import Lead, LeadFact

RECORD_PARAMS = (
    "outcome", "failure_reason", "first_rep", "queue", "flag", "above", "missed",
    "rejection_reason", "shadow", "candidate", "routed_owner",
)
SHADOW = {
    "candidate": "With a candidate owner",
    "compared": "Candidate and routed owner both set",
    "agreed": "Candidate agreed with routing",
    "disagreed": "Candidate disagreed with routing",
}
NO_REASON = "(no reason given)"  # ``rejection_reason`` of a rejected lead with an empty reason
OUTCOMES = {"succeeded": "Succeeded", "failed": "Failed", "pending": "Pending",
            "triaged": "Triaged (kill switch on)"}
FLAGS = {
    "queued": "Queued at the metrics time",
    "over_limit": "Queued past the age limit",
    "assigned": "Assigned to a rep",
    "bounced": "Bounced",
    "accepted": "Accepted",
    "not_accepted": "Not accepted",
    "rejected": "Rejected",
    "touched": "Touched",
}
VALUE_COLUMNS = {
    "tta_minutes": "Time to assignment",
    "first_touch_minutes": "First touch",
    "tta_business_minutes": "Time to assignment (business hours)",
    "first_touch_business_minutes": "First touch (business hours)",
}
"""``LeadFact`` minutes columns a percentile is taken over (the catalog's ``Percentile.source``)."""
MISSED = {
    "assign_sla_met": ("assign_sla_applicable", "Missed the assignment SLA"),
    "touch_sla_met": ("touch_sla_applicable", "Missed the first-touch SLA"),
    "assign_sla_met_business": ("assign_sla_applicable_business",
                                "Missed the assignment SLA (business hours)"),
    "touch_sla_met_business": ("touch_sla_applicable_business",
                               "Missed the first-touch SLA (business hours)"),
}
"""An SLA rate's numerator (a ``LeadFact`` flag) -> its denominator flag and chip label."""
MAX_LENGTH = 255
MSG_BAD_ABOVE = "{name}={value!r} is not <column>:<minutes> of {choices}: ignored"
MSG_BAD_CHOICE = "{name}={value!r} is not one of {choices}: ignored"
MSG_BAD_ID = "{name}={value!r} is not a Salesforce Id: ignored"
MSG_TOO_LONG = "{name} is longer than {limit} characters: ignored"


@dataclass(frozen=True)
class RecordChip:
    label: str
    param: str


@dataclass(frozen=True)
class RecordFilters:
    """Validated record filters; all empty means "no narrowing"."""

    outcome: str = ""
    failure_reason: str = ""
    first_rep: str = ""
    queue: str = ""
    flag: str = ""
    above: str = ""
    missed: str = ""
    rejection_reason: str = ""
    shadow: str = ""
    candidate: str = ""
    routed_owner: str = ""
    errors: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in RECORD_PARAMS)

    def params(self) -> dict[str, str]:
        """The set filters as query parameters (for links that keep them)."""
        return {name: getattr(self, name) for name in RECORD_PARAMS if getattr(self, name)}

    @property
    def above_column(self) -> str:
        """The column of ``above`` (``""`` without one): the list's own column, worst first."""
        return self.above.partition(":")[0]

    @property
    def above_minutes(self) -> float | None:
        return float(self.above.partition(":")[2]) if self.above else None

    def fact_q(
        self, *, as_of: datetime | None, limit_hours: float, shadow_field: str | None = None
    ) -> Q:
        """The filters as a ``Q`` over ``LeadFact`` (``shadow_field``: the configured candidate
        field; without it the shadow filters match nothing)."""
        q = Q()
        if self.shadow or self.candidate:
            q &= shadow_q(self.shadow or "compared", shadow_field, self.candidate)
        if self.routed_owner:
            q &= Q(routed_owner=self.routed_owner)
        if self.outcome:
            q &= Q(outcome=self.outcome)
        if self.failure_reason:
            q &= Q(failure_reason=self.failure_reason)
        if self.first_rep:
            q &= Q(first_rep=self.first_rep)
        if self.queue:
            q &= Q(queued=True, queue_owner=self.queue)
        if self.flag:
            q &= flag_q(self.flag, as_of=as_of, limit_hours=limit_hours)
        if self.above:
            q &= Q(**{f"{self.above_column}__gt": self.above_minutes})
        if self.missed:
            q &= Q(**{MISSED[self.missed][0]: True, self.missed: False})
        if self.rejection_reason:
            reason = "" if self.rejection_reason == NO_REASON else self.rejection_reason
            q &= Q(rejected=True, rejection_reason=reason)
        return q

    def chips(self, names: Mapping[str, str]) -> list[RecordChip]:
        """One chip per set filter (labels for people: owner names, not Ids)."""
        chips: list[RecordChip] = []
        if self.outcome:
            chips.append(RecordChip(f"Outcome: {OUTCOMES[self.outcome]}", "outcome"))
        if self.failure_reason:
            chips.append(RecordChip(f"Failure reason: {self.failure_reason}", "failure_reason"))
        if self.first_rep:
            rep = names.get(self.first_rep) or self.first_rep
            chips.append(RecordChip(f"First rep: {rep}", "first_rep"))
        if self.queue:
            queue = names.get(self.queue) or self.queue
            chips.append(RecordChip(f"Queue: {queue}", "queue"))
        if self.flag:
            chips.append(RecordChip(FLAGS[self.flag], "flag"))
        if self.above:
            over = format_minutes(self.above_minutes)
            chips.append(RecordChip(f"{VALUE_COLUMNS[self.above_column]} over {over}", "above"))
        if self.missed:
            chips.append(RecordChip(MISSED[self.missed][1], "missed"))
        if self.rejection_reason:
            chips.append(
                RecordChip(f"Rejected, reason: {self.rejection_reason}", "rejection_reason")
            )
        if self.shadow:
            chips.append(RecordChip(SHADOW[self.shadow], "shadow"))
        if self.candidate:
            who = names.get(self.candidate) or self.candidate
            chips.append(RecordChip(f"Candidate: {who}", "candidate"))
        if self.routed_owner:
            who = names.get(self.routed_owner) or self.routed_owner
            chips.append(RecordChip(f"Routed to: {who}", "routed_owner"))
        return chips


def flag_q(flag: str, *, as_of: datetime | None, limit_hours: float) -> Q:
    """One ``FLAGS`` entry as a ``Q`` over ``LeadFact`` (over-limit needs the metrics time)."""
    if flag == "queued":
        return Q(queued=True)
    if flag == "over_limit":
        if as_of is None:
            return Q(pk__in=[])
        return Q(queued=True, queue_entered_at__lt=as_of - timedelta(hours=limit_hours))
    if flag == "assigned":
        return ~Q(first_rep="")
    if flag == "not_accepted":
        return ~Q(first_rep="") & Q(accepted=False, acceptance_pending=False)
    if flag == "touched":
        return Q(first_touch_minutes__isnull=False)
    return Q(**{flag: True})  # bounced, accepted, rejected


def shadow_q(kind: str, field_name: str | None, candidate: str = "") -> Q:
    """``SHADOW`` ``kind`` (and, when given, the candidate Id) as a ``Q`` over ``LeadFact``:
    the candidate is the stored value of ``field_name`` (18-character, set by the sync), the
    same rule as ``metrics.shadow``."""
    if not field_name:
        return Q(pk__in=[])
    # Key transforms built directly: a custom field's "__c" would split a "raw_fields__..."
    # path. ``shadow_json`` compares JSON values (None = JSON null, a string = that string) the
    # same way on SQLite and PostgreSQL; ``shadow_text`` is the text for comparing with a column.
    # The sync stores a blank candidate as null (``sync.objects._candidate_id``).
    leads = Lead.objects.alias(
        shadow_json=KeyTransform(field_name, "raw_fields"),
        shadow_text=KeyTextTransform(field_name, "raw_fields"),
    ).filter(raw_fields__has_key=field_name).exclude(shadow_json=None)
    if candidate:
        leads = leads.filter(shadow_json=candidate)
    with_candidate = Q(lead_id__in=leads.values("id"))
    if kind == "candidate":
        return with_candidate
    compared = with_candidate & ~Q(routed_owner="")
    if kind == "compared":
        return compared
    same = Exists(
        LeadFact.objects.filter(lead_id=OuterRef("id"), routed_owner=OuterRef("shadow_text"))
    )
    agreed = Q(lead_id__in=leads.filter(same).values("id"))
    return compared & (agreed if kind == "agreed" else ~agreed)


def parse_record_filters(query: Mapping[str, str]) -> RecordFilters:
    """Validate the record parameters of ``query`` (e.g. ``request.GET``)."""
    values: dict[str, str] = {}
    errors: list[str] = []
    for name in RECORD_PARAMS:
        raw = str(query.get(name) or "").strip()
        if not raw:
            continue
        if len(raw) > MAX_LENGTH:
            errors.append(MSG_TOO_LONG.format(name=name, limit=MAX_LENGTH))
        elif name == "outcome" and raw not in OUTCOMES:
            errors.append(MSG_BAD_CHOICE.format(name=name, value=raw, choices=", ".join(OUTCOMES)))
        elif name == "flag" and raw not in FLAGS:
            errors.append(MSG_BAD_CHOICE.format(name=name, value=raw, choices=", ".join(FLAGS)))
        elif name == "shadow" and raw not in SHADOW:
            errors.append(MSG_BAD_CHOICE.format(name=name, value=raw, choices=", ".join(SHADOW)))
        elif name == "missed" and raw not in MISSED:
            errors.append(MSG_BAD_CHOICE.format(name=name, value=raw, choices=", ".join(MISSED)))
        elif name == "above" and not _valid_above(raw):
            errors.append(MSG_BAD_ABOVE.format(name=name, value=raw,
                                               choices=", ".join(VALUE_COLUMNS)))
        elif name in ("first_rep", "queue", "candidate", "routed_owner"):
            try:
                values[name] = to_18(raw)
            except InvalidSalesforceId:
                errors.append(MSG_BAD_ID.format(name=name, value=raw))
        else:
            values[name] = raw
    return RecordFilters(**values, errors=tuple(errors))


def _valid_above(raw: str) -> bool:
    column, _, minutes = raw.partition(":")
    try:
        return column in VALUE_COLUMNS and math.isfinite(float(minutes))
    except ValueError:
        return False


def above(column: str, minutes: float) -> str:
    """The ``above`` parameter for the leads whose ``column`` exceeds ``minutes`` (exact: the
    float's shortest round-tripping text)."""
    return f"{column}:{minutes!r}"


def matching_fact_ids(
    record: RecordFilters,
    *,
    as_of: datetime | None,
    limit_hours: float,
    shadow_field: str | None = None,
) -> QuerySet[LeadFact]:
    """``lead_id`` s of the facts matching ``record``: a sub-select for ``Lead.id__in``."""
    q = record.fact_q(as_of=as_of, limit_hours=limit_hours, shadow_field=shadow_field)
    return LeadFact.objects.filter(q).values("lead_id")
