"""The one registry of our django-q2 schedules; ``manage.py setup_schedules`` makes the rows match.

Each schedule names its task by dotted path in ``routing_health.jobs.tasks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_q.models import Schedule

from routing_health.lib.env import envint

TASKS = "routing_health.jobs.tasks"  # the module of the task functions, by dotted path
SCHEDULE_PREFIX = "routing-health:"


@dataclass(frozen=True)
class ScheduleSpec:
    """One django-q2 schedule we own. ``manage.py setup_schedules`` makes the rows match."""

    name: str
    func: str  # dotted path of the task function
    schedule_type: str  # a django_q Schedule type: MINUTES, HOURLY, CRON, ...
    minutes: int | None = None
    cron: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    note: str = field(default="", compare=False)  # shown by setup_schedules, not stored

    def __post_init__(self) -> None:
        if not self.name.startswith(SCHEDULE_PREFIX):
            raise ValueError(f"schedule name {self.name!r} must start with {SCHEDULE_PREFIX!r}")
        if self.schedule_type == Schedule.MINUTES and not (self.minutes and self.minutes > 0):
            raise ValueError(f"{self.name}: a MINUTES schedule needs minutes >= 1")
        if self.schedule_type == Schedule.CRON and not self.cron:
            raise ValueError(f"{self.name}: a CRON schedule needs a cron expression")

    @property
    def kwargs_text(self) -> str | None:
        """``Schedule.kwargs`` as stored: a dict literal (django-q2 ``literal_eval``s it)."""
        return repr(dict(sorted(self.kwargs.items()))) if self.kwargs else None

    def first_run(self, now: datetime) -> datetime:
        """When a new or changed schedule runs first (HOURLY ticks stay on the hour)."""
        if self.schedule_type == Schedule.HOURLY:
            return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        if self.schedule_type == Schedule.CRON:
            return Schedule(schedule_type=Schedule.CRON, cron=self.cron).calculate_next_run()
        return now  # a poller runs at the next scheduler tick; every job is idempotent

    def describe(self) -> str:
        if self.schedule_type == Schedule.MINUTES:
            timing = f"every {self.minutes} minute{'s' if self.minutes != 1 else ''}"
        elif self.schedule_type == Schedule.CRON:
            timing = f"cron {self.cron!r} ({settings.TIME_ZONE})"
        else:
            timing = str(dict(Schedule.TYPE).get(self.schedule_type, self.schedule_type)).lower()
        return f"{timing} ({self.note})" if self.note else timing


def sync_interval_minutes() -> int:
    """``SYNC_INTERVAL_MINUTES`` (default 5); keep it well under ``sync_stale``'s 30 minutes."""
    minutes = envint("SYNC_INTERVAL_MINUTES", 5)
    if not 1 <= minutes <= 1440:
        raise ImproperlyConfigured(f"SYNC_INTERVAL_MINUTES={minutes} must be between 1 and 1440")
    return minutes


def reconcile_interval_hours() -> int:
    """``RECONCILE_INTERVAL_HOURS`` (default 24): how often deletions are reconciled."""
    hours = envint("RECONCILE_INTERVAL_HOURS", 24)
    if not 1 <= hours <= 168:
        raise ImproperlyConfigured(f"RECONCILE_INTERVAL_HOURS={hours} must be between 1 and 168")
    return hours


def declared_schedules() -> tuple[ScheduleSpec, ...]:
    """The registry: every schedule Routing Health owns (read at call time, env included)."""
    return (
        ScheduleSpec(
            name=f"{SCHEDULE_PREFIX}sync",
            func=f"{TASKS}.run_sync",
            schedule_type=Schedule.MINUTES,
            minutes=sync_interval_minutes(),
            note="sync, then metrics and alerts",
        ),
        ScheduleSpec(
            name=f"{SCHEDULE_PREFIX}reconcile-deletions",
            func=f"{TASKS}.run_reconcile",
            schedule_type=Schedule.MINUTES,
            minutes=reconcile_interval_hours() * 60,
            note="mark deleted what Salesforce purged, then metrics and alerts",
        ),
        ScheduleSpec(
            name=f"{SCHEDULE_PREFIX}deliver-notifications",
            func=f"{TASKS}.run_deliver_notifications",
            schedule_type=Schedule.MINUTES,
            minutes=1,
            note="retry due Slack notifications",
        ),
        ScheduleSpec(
            name=f"{SCHEDULE_PREFIX}daily-digest",
            func=f"{TASKS}.run_daily_digest",
            schedule_type=Schedule.HOURLY,
            note="daily digest, due 08:00 in the report time zone",
        ),
        ScheduleSpec(
            name=f"{SCHEDULE_PREFIX}weekly-review",
            func=f"{TASKS}.run_weekly_report",
            schedule_type=Schedule.HOURLY,
            note="weekly review, due Mondays 09:00 in the report time zone",
        ),
    )
