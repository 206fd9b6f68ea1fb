"""What we keep from Salesforce, and the bookkeeping of each sync run.

Salesforce Ids are stored in their 18-character form and used as primary keys, so every
sync is an idempotent upsert keyed by Id. Columns are snake_case; Salesforce API names
appear only in ``routing_health.salesforce`` and ``routing_health.sync``.
"""

from __future__ import annotations

from django.db import models

SF_ID = 18


class Lead(models.Model):
    id = models.CharField(primary_key=True, max_length=SF_ID)
    name = models.CharField(max_length=255, blank=True, default="")
    company = models.CharField(max_length=255, blank=True, default="")
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


class OwnerChange(models.Model):
    """One owner change: the ID row of the two LeadHistory rows Salesforce writes."""

    id = models.CharField(primary_key=True, max_length=SF_ID)  # LeadHistory Id
    lead_id = models.CharField(max_length=SF_ID)
    created_at = models.DateTimeField()
    created_by_id = models.CharField(max_length=SF_ID, blank=True, default="")
    old_owner_id = models.CharField(max_length=SF_ID, blank=True, default="")
    new_owner_id = models.CharField(max_length=SF_ID, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["lead_id", "created_at", "id"], name="owner_chg_lead_idx")]


class StatusChange(models.Model):
    id = models.CharField(primary_key=True, max_length=SF_ID)  # LeadHistory Id
    lead_id = models.CharField(max_length=SF_ID)
    created_at = models.DateTimeField()
    created_by_id = models.CharField(max_length=SF_ID, blank=True, default="")
    old_status = models.CharField(max_length=255, blank=True, default="")
    new_status = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["lead_id", "created_at", "id"], name="status_chg_lead_idx")]


class Activity(models.Model):
    """A Task or Event. ``lead_id`` is the lead it belongs to, kept after conversion."""

    class Kind(models.TextChoices):
        TASK = "Task"
        EVENT = "Event"

    id = models.CharField(primary_key=True, max_length=SF_ID)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    who_id = models.CharField(max_length=SF_ID, blank=True, default="")
    lead_id = models.CharField(max_length=SF_ID, blank=True, default="")
    owner_id = models.CharField(max_length=SF_ID, blank=True, default="")
    created_at = models.DateTimeField()
    system_modstamp = models.DateTimeField()
    subject = models.CharField(max_length=255, blank=True, default="")
    is_deleted = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["lead_id", "created_at"], name="activity_lead_idx")]


class SalesforceUser(models.Model):
    id = models.CharField(primary_key=True, max_length=SF_ID)
    name = models.CharField(max_length=255, blank=True, default="")
    is_active = models.BooleanField(default=True)
    time_zone_sid_key = models.CharField(max_length=64, blank=True, default="")
    user_role_id = models.CharField(max_length=SF_ID, blank=True, default="")
    system_modstamp = models.DateTimeField()

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

    class Meta:
        indexes = [models.Index(fields=["changed_at"], name="flow_change_at_idx")]


class SyncState(models.Model):
    """Per object: how far the committed data reaches."""

    object_name = models.CharField(primary_key=True, max_length=64)
    watermark = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)


class SyncRun(models.Model):
    """One run of one object's sync."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    object_name = models.CharField(max_length=64)
    mode = models.CharField(max_length=16, blank=True, default="")  # rest | bulk | full
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    watermark_from = models.DateTimeField(null=True, blank=True)
    watermark_to = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    rows_fetched = models.PositiveIntegerField(default=0)
    rows_upserted = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    api_usage_used = models.PositiveIntegerField(null=True, blank=True)
    api_usage_max = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["object_name", "-started_at"], name="sync_run_obj_idx")]
        ordering = ["-started_at"]
