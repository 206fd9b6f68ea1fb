"""What we keep from Salesforce: leads, their histories, activities, users, queues, flows and
business hours.

Salesforce Ids are stored in their 18-character form and used as primary keys, so every sync is an
idempotent upsert keyed by Id. Columns are snake_case; Salesforce API names appear only in
``routing_health.salesforce`` and ``routing_health.sync``.
"""

from __future__ import annotations

from django.db import models

SF_ID = 18


class Lead(models.Model):
    id = models.CharField(primary_key=True, max_length=SF_ID)
    name = models.CharField(max_length=255, blank=True, default="")
    company = models.CharField(max_length=255, blank=True, default="")
    # Lead-to-account matching and duplicate outreach (routing_health.metrics.duplicates).
    email = models.CharField(max_length=255, blank=True, default="")
    website = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField()
    system_modstamp = models.DateTimeField()
    owner_id = models.CharField(max_length=SF_ID)
    status = models.CharField(max_length=255, blank=True, default="")
    is_converted = models.BooleanField(default=False)
    converted_date = models.DateField(null=True, blank=True)
    converted_contact_id = models.CharField(max_length=SF_ID, blank=True, default="")
    is_deleted = models.BooleanField(default=False)
    # Segment values as mapped through the routing configuration at sync time ...
    region = models.CharField(max_length=255, blank=True, default="")
    tier = models.CharField(max_length=255, blank=True, default="")
    failed_node = models.CharField(max_length=255, blank=True, default="")
    rejection_reason = models.CharField(max_length=255, blank=True, default="")
    # ... and the raw configured field values they came from (API name -> value).
    raw_fields = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="lead_created_idx"),
            models.Index(fields=["region", "tier", "created_at"], name="lead_segment_idx"),
            models.Index(fields=["converted_contact_id"], name="lead_contact_idx"),
            models.Index(fields=["synced_at"], name="lead_synced_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.company or self.id}"


class Account(models.Model):
    """An Account, for lead-to-account matching (``routing_health.metrics.duplicates``).

    ``domain`` is the value of the configured ``[duplicates] account_domain_field`` (empty when
    none is configured); ``website`` the standard Website field.
    """

    id = models.CharField(primary_key=True, max_length=SF_ID)
    name = models.CharField(max_length=255, blank=True, default="")
    website = models.CharField(max_length=255, blank=True, default="")
    domain = models.CharField(max_length=255, blank=True, default="")
    owner_id = models.CharField(max_length=SF_ID, blank=True, default="")
    is_deleted = models.BooleanField(default=False)
    system_modstamp = models.DateTimeField()
    synced_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return self.name or self.id


class OwnerChange(models.Model):
    """One owner change: the ID row of the two LeadHistory rows Salesforce writes."""

    id = models.CharField(primary_key=True, max_length=SF_ID)  # LeadHistory Id
    lead_id = models.CharField(max_length=SF_ID)
    created_at = models.DateTimeField()
    created_by_id = models.CharField(max_length=SF_ID, blank=True, default="")
    old_owner_id = models.CharField(max_length=SF_ID, blank=True, default="")
    new_owner_id = models.CharField(max_length=SF_ID, blank=True, default="")
    synced_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["lead_id", "created_at", "id"], name="owner_chg_lead_idx"),
            models.Index(fields=["created_at"], name="owner_chg_created_idx"),
        ]


class FieldChange(models.Model):
    """A LeadHistory row of a ``[data_quality]`` field: the value at creation is the OldValue
    of a lead's earliest change of the field (``routing_health.metrics.inputs``)."""

    id = models.CharField(primary_key=True, max_length=SF_ID)  # LeadHistory Id
    lead_id = models.CharField(max_length=SF_ID)
    field = models.CharField(max_length=255)  # LeadHistory.Field: the field's API name
    created_at = models.DateTimeField()
    old_value = models.TextField(null=True, blank=True)  # noqa: DJ001 - null: no value
    new_value = models.TextField(null=True, blank=True)  # noqa: DJ001
    synced_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["lead_id", "field", "created_at", "id"], name="field_chg_lead_idx"
            ),
        ]


class StatusChange(models.Model):
    id = models.CharField(primary_key=True, max_length=SF_ID)  # LeadHistory Id
    lead_id = models.CharField(max_length=SF_ID)
    created_at = models.DateTimeField()
    created_by_id = models.CharField(max_length=SF_ID, blank=True, default="")
    old_status = models.CharField(max_length=255, blank=True, default="")
    new_status = models.CharField(max_length=255, blank=True, default="")
    synced_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["lead_id", "created_at", "id"], name="status_chg_lead_idx"),
            models.Index(fields=["created_at"], name="status_chg_created_idx"),
        ]


class Activity(models.Model):
    """A Task or Event. ``lead_id`` is the lead it belongs to, kept after conversion.

    ``seen_lead_id`` is the lead the sync saw it on (its WhoId then), kept after Salesforce
    moved it to the converted Contact; empty when it was only ever seen on a Contact. Several
    leads converted into one Contact share its activities; ``sync_activities`` decides which
    of them each belongs to (docs/sync.md).
    """

    class Kind(models.TextChoices):
        TASK = "Task"
        EVENT = "Event"

    id = models.CharField(primary_key=True, max_length=SF_ID)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    who_id = models.CharField(max_length=SF_ID, blank=True, default="")
    lead_id = models.CharField(max_length=SF_ID, blank=True, default="")
    seen_lead_id = models.CharField(max_length=SF_ID, blank=True, default="")
    owner_id = models.CharField(max_length=SF_ID, blank=True, default="")
    created_at = models.DateTimeField()
    system_modstamp = models.DateTimeField()
    subject = models.CharField(max_length=255, blank=True, default="")
    is_deleted = models.BooleanField(default=False)
    synced_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["lead_id", "created_at"], name="activity_lead_idx"),
            models.Index(fields=["created_at"], name="activity_created_idx"),
            models.Index(fields=["who_id"], name="activity_who_idx"),
        ]


