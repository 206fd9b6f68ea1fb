"""Alert incidents, their events, and the notification outbox with its attempts.
"""

from __future__ import annotations

from django.db import models


class AlertIncident(models.Model):
    """One alert fingerprint (rule + segment [+ failure reason]) and its current episode.

    One row per fingerprint: a re-firing after a resolve reopens the row as a new ``episode``
    (``IncidentEvent`` rows keep the history of every episode). Every write is claimed with a
    conditional ``UPDATE … WHERE id = ? AND version = ?`` that must change exactly one row, so
    two concurrent evaluations cannot both make the same state change.
    """

    class State(models.TextChoices):
        PENDING = "pending"  # breaching, not yet for the rule's `for` (spec section 6)
        FIRING = "firing"
        RESOLVED = "resolved"

    class Severity(models.TextChoices):
        CRITICAL = "critical"
        WARNING = "warning"
        INFO = "info"

    fingerprint = models.CharField(max_length=64, unique=True)
    rule = models.CharField(max_length=64)
    region = models.CharField(max_length=255, blank=True, default="")
    tier = models.CharField(max_length=255, blank=True, default="")
    failure_reason = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.FIRING)
    severity = models.CharField(
        max_length=16, choices=Severity.choices, default=Severity.WARNING
    )
    # When this episode's breach began (pending) and when it fired (after `for`).
    fired_at = models.DateTimeField(null=True, blank=True)
    # The fingerprint of the cause this incident is shown under (``[[alerts.inhibit]]``).
    inhibited_by = models.CharField(max_length=64, blank=True, default="")
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
    # Who snoozed it and when (a Slack user "name (U123…)" or a dashboard user); "" if unknown.
    snoozed_by = models.CharField(max_length=255, blank=True, default="")
    snoozed_at = models.DateTimeField(null=True, blank=True)
    # Acknowledged in this episode: no more reminders until it resolves (a new episode clears it).
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=255, blank=True, default="")
    acknowledged_by_slack_id = models.CharField(max_length=32, blank=True, default="")
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
        PENDING = "pending"
        FIRED = "fired"
        REMINDED = "reminded"
        RESOLVED = "resolved"
        SNOOZED = "snoozed"
        UNSNOOZED = "unsnoozed"
        HELD = "held"
        ACKNOWLEDGED = "acknowledged"

    incident = models.ForeignKey(AlertIncident, on_delete=models.CASCADE, related_name="events")
    episode = models.PositiveIntegerField(default=1)
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["incident", "at"], name="incident_event_idx")]
        ordering = ["at", "id"]


class AlertGroup(models.Model):
    """One notification group (spec section 6, Alertmanager's model): the firing incidents that
    share the ``group_by`` labels (``key``, e.g. ``region=EMEA``), per destination. It owns one
    top-level Slack message (``slack_ts``; for a group opened under a storm summary, the
    summary's) that is updated in place, and the thread its changes and reminders go to.
    A group that fully resolved is closed; the next breach opens a new ``episode``."""

    destination = models.CharField(max_length=255, blank=True, default="")  # "": SLACK_CHANNEL
    key = models.CharField(max_length=255)
    labels = models.JSONField(default=dict)
    episode = models.PositiveIntegerField(default=1)
    is_open = models.BooleanField(default=True)
    storm = models.BooleanField(default=False)  # opened inside a storm summary
    opened_at = models.DateTimeField()
    last_post_at = models.DateTimeField()  # the last top-level post or thread reply
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    slack_ts = models.CharField(max_length=32, blank=True, default="")
    slack_channel = models.CharField(max_length=32, blank=True, default="")
    members = models.JSONField(default=list)  # fingerprints shown in the top-level message

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["destination", "key"], name="alert_group_key_uniq")
        ]

    def __str__(self) -> str:
        return f"group {self.key or 'all'} #{self.episode} ({'open' if self.is_open else 'closed'})"


class Notification(models.Model):
    """The outbox: one Slack message to send, delivered (with retries) by ``alerts.delivery``.

    An alert notification (firing, reminder, resolved) belongs to an incident and is created in
    the same transaction as its change. A report notification (the daily digest, the weekly
    review) has no incident; its ``dedup_key`` (``Notification.report_key``) makes it one row
    per reported day or week however often the job that enqueues it runs.
    """

    class Kind(models.TextChoices):
        FIRING = "firing"
        REMINDER = "reminder"
        RESOLVED = "resolved"
        DIGEST = "digest"
        WEEKLY = "weekly"

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its first or next attempt
        SENT = "sent"
        FAILED = "failed"  # a permanent error, or not delivered within the retry period
        KEPT = "kept"  # not sent: Slack is not configured (shown on the dashboard)

    incident = models.ForeignKey(
        AlertIncident, on_delete=models.CASCADE, related_name="notifications",
        null=True, blank=True,
    )
    episode = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    payload = models.JSONField(default=dict)
    # What the message is about, for people (the Health page): "Daily digest 2026-11-19".
    subject = models.CharField(max_length=200, blank=True, default="")
    # One row per key (reports: "digest:2026-11-19", "weekly:2026-W47", by e-mail
    # "weekly:2026-W47 email:revops@example.com"); alerts have none.
    dedup_key = models.CharField(max_length=320, unique=True, null=True, blank=True)
    # Where it goes: "" the Slack channel of the settings, "email:<address>" an e-mail address.
    destination = models.CharField(max_length=300, blank=True, default="")
    # The alert group whose message carried this notification (grouped delivery).
    group = models.ForeignKey(
        "AlertGroup", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
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

    EMAIL_PREFIX = "email:"

    @staticmethod
    def report_key(kind: str, period: str, destination: str = "") -> str:
        """The dedup key of a report notification: ``weekly:2026-W47`` (Slack), ``weekly:2026-W47
        email:revops@example.com`` (one per e-mail address)."""
        return f"{kind}:{period}" + (f" {destination}" if destination else "")

    @staticmethod
    def email_destination(address: str) -> str:
        """The ``destination`` of a notification e-mailed to ``address``."""
        return f"{Notification.EMAIL_PREFIX}{address}"

    @property
    def email_address(self) -> str:
        """The address an e-mail notification goes to (``""`` for Slack)."""
        prefix, _, address = self.destination.partition(":")
        return address if f"{prefix}:" == self.EMAIL_PREFIX else ""

    @property
    def report_period(self) -> str:
        """The day or ISO week a report notification is about (``""`` for an alert)."""
        kind, _, period = (self.dedup_key or "").partition(":")
        return period.partition(" ")[0] if kind == self.kind else ""


class NotificationAttempt(models.Model):
    """One attempt to deliver a notification (an HTTP call to Slack, an SMTP session), with its
    outcome (never the token or the SMTP password)."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField()
    # A hash of the Slack API URL, channel and token (or of the SMTP server, user, password and
    # sender for an e-mail): which destination was tried.
    destination = models.CharField(max_length=16)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=100, blank=True, default="")
    permanent = models.BooleanField(default=False)
    retry_after = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["destination", "at"], name="attempt_destination_idx")]
