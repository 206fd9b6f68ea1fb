"""Our models, split by concern; the app label stays ``routing_health``, every table its name.

- ``salesforce``: synced Salesforce data; ``runs``: sync runs, state, metrics state, job leases;
- ``facts``: stored per-lead facts and rollups; ``alerts``: incidents and the outbox;
- ``routing_tests``: routing test pack runs, their cases and leads;
- ``access``: API tokens and stored weekly reviews (``tokens``: issuing and checking tokens).
"""

from __future__ import annotations

from routing_health.models.access import ApiToken, FairnessReview, WeeklyReport
from routing_health.models.alerts import (
    AlertGroup,
    AlertIncident,
    IncidentEvent,
    Notification,
    NotificationAttempt,
)
from routing_health.models.facts import DailyRollup, FailureRollup, LeadFact, QueueRollup, RepRollup
from routing_health.models.routing_tests import (
    RoutingTestCase,
    RoutingTestLead,
    RoutingTestRun,
)
from routing_health.models.runs import JobLock, MetricsState, SyncRun, SyncState
from routing_health.models.salesforce import (
    SF_ID,
    Account,
    Activity,
    BusinessHoursRecord,
    FieldChange,
    FlowDefinition,
    FlowVersionChange,
    HolidayRecord,
    KillSwitchChange,
    Lead,
    LeadStatus,
    OwnerChange,
    Queue,
    SalesforceUser,
    StatusChange,
)

__all__ = [
    "SF_ID",
    "Account",
    "Activity",
    "AlertGroup",
    "AlertIncident",
    "ApiToken",
    "BusinessHoursRecord",
    "DailyRollup",
    "FailureRollup",
    "FairnessReview",
    "FieldChange",
    "FlowDefinition",
    "FlowVersionChange",
    "HolidayRecord",
    "IncidentEvent",
    "JobLock",
    "KillSwitchChange",
    "Lead",
    "LeadFact",
    "LeadStatus",
    "MetricsState",
    "Notification",
    "NotificationAttempt",
    "OwnerChange",
    "Queue",
    "QueueRollup",
    "RepRollup",
    "RoutingTestCase",
    "RoutingTestLead",
    "RoutingTestRun",
    "SalesforceUser",
    "StatusChange",
    "SyncRun",
    "SyncState",
    "WeeklyReport",
]
