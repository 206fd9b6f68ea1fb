"""Stored per-lead facts and the rollups the pages read.
"""

from __future__ import annotations

from django.db import models

from routing_health.models.salesforce import SF_ID


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
    # The rest of the engine's facts (``metrics.columns.FACT_COLUMNS``), so the export can
    # aggregate the stored facts (``reports.stored``); the columns that depend on T alone
    # (ages) are derived there.
    initial_owner = models.CharField(max_length=SF_ID, blank=True, default="")
    routed_at = models.DateTimeField(null=True, blank=True)
    failed_node = models.CharField(max_length=255, blank=True, default="")
    first_touch_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

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
    triaged = models.PositiveIntegerField(default=0)  # kill switch on (spec section 10)
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
