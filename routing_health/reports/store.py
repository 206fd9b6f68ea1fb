"""Where a weekly review goes: a file on disk, a row for the dashboard, a link for Slack."""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

from routing_health.models import WeeklyReport
from routing_health.reports.weekly import WeeklyReportData


def default_output_path(week: str) -> Path:
    """``<data dir>/reports/weekly-<week>.html`` (``data/reports/…`` in a checkout)."""
    return Path(settings.DATA_DIR) / "reports" / f"weekly-{week}.html"


def report_url(week: str) -> str:
    """The review on the dashboard: ``PUBLIC_URL/reports/<week>``."""
    base = (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}/reports/{quote(week, safe='')}"


def write_report_file(html: str, path: Path) -> Path:
    """Write ``html`` to ``path`` atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(html)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def save_weekly_report(report: WeeklyReportData, html: str) -> WeeklyReport:
    """Store (or replace) the week's review for the dashboard's Reports page.

    Whether the week was posted to Slack (``slack_ts``, ``posted_at``, set by the outbox when
    the week's notification is sent) survives a replacement: a week is posted once.
    """
    row, _ = WeeklyReport.objects.update_or_create(
        week=report.period.week,
        defaults={
            "start": report.period.start,
            "end": report.period.end,
            "as_of": report.period.as_of,
            "complete": report.period.complete,
            "generated_at": report.generated_at,
            "html_gzip": gzip.compress(html.encode("utf-8"), compresslevel=6),
            "summary": report.to_dict(),
        },
    )
    return row
