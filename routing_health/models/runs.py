"""Bookkeeping of the pipeline: sync state and runs, the metrics state, job leases.
"""

from __future__ import annotations

from django.db import models


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


class MetricsState(models.Model):
    """Singleton (pk=1): as of when the stored facts and rollups are, and from what."""

    as_of = models.DateTimeField(null=True, blank=True)
    config_fingerprint = models.CharField(max_length=32, blank=True, default="")
    sync_mark = models.DateTimeField(null=True, blank=True)
    computed_seconds = models.FloatField(null=True, blank=True)
