"""The columns the metric engine reads and writes, declared once.

Each ``*_COLUMN_DOCS`` mapping is the documentation of a frame: column name -> meaning, in
column order; the matching ``*_COLUMNS`` tuple is derived from it. Input frames mirror the stored
models in ``routing_health.models`` (snake_case, 18-character Ids, ``datetime64[ns, UTC]``
times). Every input column listed here is required; a lead column not listed is an *extra*
column (a configured extra Lead field such as ``LeadSource``) and is passed through to the
facts, where it can be grouped by.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

LEAD_COLUMN_DOCS: Mapping[str, str] = MappingProxyType(
    {
        "id": "Lead Id, 18 characters; unique.",
        "name": "Lead name (not used by the metrics; kept for the loaders' contract).",
        "company": "Company (not used by the metrics).",
        "created_at": "CreatedDate, datetime64[ns, UTC] (any unit; naive values are read as UTC).",
        "owner_id": "Current OwnerId (user 005… or queue 00G…).",
        "status": "Current Status.",
        "is_converted": "IsConverted, bool.",
        "converted_date": "ConvertedDate: a date (date, datetime64 or null when not converted).",
        "converted_contact_id": "ConvertedContactId (unused: activities arrive resolved).",
        "is_deleted": "IsDeleted, bool; deleted leads leave every metric.",
        "region": "Region, already mapped through the configuration; '' when empty.",
        "tier": "SLA tier name, already mapped; a tier without an SLA uses the default SLA.",
        "failed_node": "Routing failed-node field value; '' (or null) when empty.",
        "rejection_reason": "Rejection reason field value; '' (or null) when empty.",
    }
)
LEAD_COLUMNS: tuple[str, ...] = tuple(LEAD_COLUMN_DOCS)

OWNER_CHANGE_COLUMN_DOCS: Mapping[str, str] = MappingProxyType(
    {
        "id": "LeadHistory Id (18 characters): breaks ties between changes at the same second.",
        "lead_id": "The lead.",
        "created_at": "When the owner changed, datetime64[ns, UTC].",
        "old_owner_id": "Owner before the change (the ID row's OldValue).",
        "new_owner_id": "Owner after the change (the ID row's NewValue).",
    }
)
OWNER_CHANGE_COLUMNS: tuple[str, ...] = tuple(OWNER_CHANGE_COLUMN_DOCS)

STATUS_CHANGE_COLUMN_DOCS: Mapping[str, str] = MappingProxyType(
    {
        "id": "LeadHistory Id (18 characters): breaks ties between changes at the same second.",
        "lead_id": "The lead.",
        "created_at": "When the status changed, datetime64[ns, UTC].",
        "old_status": "Status before the change.",
        "new_status": "Status after the change.",
    }
)
STATUS_CHANGE_COLUMNS: tuple[str, ...] = tuple(STATUS_CHANGE_COLUMN_DOCS)

ACTIVITY_COLUMN_DOCS: Mapping[str, str] = MappingProxyType(
    {
        "id": "Task or Event Id.",
        "lead_id": "The lead it belongs to, resolved by the sync (the lead it was seen on, or "
        "one of the leads converted into its Contact: routing_health.sync.activities).",
        "owner_id": "Owner; activities of holding owners are automation, not touches.",
        "created_at": "CreatedDate, datetime64[ns, UTC]: the time of the touch.",
        "is_deleted": "IsDeleted, bool; deleted activities never count (archived ones do).",
    }
)
ACTIVITY_COLUMNS: tuple[str, ...] = tuple(ACTIVITY_COLUMN_DOCS)

FACT_COLUMN_DOCS: Mapping[str, str] = MappingProxyType(
    {
        "lead_id": "Lead Id (str).",
        "created_at": "CreatedDate, datetime64[ns, UTC].",
        "created_day": "Local date of CreatedDate in the report timezone, 'YYYY-MM-DD' (str).",
        "created_week": "ISO week of that local date, 'YYYY-Www' (str).",
        "region": "Current region (category; null when empty).",
        "tier": "Current tier (category; null when empty).",
        "initial_owner": "Owner at CreatedDate (category of Ids).",
        "routed_at": "First time the owner is not a holding owner (NaT: unrouted).",
        "routed_owner": "The owner at routed_at (category of Ids; null when unrouted).",
        "outcome": "'succeeded', 'failed', 'pending' or 'triaged' (category; 'triaged': sent to "
        "triage while the kill switch was on).",
        "failure_reason": "Failed leads only: failed node, 'fallback: <name>' or "
        "'unrouted: <name>' (category; null otherwise).",
        "failed_node": "Current failed-node value (category; null when empty).",
        "rep_assigned_at": "First time the owner is a rep (NaT: never assigned).",
        "first_rep": "The rep at rep_assigned_at (category of Ids; null when never assigned).",
        "tta_minutes": "rep_assigned_at - created_at in minutes, float (NaN: not assigned).",
        "first_touch_at": "Earliest touch (NaT: not touched).",
        "first_touch_minutes": "first_touch_at - created_at in minutes, float (NaN: not touched).",
        "bounced": "An owner change after the rep assignment, within bounce_hours of it (bool).",
        "bounced_at": "Time of the first such change (NaT: not bounced).",
        "accepted": "Accepted status change or touch inside the acceptance window (bool).",
        "acceptance_pending": "Assigned, not accepted, not bounced, window still open at T (bool).",
        "rejected": "Status change into a rejected status at or after rep_assigned_at (bool).",
        "rejection_reason": "Current rejection-reason value (category; null when empty).",
        "queued": "Owner at T is a queue, status at T not closed, not converted by T (bool).",
        "queue_owner": "The queue at T (category of Ids; null when not queued).",
        "queue_entered_at": "When the lead entered that queue (NaT when not queued).",
        "queue_age_hours": "T - queue_entered_at in hours, float (NaN when not queued).",
        "assign_sla_applicable": "In the assignment-SLA denominator (bool).",
        "assign_sla_met": "Assigned with tta_minutes ≤ the tier's assign_minutes (bool).",
        "touch_sla_applicable": "In the touch-SLA denominator (bool).",
        "touch_sla_met": "Touched with first_touch_minutes ≤ the tier's touch_minutes (bool).",
        "age_minutes": "T - created_at in minutes, float.",
        "business_calendar": "Name of the region's business-hours calendar (category; null: "
        "none, so every business clock below equals its wall clock).",
        "tta_business_minutes": "Open minutes of that calendar from created_at to "
        "rep_assigned_at, float (NaN: not assigned; tta_minutes when no calendar).",
        "first_touch_business_minutes": "Open minutes from created_at to first_touch_at, float "
        "(NaN: not touched; first_touch_minutes when no calendar).",
        "age_business_minutes": "Open minutes from created_at to T, float (age_minutes when no "
        "calendar).",
        "assign_sla_applicable_business": "Assigned, or age_business_minutes > the tier's "
        "assign_minutes (bool).",
        "assign_sla_met_business": "Assigned with tta_business_minutes ≤ assign_minutes (bool).",
        "touch_sla_applicable_business": "Touched, or age_business_minutes > the tier's "
        "touch_minutes (bool).",
        "touch_sla_met_business": "Touched with first_touch_business_minutes ≤ touch_minutes "
        "(bool).",
    }
)
FACT_COLUMNS: tuple[str, ...] = tuple(FACT_COLUMN_DOCS)
"""The columns of ``lead_facts``, in order; extra lead columns follow them."""

OUTCOMES: tuple[str, ...] = ("succeeded", "failed", "pending", "triaged")
