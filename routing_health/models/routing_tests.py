"""Routing test pack runs (``manage.py routing_test run``): a run, its cases, their leads.

The leads live in the org the pack ran against (usually a sandbox): they are stored here only
as the run's evidence and never enter the synced ``Lead`` table or any metric.
"""

from __future__ import annotations

from django.db import models


class RoutingTestRun(models.Model):
    """One run of one pack."""

    class Status(models.TextChoices):
        PASSED = "passed"
        FAILED = "failed"  # a case did not match, timed out, or the run stopped half-way
        REFUSED = "refused"  # nothing was written (e.g. the org is not a sandbox)

    # The marker value prefix of the leads; judging the same leads again is another run.
    run_id = models.CharField(max_length=64, db_index=True)
    pack_name = models.CharField(max_length=200)
    pack_path = models.CharField(max_length=500, blank=True, default="")
    connection = models.CharField(max_length=16, default="default")
    instance_url = models.CharField(max_length=200, blank=True, default="")
    created_leads = models.BooleanField(default=False)  # --create
    kept_leads = models.BooleanField(default=False)  # --keep
    is_sandbox = models.BooleanField(null=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    leads_inserted = models.PositiveIntegerField(default=0)
    leads_deleted = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.pack_name} {self.run_id} ({self.status})"


class RoutingTestCase(models.Model):
    """One case of a run: what was expected, what happened, and whether it passed."""

    run = models.ForeignKey(RoutingTestRun, on_delete=models.CASCADE, related_name="cases")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    expected = models.CharField(max_length=300)
    actual = models.TextField()
    leads = models.PositiveIntegerField()
    passed_leads = models.PositiveIntegerField()
    timed_out = models.PositiveIntegerField(default=0)
    # The lead's time to route, or the p95 over the case's routed leads.
    seconds_to_route = models.FloatField(null=True, blank=True)
    sla_seconds = models.FloatField(null=True, blank=True)
    failed_node = models.CharField(max_length=300, blank=True, default="")
    passed = models.BooleanField()

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="routing_test_case_pos"),
        ]


class RoutingTestLead(models.Model):
    """One lead of a case, as judged."""

    case = models.ForeignKey(RoutingTestCase, on_delete=models.CASCADE, related_name="leads_of")
    salesforce_id = models.CharField(max_length=18)
    created_at = models.DateTimeField()
    routed_at = models.DateTimeField(null=True, blank=True)
    routed_owner_id = models.CharField(max_length=18, blank=True, default="")
    routed_owner_name = models.CharField(max_length=255, blank=True, default="")
    outcome = models.CharField(max_length=16)  # succeeded | triage | failed | timeout
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    seconds_to_route = models.FloatField(null=True, blank=True)
    passed = models.BooleanField()

    class Meta:
        ordering = ["case", "created_at", "salesforce_id"]
