"""What we keep from Salesforce, and the bookkeeping of each sync run.

Salesforce Ids are stored in their 18-character form and used as primary keys, so every
sync is an idempotent upsert keyed by Id. Columns are snake_case; Salesforce API names
appear only in ``routing_health.salesforce`` and ``routing_health.sync.service``.
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
    synced_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["lead_id", "created_at", "id"], name="owner_chg_lead_idx"),
            models.Index(fields=["created_at"], name="owner_chg_created_idx"),
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
    # Something the run worked around (e.g. API usage read from headers only); not a failure.
    warning = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["object_name", "-started_at"], name="sync_run_obj_idx")]
        ordering = ["-started_at"]


class JobLock(models.Model):
    """A named lease held by one worker until ``expires_at`` (see ``routing_health.jobs.locks``).

    A row is taken with a conditional write (insert, or update where expired or already
    ours), so two processes cannot both hold it; a crashed holder blocks only until expiry.
    """

    name = models.CharField(primary_key=True, max_length=100)
    owner = models.CharField(max_length=100)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.owner} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A token for scripts and BI tools (``Authorization: Bearer <token>``).

    Only a SHA-256 hash is stored; the token itself is shown once, when it is created.
    """

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class LeadFact(models.Model):
    """The metric engine's facts about one lead, as of ``MetricsState.as_of``."""

    lead_id = models.CharField(primary_key=True, max_length=SF_ID)
    created_at = models.DateTimeField()
    created_day = models.DateField()  # local date in the report timezone
    region = models.CharField(max_length=255, blank=True, default="")
    tier = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=255, blank=True, default="")
    outcome = models.CharField(max_length=16)
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    routed_owner = models.CharField(max_length=SF_ID, blank=True, default="")
    first_rep = models.CharField(max_length=SF_ID, blank=True, default="")
    rep_assigned_at = models.DateTimeField(null=True, blank=True)
    tta_minutes = models.FloatField(null=True, blank=True)
    first_touch_minutes = models.FloatField(null=True, blank=True)
    bounced = models.BooleanField(default=False)
    accepted = models.BooleanField(default=False)
    acceptance_pending = models.BooleanField(default=False)
    rejected = models.BooleanField(default=False)
    rejection_reason = models.CharField(max_length=255, blank=True, default="")
    queued = models.BooleanField(default=False)
    queue_owner = models.CharField(max_length=SF_ID, blank=True, default="")
    queue_entered_at = models.DateTimeField(null=True, blank=True)
    assign_sla_applicable = models.BooleanField(default=False)
    assign_sla_met = models.BooleanField(default=False)
    touch_sla_applicable = models.BooleanField(default=False)
    touch_sla_met = models.BooleanField(default=False)
    next_change_at = models.DateTimeField(null=True, blank=True)
    # Queued past the age limit as of the run that wrote this row (its rollup contribution).
    queued_over_limit = models.BooleanField(default=False)
    # Business-hours clocks (spec section 10); equal to the wall-clock ones without a calendar.
    business_calendar = models.CharField(max_length=255, blank=True, default="")
    tta_business_minutes = models.FloatField(null=True, blank=True)
    first_touch_business_minutes = models.FloatField(null=True, blank=True)
    assign_sla_applicable_business = models.BooleanField(default=False)
    assign_sla_met_business = models.BooleanField(default=False)
    touch_sla_applicable_business = models.BooleanField(default=False)
    touch_sla_met_business = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["created_day", "region", "tier"], name="fact_day_segment_idx"),
            models.Index(fields=["next_change_at"], name="fact_next_change_idx"),
            models.Index(fields=["queued", "queue_entered_at"], name="fact_queued_idx"),
            models.Index(fields=["outcome", "created_day"], name="fact_outcome_idx"),
            # The failed-lead table, newest first: a backward index scan stops after a page.
            models.Index(
                fields=["outcome", "-created_at", "-lead_id"], name="fact_outcome_recent_idx"
            ),
            models.Index(fields=["first_rep", "created_day"], name="fact_rep_idx"),
        ]


