"""Record filters: narrow the lead list (``/leads``) to the leads behind a number.

The operational pages (Queues, Failures, Reps, Alerts) count stored facts (``LeadFact``, as of
the metrics time); each count links to ``/leads`` with the page's filters plus one or more of
these parameters, so the list shows exactly the leads counted:

- ``outcome``: ``succeeded``, ``failed`` or ``pending``;
- ``failure_reason``: the failed decision node (``fallback: …`` / ``unrouted: …`` included);
- ``first_rep``: the 18-character Id of the lead's first rep;
- ``queue``: the 18-character Id of the queue the lead sat in at the metrics time;
- ``flag``: one of ``FLAGS`` (``queued``, ``over_limit``, ``bounced``, ``accepted``, …);
- ``rejection_reason``: rejected leads with this reason (``NO_REASON``: rejected without one).

They read ``LeadFact`` through ``lead_id IN (SELECT …)``, so the list stays the paginated,
indexed query over ``Lead``. A bad value is dropped and explained, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from routing_health.lib.sfid import InvalidSalesforceId, to_18
from routing_health.models import LeadFact

RECORD_PARAMS = ("outcome", "failure_reason", "first_rep", "queue", "flag", "rejection_reason")
NO_REASON = "(no reason given)"  # ``rejection_reason`` of a rejected lead with an empty reason
OUTCOMES = {"succeeded": "Succeeded", "failed": "Failed", "pending": "Pending"}
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
MAX_LENGTH = 255
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
    rejection_reason: str = ""
    errors: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in RECORD_PARAMS)

    def params(self) -> dict[str, str]:
        """The set filters as query parameters (for links that keep them)."""
        return {name: getattr(self, name) for name in RECORD_PARAMS if getattr(self, name)}

    def fact_q(self, *, as_of: datetime | None, limit_hours: float) -> Q:
        """The filters as a ``Q`` over ``LeadFact``."""
        q = Q()
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
        if self.rejection_reason:
            chips.append(
                RecordChip(f"Rejected, reason: {self.rejection_reason}", "rejection_reason")
            )
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
        elif name in ("first_rep", "queue"):
            try:
                values[name] = to_18(raw)
            except InvalidSalesforceId:
                errors.append(MSG_BAD_ID.format(name=name, value=raw))
        else:
            values[name] = raw
    return RecordFilters(**values, errors=tuple(errors))


def matching_fact_ids(
    record: RecordFilters, *, as_of: datetime | None, limit_hours: float
) -> QuerySet[LeadFact]:
    """``lead_id`` s of the facts matching ``record``: a sub-select for ``Lead.id__in``."""
    return LeadFact.objects.filter(record.fact_q(as_of=as_of, limit_hours=limit_hours)).values(
        "lead_id"
    )
