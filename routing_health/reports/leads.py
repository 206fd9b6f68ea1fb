"""Lead-level parts of the reports: the worst-served leads and the rejection reasons.

Both read the per-lead facts of a week's cohort, ``routing_health.reports.export.cohort_facts`` (the
load behind ``compute_export``), so a lead listed here is one the week's numbers count.

**Worst-served** (documented in ``docs/reports.md``): of the week's leads, those with a problem,
most serious first —

1. routing failed (outcome ``failed``);
2. the assignment SLA was missed: assigned later than the tier's ``assign_minutes``, or still
   without a rep and already older than it;
3. the touch SLA was missed: first touched later than the tier's ``touch_minutes``, or still
   untouched and older than it.

Within a class, the longest wait for a rep *relative to the tier's assignment SLA* comes first
(time to assignment, or the age of a lead still without a rep, divided by ``assign_minutes``), then
the longest wait for a first touch relative to ``touch_minutes``, then the oldest lead. SLA
multiples make a hot lead that waited an hour (12× its 5-minute SLA) outrank a standard lead
that waited five hours (1.25× its 4-hour SLA).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import numpy as np
import pandas as pd
from django.conf import settings

from routing_health.lib.format import format_minutes
from routing_health.lib.mrkdwn import record_url
from routing_health.metrics import MetricParams
from routing_health.models import Lead

WORST_LEADS = 5
FAILED, SLOW_ASSIGNMENT, SLOW_TOUCH = 0, 1, 2
PROBLEMS = {FAILED: "routing failed", SLOW_ASSIGNMENT: "slow assignment", SLOW_TOUCH: "slow touch"}


@dataclass(frozen=True)
class WorstLead:
    """One badly served lead and what went wrong, with links to Salesforce and the dashboard."""

    lead_id: str
    name: str
    company: str
    region: str | None
    tier: str | None
    created_at: datetime
    problem: str  # "routing failed" | "slow assignment" | "slow touch"
    what_went_wrong: str
    failure_reason: str | None
    tta_minutes: float | None
    first_touch_minutes: float | None
    salesforce_url: str | None
    dashboard_url: str


@dataclass(frozen=True)
class ReasonCount:
    """A reason (``None``: none recorded) and its lead count this week and the week before."""

    reason: str | None
    count: int
    previous: int


def rejection_reasons(current: pd.DataFrame, previous: pd.DataFrame) -> tuple[ReasonCount, ...]:
    """Rejected leads by their rejection reason, most frequent this week first.

    Counts sum to the week's ``rejected`` metric; leads without a reason share the ``None`` row,
    listed last among equal counts.
    """
    now, before = _reason_counts(current), _reason_counts(previous)
    rows = [ReasonCount(r, now.get(r, 0), before.get(r, 0)) for r in {*now, *before}]
    return tuple(sorted(rows, key=_reason_order))


def _reason_counts(facts: pd.DataFrame) -> dict[str | None, int]:
    rejected = facts[facts["rejected"].to_numpy(dtype=bool)]
    counts: dict[str | None, int] = {}
    for value in rejected["rejection_reason"].astype(object):
        key = _text(value)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _reason_order(row: ReasonCount) -> tuple:
    return (-row.count, -row.previous, row.reason is None, row.reason or "")


def worst_served(
    facts: pd.DataFrame,
    params: MetricParams,
    *,
    owner_names: Mapping[str, str] | pd.Series | None = None,
    limit: int = WORST_LEADS,
) -> tuple[WorstLead, ...]:
    """The ``limit`` worst-served leads of ``facts`` (see the module doc for the order).

    ``owner_names`` (Id -> name) names the queue a lead without a rep is waiting in.
    """
    if facts.empty:
        return ()
    failed = (facts["outcome"].astype(str) == "failed").to_numpy()
    assign_miss = (
        facts["assign_sla_applicable"].to_numpy(dtype=bool)
        & ~facts["assign_sla_met"].to_numpy(dtype=bool)
    )
    touch_miss = (
        facts["touch_sla_applicable"].to_numpy(dtype=bool)
        & ~facts["touch_sla_met"].to_numpy(dtype=bool)
    )
    problem = np.select(
        [failed, assign_miss, touch_miss], [FAILED, SLOW_ASSIGNMENT, SLOW_TOUCH], -1
    )
    if not (problem >= 0).any():
        return ()
    tiers = facts["tier"].astype(object).to_numpy()
    limits = np.array([params.sla_for(_text(t)) for t in tiers], dtype=float).reshape(-1, 2)
    age = facts["age_minutes"].to_numpy(dtype=float)
    tta = facts["tta_minutes"].to_numpy(dtype=float)
    touch = facts["first_touch_minutes"].to_numpy(dtype=float)
    assign_wait = np.where(np.isnan(tta), age, tta)
    touch_wait = np.where(np.isnan(touch), age, touch)
    created = facts["created_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ranked = pd.DataFrame(
        {
            "row": np.arange(len(facts)),
            "problem": problem,
            "assign_multiple": assign_wait / np.maximum(limits[:, 0], 1e-9),
            "touch_multiple": touch_wait / np.maximum(limits[:, 1], 1e-9),
            "created": created,
            "lead_id": facts["lead_id"].astype(str).to_numpy(),
        }
    )
    ranked = ranked[ranked["problem"] >= 0].sort_values(
        ["problem", "assign_multiple", "touch_multiple", "created", "lead_id"],
        ascending=[True, False, False, True, True],
        kind="stable",
    )
    rows = ranked["row"].to_numpy()[:limit]
    chosen = facts.iloc[rows]
    labels = {
        lead["id"]: lead
        for lead in Lead.objects.filter(id__in=list(chosen["lead_id"].astype(str))).values(
            "id", "name", "company"
        )
    }
    instance = _instance_url()
    base = (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    leads = []
    for row in rows:
        fact = facts.iloc[row]
        lead_id = str(fact["lead_id"])
        label = labels.get(lead_id, {})
        assign_limit, touch_limit = limits[row]
        leads.append(
            WorstLead(
                lead_id=lead_id,
                name=str(label.get("name") or ""),
                company=str(label.get("company") or ""),
                region=_text(fact["region"]),
                tier=_text(fact["tier"]),
                created_at=pd.Timestamp(fact["created_at"]).to_pydatetime().astimezone(UTC),
                problem=PROBLEMS[int(problem[row])],
                what_went_wrong=_what_went_wrong(
                    fact, failed[row], assign_miss[row], touch_miss[row], assign_limit,
                    touch_limit, owner_names,
                ),
                failure_reason=_text(fact["failure_reason"]),
                tta_minutes=_number(tta[row]),
                first_touch_minutes=_number(touch[row]),
                salesforce_url=record_url(instance, lead_id) if instance else None,
                dashboard_url=f"{base}/leads/{quote(lead_id, safe='')}",
            )
        )
    return tuple(leads)


def _what_went_wrong(
    fact: pd.Series,
    failed: bool,
    assign_miss: bool,
    touch_miss: bool,
    assign_limit: float,
    touch_limit: float,
    owner_names: Mapping[str, str] | pd.Series | None,
) -> str:
    parts = []
    if failed:
        parts.append(f"Routing failed: {_text(fact['failure_reason']) or 'unknown reason'}")
    tta, age = _number(fact["tta_minutes"]), float(fact["age_minutes"])
    assign_sla = format_minutes(assign_limit)
    if tta is None and (failed or assign_miss):
        waiting = ""
        queue = _text(fact["queue_owner"]) if bool(fact["queued"]) else None
        if queue is not None:
            name = owner_names.get(queue) if owner_names is not None else None
            waiting = f", waiting in {name or queue}"
        parts.append(f"no rep after {format_minutes(age)}{waiting} (assignment SLA {assign_sla})")
    elif tta is not None and assign_miss:
        parts.append(f"reached a rep after {format_minutes(tta)} (assignment SLA {assign_sla})")
    touch = _number(fact["first_touch_minutes"])
    touch_sla = format_minutes(touch_limit)
    if touch_miss and touch is None:
        parts.append(f"not touched after {format_minutes(age)} (touch SLA {touch_sla})")
    elif touch_miss and touch is not None:
        parts.append(f"first touch after {format_minutes(touch)} (touch SLA {touch_sla})")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text or None


def _number(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else number


def _instance_url() -> str:
    # Lazy: the alerts package (and its Slack imports) is only needed for record links.
    from routing_health.alerts.notices import salesforce_instance_url

    return salesforce_instance_url()