class DailyRollup(models.Model):
    """Counts behind every metric, per local creation day × region × tier × lead source.

    ``tta_values`` and ``first_touch_values`` are the sorted float64 values (``numpy``
    bytes), so percentiles over any range of days are exact.
    """

    day = models.DateField()
    region = models.CharField(max_length=255, blank=True, default="")
    tier = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=255, blank=True, default="")
    leads = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    assigned = models.PositiveIntegerField(default=0)
    assign_sla_applicable = models.PositiveIntegerField(default=0)
    assign_sla_met = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    acceptance_base = models.PositiveIntegerField(default=0)
    touched = models.PositiveIntegerField(default=0)
    touch_sla_applicable = models.PositiveIntegerField(default=0)
    touch_sla_met = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    queued_over_limit = models.PositiveIntegerField(default=0)
    oldest_queue_entered_at = models.DateTimeField(null=True, blank=True)
    tta_values = models.BinaryField(default=b"")
    first_touch_values = models.BinaryField(default=b"")
    # Business-hours variants (spec section 10): SLA counts and sorted business-minute values.
    assign_sla_applicable_business = models.PositiveIntegerField(default=0)
    assign_sla_met_business = models.PositiveIntegerField(default=0)
    touch_sla_applicable_business = models.PositiveIntegerField(default=0)
    touch_sla_met_business = models.PositiveIntegerField(default=0)
    tta_business_values = models.BinaryField(default=b"")
    first_touch_business_values = models.BinaryField(default=b"")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "tier", "source"], name="rollup_unique_segment_day"
            )
        ]
        indexes = [models.Index(fields=["day"], name="rollup_day_idx")]


class RepRollup(models.Model):
    """What the Reps page shows, per local creation day × region × first rep × tier × source.

    Each lead counts in four rows: its tier and source, its tier with every source
    (``source`` NULL), every tier with its source (``tier`` NULL) and every tier and source
    (both NULL), so a view filtered on any of them reads only the rows it shows. ``key``
    (a digest of the grouping values) is how an incremental run finds the rows it moves.
    """

    key = models.CharField(primary_key=True, max_length=40)
    day = models.DateField()
    region = models.CharField(max_length=255, blank=True, default="")
    # NULL, not "": "" is a real value (a lead without a source), NULL the row of every value.
    tier = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    source = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    rep = models.CharField(max_length=SF_ID)
    assigned = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    acceptance_base = models.PositiveIntegerField(default=0)
    touched = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    tta_values = models.BinaryField(default=b"")
    first_touch_values = models.BinaryField(default=b"")

    class Meta:
        # Every read asks for one tier and one source (either may be the NULL "every" row) over
        # a range of days: the equalities first, so the range scans only the rows it returns.
        indexes = [
            models.Index(fields=["tier", "source", "day"], name="rep_rollup_segment_day_idx")
        ]


class FailureRollup(models.Model):
    """Failed leads per local creation day × region × tier × source × failure reason, with
    the first and last creation instants (the Failures page)."""

    day = models.DateField()
    region = models.CharField(max_length=255, blank=True, default="")
    tier = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=255, blank=True, default="")
    reason = models.CharField(max_length=255, blank=True, default="")
    failed = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "tier", "source", "reason"],
                name="failure_rollup_unique",
            )
        ]  # its index, day first, also serves the reads and deletes by day


class QueueRollup(models.Model):
    """Leads queued at ``MetricsState.as_of`` per queue × age bucket × region × tier × source,
    per local creation day and (``day`` NULL) over every day (the Queues page).

    ``bucket`` indexes ``routing_health.rollups.ops.age_buckets`` of the configured age limit.
    Rewritten whole by every ``compute_metrics``: every queued lead ages as time passes.
    """

    day = models.DateField(null=True, blank=True)  # NULL: every creation day
    region = models.CharField(max_length=255, blank=True, default="")
    tier = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=255, blank=True, default="")
    queue = models.CharField(max_length=SF_ID)
    bucket = models.PositiveSmallIntegerField()
    queued = models.PositiveIntegerField(default=0)
    oldest_entered_at = models.DateTimeField()
    first_day = models.DateField()
    last_day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["day", "region"], name="queue_rollup_day_idx")]


class MetricsState(models.Model):
    """Singleton (pk=1): as of when the stored facts and rollups are, and from what."""

    as_of = models.DateTimeField(null=True, blank=True)
    config_fingerprint = models.CharField(max_length=32, blank=True, default="")
    sync_mark = models.DateTimeField(null=True, blank=True)
    computed_seconds = models.FloatField(null=True, blank=True)


# --- Alerts (spec section 6): incidents, their change log, and the notification outbox ---------


