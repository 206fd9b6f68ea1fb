"""``manage.py setup_schedules``: make the django-q2 schedules match ``declared_schedules()``.

Safe to run any number of times (deploy hooks run it on every release). Only rows whose name
starts with ``routing-health:`` are touched; schedules made by hand or by other apps stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule

from routing_health.jobs import schedules
from routing_health.jobs.locks import LockBusy, hold_lock

Action = Literal["created", "updated", "unchanged", "removed", "deduplicated"]

# A change to any of these is a new timetable: next_run is recomputed (django-q2 does not).
TIMING_FIELDS = ("func", "schedule_type", "minutes", "cron", "kwargs")
SETUP_LOCK = "setup-schedules"


@dataclass(frozen=True)
class ScheduleChange:
    action: Action
    name: str
    detail: str = ""


def _desired(spec: schedules.ScheduleSpec) -> dict[str, Any]:
    return {
        "func": spec.func,
        "schedule_type": spec.schedule_type,
        "minutes": spec.minutes,
        "cron": spec.cron,
        "kwargs": spec.kwargs_text,
        "args": None,
        "hook": None,
        "repeats": -1,
        "cluster": None,
        "intended_date_kwarg": None,
    }


def _stored(row: Schedule, field: str) -> Any:
    value = getattr(row, field)
    return None if value == "" else value  # the admin saves empty text fields as ""


def apply_schedules(
    specs: Sequence[schedules.ScheduleSpec], *, now: datetime | None = None
) -> list[ScheduleChange]:
    """Create, update or remove ``routing-health:*`` schedules so they match ``specs``.

    A changed spec (func, type, minutes, cron or kwargs) gets a fresh ``next_run``; other
    drift (repeats, hook, args, cluster edited in the admin) is reset without touching it.
    Rows sharing a name are collapsed to the oldest. Returns what was done, in order.
    """
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"the schedule registry declares a name twice: {sorted(names)}")
    now = now or timezone.now()
    changes: list[ScheduleChange] = []
    with transaction.atomic():
        prefix = schedules.SCHEDULE_PREFIX
        rows = Schedule.objects.select_for_update().filter(name__startswith=prefix)
        existing: dict[str, Schedule] = {}
        duplicates: dict[str, int] = {}
        for row in rows.order_by("pk"):
            # SQLite's LIKE ignores case: keep the prefix match exact.
            if not row.name.startswith(schedules.SCHEDULE_PREFIX):
                continue
            if row.name in existing:
                row.delete()
                duplicates[row.name] = duplicates.get(row.name, 0) + 1
            else:
                existing[row.name] = row
        for name, count in duplicates.items():
            changes.append(
                ScheduleChange(
                    "deduplicated",
                    name,
                    f"deleted {count} duplicate row{'s' if count > 1 else ''}, "
                    f"kept id {existing[name].pk}",
                )
            )
        for spec in specs:
            changes.append(_apply_one(spec, existing.pop(spec.name, None), now))
        for name, row in existing.items():
            row.delete()
            changes.append(ScheduleChange("removed", name, f"no longer declared (was {row.func})"))
    return changes


def _apply_one(spec: schedules.ScheduleSpec, row: Schedule | None, now: datetime) -> ScheduleChange:
    desired = _desired(spec)
    if row is None:
        row = Schedule(name=spec.name, next_run=spec.first_run(now), **desired)
        row.full_clean()
        row.save()
        return ScheduleChange("created", spec.name, f"{spec.describe()}, next run {_at(row)}")
    changed = [field for field, value in desired.items() if _stored(row, field) != value]
    if not changed and row.next_run is not None:
        return ScheduleChange("unchanged", spec.name, f"{spec.describe()}, next run {_at(row)}")
    what = ", ".join(f"{field} {_stored(row, field)!r} → {desired[field]!r}" for field in changed)
    for field in changed:
        setattr(row, field, desired[field])
    if row.next_run is None or any(field in TIMING_FIELDS for field in changed):
        row.next_run = spec.first_run(now)
        what = f"{what}; next run reset to {_at(row)}" if what else f"next run set to {_at(row)}"
    row.full_clean()
    row.save()
    return ScheduleChange("updated", spec.name, what)


def _at(row: Schedule) -> str:
    return row.next_run.isoformat(timespec="seconds") if row.next_run else "never"


def cluster_warnings() -> list[str]:
    """Q_CLUSTER settings that would deliver tasks twice, retry forever or replay missed runs."""
    warnings = []
    if not Conf.TIMEOUT or Conf.TIMEOUT >= Conf.RETRY:
        warnings.append(
            f"Q_CLUSTER timeout ({Conf.TIMEOUT}) should be below retry ({Conf.RETRY}), "
            "or a running task is delivered a second time"
        )
    if not Conf.MAX_ATTEMPTS:
        warnings.append("Q_CLUSTER max_attempts is 0: a failing task is retried forever")
    if Conf.CATCH_UP:
        warnings.append("Q_CLUSTER catch_up is on: after downtime every missed sync would run")
    return warnings


class Command(BaseCommand):
    help = (
        "Create or update the django-q2 schedules Routing Health declares (routing-health:*), "
        "and remove the ones it no longer declares. Safe to run repeatedly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            specs = schedules.declared_schedules()
            with hold_lock(SETUP_LOCK, timedelta(minutes=5)):
                changes = apply_schedules(specs)
        except LockBusy as exc:
            raise CommandError(f"another setup_schedules is running ({exc})") from None
        except (ImproperlyConfigured, ValidationError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        width = max(len(change.name) for change in changes) if changes else 0
        for change in changes:
            line = f"{change.action:<12} {change.name:<{width}}  {change.detail}".rstrip()
            style = self.style.SUCCESS if change.action != "unchanged" else (lambda s: s)
            self.stdout.write(style(line))
        counts = {action: 0 for action in ("created", "updated", "unchanged", "removed")}
        for change in changes:
            if change.action in counts:
                counts[change.action] += 1
        self.stdout.write(
            f"{len(specs)} schedule(s) declared: "
            + ", ".join(f"{count} {action}" for action, count in counts.items())
        )
        for warning in cluster_warnings():
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
