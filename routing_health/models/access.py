"""Access and stored documents: API tokens and stored weekly reviews.
"""

from __future__ import annotations

from django.db import models


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


class FairnessReview(models.Model):
    """A generated monthly fairness review (``manage.py fairness_review``; issue 17), for the
    Reports page. One row per month; generating a month again replaces its row. ``html_gzip``
    is the self-contained HTML file, gzip-compressed; ``summary`` its data as JSON
    (``FairnessReviewData.to_dict()``)."""

    month = models.CharField(max_length=7, unique=True)  # "2026-11"
    start = models.DateField()  # the 1st, report time zone
    end = models.DateField()  # the last day of the month
    as_of = models.DateTimeField()
    complete = models.BooleanField(default=True)
    generated_at = models.DateTimeField()
    html_gzip = models.BinaryField()
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-start"]

    def __str__(self) -> str:
        return f"Fairness review {self.month}"

    @property
    def html(self) -> str:
        """The HTML document."""
        import gzip

        return gzip.decompress(bytes(self.html_gzip)).decode("utf-8")