class AlertIncident(models.Model):
    """One alert fingerprint (rule + segment [+ failure reason]) and its current episode.

    One row per fingerprint: a re-firing after a resolve reopens the row as a new ``episode``
    (``IncidentEvent`` rows keep the history of every episode). Every write is claimed with a
    conditional ``UPDATE … WHERE id = ? AND version = ?`` that must change exactly one row, so
    two concurrent evaluations cannot both make the same state change.
    """

    class State(models.TextChoices):
        FIRING = "firing"
        RESOLVED = "resolved"

    fingerprint = models.CharField(max_length=64, unique=True)
    rule = models.CharField(max_length=64)
    region = models.CharField(max_length=255, blank=True, default="")
    tier = models.CharField(max_length=255, blank=True, default="")
    failure_reason = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.FIRING)
    episode = models.PositiveIntegerField(default=1)
    version = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # First evaluation that found the condition clear; resolving waits a little (anti-flap).
    clear_since = models.DateTimeField(null=True, blank=True)
    # Set while sync_stale holds this data-derived rule.
    held_since = models.DateTimeField(null=True, blank=True)
    current_value = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    comparison = models.CharField(max_length=4, blank=True, default="")
    sample = models.PositiveIntegerField(default=0)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # A firing notification exists for the current episode (snoozed firings have none yet).
    announced = models.BooleanField(default=False)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    slack_ts = models.CharField(max_length=32, blank=True, default="")
    slack_channel = models.CharField(max_length=32, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "rule"], name="incident_state_idx")]

    def __str__(self) -> str:
        segment = "/".join(p for p in (self.region, self.tier, self.failure_reason) if p)
        return f"{self.rule} {segment or 'all'} ({self.state})"


class IncidentEvent(models.Model):
    """The change log of an incident (healthchecks' ``Flip``): one row per state change."""

    class Kind(models.TextChoices):
        FIRED = "fired"
        REMINDED = "reminded"
        RESOLVED = "resolved"
        SNOOZED = "snoozed"
        UNSNOOZED = "unsnoozed"
        HELD = "held"

    incident = models.ForeignKey(AlertIncident, on_delete=models.CASCADE, related_name="events")
    episode = models.PositiveIntegerField(default=1)
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["incident", "at"], name="incident_event_idx")]
        ordering = ["at", "id"]


class Notification(models.Model):
    """The outbox: one message to send about one incident change, created in the same
    transaction as that change and delivered (with retries) by ``alerts.delivery``."""

    class Kind(models.TextChoices):
        FIRING = "firing"
        REMINDER = "reminder"
        RESOLVED = "resolved"

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its first or next attempt
        SENT = "sent"
        FAILED = "failed"  # a permanent error, or not delivered within the retry period
        KEPT = "kept"  # not sent: Slack is not configured (shown on the dashboard)

    incident = models.ForeignKey(
        AlertIncident, on_delete=models.CASCADE, related_name="notifications"
    )
    episode = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True, default="")
    slack_ts = models.CharField(max_length=32, blank=True, default="")
    channel = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["incident", "episode"], name="notification_incident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class NotificationAttempt(models.Model):
    """One HTTP attempt to deliver a notification, with its outcome (never the token)."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField()
    # A hash of the Slack API URL, channel and token: which destination was tried.
    destination = models.CharField(max_length=16)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=100, blank=True, default="")
    permanent = models.BooleanField(default=False)
    retry_after = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["destination", "at"], name="attempt_destination_idx")]


# --- Reports: the weekly review (routing_health.reports) ----------------------------------------


class WeeklyReport(models.Model):
    """A generated weekly review (``manage.py weekly_report``), for the dashboard's Reports page.

    One row per ISO week; generating a week again replaces its row. ``html_gzip`` is the
    self-contained HTML file, gzip-compressed (the inlined plotly.js makes it ~5 MB, ~1.5 MB
    compressed); ``summary`` is the report's data as JSON (``WeeklyReportData.to_dict()``).
    """

    week = models.CharField(max_length=8, unique=True)  # ISO week, "2026-W47"
    start = models.DateField()  # Monday, report time zone
    end = models.DateField()  # Sunday
    as_of = models.DateTimeField()
    complete = models.BooleanField(default=True)
    generated_at = models.DateTimeField()
    html_gzip = models.BinaryField()
    summary = models.JSONField(default=dict)
    slack_ts = models.CharField(max_length=32, blank=True, default="")
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start"]

    def __str__(self) -> str:
        return f"Weekly review {self.week}"

    @property
    def html(self) -> str:
        """The HTML document."""
        import gzip

        return gzip.decompress(bytes(self.html_gzip)).decode("utf-8")


# --- Business hours (spec section 10): Salesforce calendars, read in full each sync ----------


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