class SalesforceUser(models.Model):
    id = models.CharField(primary_key=True, max_length=SF_ID)
    name = models.CharField(max_length=255, blank=True, default="")
    is_active = models.BooleanField(default=True)
    time_zone_sid_key = models.CharField(max_length=64, blank=True, default="")
    user_role_id = models.CharField(max_length=SF_ID, blank=True, default="")
    system_modstamp = models.DateTimeField()
    # [fairness] out_of_office_field, when configured (issue 17); False otherwise.
    out_of_office = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name or self.id


class Queue(models.Model):
    id = models.CharField(primary_key=True, max_length=SF_ID)
    name = models.CharField(max_length=255, blank=True, default="")
    developer_name = models.CharField(max_length=255, blank=True, default="")
    system_modstamp = models.DateTimeField()

    def __str__(self) -> str:
        return self.name or self.id


class LeadStatus(models.Model):
    api_name = models.CharField(primary_key=True, max_length=255)
    is_converted = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "lead statuses"


class FlowDefinition(models.Model):
    api_name = models.CharField(primary_key=True, max_length=255)
    label = models.CharField(max_length=255, blank=True, default="")
    active_version_id = models.CharField(max_length=SF_ID, blank=True, default="")
    latest_version_id = models.CharField(max_length=SF_ID, blank=True, default="")
    last_modified_at = models.DateTimeField(null=True, blank=True)


class FlowVersionChange(models.Model):
    """An observed change of a flow's active version: drawn on trend charts."""

    flow_api_name = models.CharField(max_length=255)
    label = models.CharField(max_length=255, blank=True, default="")
    old_active_version_id = models.CharField(max_length=SF_ID, blank=True, default="")
    new_active_version_id = models.CharField(max_length=SF_ID, blank=True, default="")
    changed_at = models.DateTimeField()
    # From FlowVersionView where the integration user can read it (issue 16); else null / "".
    old_version_number = models.PositiveIntegerField(null=True, blank=True)
    new_version_number = models.PositiveIntegerField(null=True, blank=True)
    activated_by = models.CharField(max_length=255, blank=True, default="")
    # The previous version was not seen active by the sync but inferred from FlowVersionView
    # (the latest Obsolete version below the active one; routing_health.sync.reference).
    old_version_inferred = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["changed_at"], name="flow_change_at_idx")]


class KillSwitchChange(models.Model):
    """A change of the routing kill switch ``[change_safety.kill_switch]`` as the sync saw it
    (spec section 10): one row each time the state read differs from the last one stored.

    ``changed_at`` (since when) is the record's LastModifiedDate when that lies after the
    previous observation (the switch was flipped in between), else the time of this
    observation; ``observed_at`` is when the sync read it."""

    is_on = models.BooleanField()
    changed_at = models.DateTimeField()
    observed_at = models.DateTimeField()
    record_id = models.CharField(max_length=SF_ID, blank=True, default="")
    changed_by = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["changed_at"], name="kill_switch_at_idx")]
        ordering = ["changed_at", "id"]


class BusinessHoursRecord(models.Model):
    """A Salesforce BusinessHours record, referred to by ``salesforce_business_hours``.

    Times are local to ``time_zone_sid_key``; a day whose start and end are null is closed,
    and 00:00–00:00 means open 24 hours (Salesforce's convention).
    """

    id = models.CharField(primary_key=True, max_length=SF_ID)
    name = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    time_zone_sid_key = models.CharField(max_length=64, blank=True, default="")
    monday_start = models.TimeField(null=True, blank=True)
    monday_end = models.TimeField(null=True, blank=True)
    tuesday_start = models.TimeField(null=True, blank=True)
    tuesday_end = models.TimeField(null=True, blank=True)
    wednesday_start = models.TimeField(null=True, blank=True)
    wednesday_end = models.TimeField(null=True, blank=True)
    thursday_start = models.TimeField(null=True, blank=True)
    thursday_end = models.TimeField(null=True, blank=True)
    friday_start = models.TimeField(null=True, blank=True)
    friday_end = models.TimeField(null=True, blank=True)
    saturday_start = models.TimeField(null=True, blank=True)
    saturday_end = models.TimeField(null=True, blank=True)
    sunday_start = models.TimeField(null=True, blank=True)
    sunday_end = models.TimeField(null=True, blank=True)
    system_modstamp = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return self.name


class HolidayRecord(models.Model):
    """A Salesforce Holiday, referred to by name in ``salesforce_holidays``.

    ``is_all_day`` closes the whole local date ``activity_date``; otherwise the minutes after
    local midnight from ``start_time_in_minutes`` to ``end_time_in_minutes`` are closed.
    """

    id = models.CharField(primary_key=True, max_length=SF_ID)
    name = models.CharField(max_length=255)
    activity_date = models.DateField(null=True, blank=True)
    is_all_day = models.BooleanField(default=True)
    start_time_in_minutes = models.IntegerField(null=True, blank=True)
    end_time_in_minutes = models.IntegerField(null=True, blank=True)
    is_recurrence = models.BooleanField(default=False)
    system_modstamp = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["name"], name="holiday_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.activity_date}"
