from __future__ import annotations

import pydoc
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from routing_health.jobs import schedules
from routing_health.jobs.locks import NamedLock
from routing_health.management.commands.setup_schedules import SETUP_LOCK, apply_schedules

T0 = datetime(2026, 11, 2, 9, 17, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def rows() -> list[tuple]:
    return list(
        Schedule.objects.order_by("name").values_list(
            "pk", "name", "func", "schedule_type", "minutes", "cron", "kwargs", "repeats",
            "next_run",
        )
    )  # fmt: skip


def setup_schedules(now: datetime = T0) -> str:
    out = StringIO()
    with time_machine.travel(now, tick=False):
        call_command("setup_schedules", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_creates_every_declared_schedule():
    output = setup_schedules()
    assert sorted(Schedule.objects.values_list("name", "func", "schedule_type", "minutes")) == [
        ("routing-health:daily-digest", "routing_health.jobs.tasks.run_daily_digest", "H", None),
        (
            "routing-health:deliver-notifications",
            "routing_health.jobs.tasks.run_deliver_notifications",
            "I",
            1,
        ),
        (
            "routing-health:reconcile-deletions",
            "routing_health.jobs.tasks.run_reconcile",
            "I",
            1440,
        ),
        ("routing-health:sync", "routing_health.jobs.tasks.run_sync", "I", 5),
        ("routing-health:weekly-review", "routing_health.jobs.tasks.run_weekly_report", "H", None),
    ]
    assert "5 created, 0 updated, 0 unchanged, 0 removed" in output


def test_hourly_report_schedules_tick_on_the_hour_and_the_sync_starts_at_once():
    apply_schedules(schedules.declared_schedules(), now=T0)
    next_runs = dict(Schedule.objects.values_list("name", "next_run"))
    assert next_runs["routing-health:sync"] == T0
    assert next_runs["routing-health:daily-digest"] == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert next_runs["routing-health:weekly-review"] == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_running_it_twice_leaves_the_same_schedules():
    setup_schedules()
    first = rows()
    output = setup_schedules(T0 + timedelta(minutes=3))
    assert rows() == first
    assert "0 created, 0 updated, 5 unchanged, 0 removed" in output


def test_a_changed_sync_interval_updates_the_row_and_resets_next_run(monkeypatch):
    apply_schedules(schedules.declared_schedules(), now=T0)
    monkeypatch.setenv("SYNC_INTERVAL_MINUTES", "15")
    later = T0 + timedelta(hours=2)
    changes = apply_schedules(schedules.declared_schedules(), now=later)
    sync = Schedule.objects.get(name="routing-health:sync")
    assert (sync.minutes, sync.next_run) == (15, later)
    updated = [c for c in changes if c.action != "unchanged"]
    assert [(c.action, c.name) for c in updated] == [("updated", "routing-health:sync")]
    assert "minutes 5 → 15" in updated[0].detail


def test_changed_kwargs_reset_next_run(monkeypatch):
    apply_schedules(schedules.declared_schedules(), now=T0)
    spec = schedules.ScheduleSpec(
        name="routing-health:sync",
        func="routing_health.jobs.tasks.run_sync",
        schedule_type=Schedule.MINUTES,
        minutes=5,
        kwargs={"full": True},
    )
    apply_schedules([spec], now=T0 + timedelta(hours=1))
    sync = Schedule.objects.get(name="routing-health:sync")
    assert sync.kwargs == "{'full': True}"
    assert sync.next_run == T0 + timedelta(hours=1)


def test_admin_drift_is_undone_without_moving_next_run():
    apply_schedules(schedules.declared_schedules(), now=T0)
    Schedule.objects.filter(name="routing-health:daily-digest").update(repeats=0, hook="x.y")
    changes = apply_schedules(schedules.declared_schedules(), now=T0 + timedelta(hours=5))
    digest = Schedule.objects.get(name="routing-health:daily-digest")
    assert (digest.repeats, digest.hook) == (-1, None)
    assert digest.next_run == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert [c.action for c in changes if c.name == digest.name] == ["updated"]


def test_an_undeclared_schedule_of_ours_is_removed_and_a_foreign_one_kept():
    Schedule.objects.create(name="routing-health:old-job", func="routing_health.jobs.tasks.gone")
    Schedule.objects.create(name="billing:nightly", func="billing.tasks.nightly")
    Schedule.objects.create(name=None, func="someone.elses.task")
    output = setup_schedules()
    names = set(Schedule.objects.values_list("name", flat=True))
    assert "routing-health:old-job" not in names
    assert {"billing:nightly", None} <= names
    assert "removed" in output and "routing-health:old-job" in output


def test_a_schedule_whose_name_differs_only_in_case_is_not_ours():
    Schedule.objects.create(name="Routing-Health:sync", func="elsewhere.task")
    setup_schedules()
    assert Schedule.objects.filter(name="Routing-Health:sync").exists()


def test_duplicate_rows_are_collapsed_to_the_oldest_and_reported():
    kept = Schedule.objects.create(
        name="routing-health:sync", func="routing_health.jobs.tasks.run_sync", schedule_type="I",
        minutes=5, next_run=T0,
    )  # fmt: skip
    Schedule.objects.create(name="routing-health:sync", func="routing_health.jobs.tasks.run_sync")
    Schedule.objects.create(name="routing-health:sync", func="routing_health.jobs.tasks.run_sync")
    output = setup_schedules()
    remaining = Schedule.objects.filter(name="routing-health:sync")
    assert list(remaining.values_list("pk", flat=True)) == [kept.pk]
    assert "deduplicated" in output and "deleted 2 duplicate rows" in output


def test_it_refuses_to_run_while_another_setup_holds_the_lock():
    NamedLock(SETUP_LOCK, ttl=timedelta(minutes=5), owner="other-deploy").acquire()
    with pytest.raises(CommandError, match="another setup_schedules is running"):
        call_command("setup_schedules", stdout=StringIO())


def test_an_invalid_sync_interval_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SYNC_INTERVAL_MINUTES", "0")
    with pytest.raises(CommandError, match="SYNC_INTERVAL_MINUTES=0"):
        call_command("setup_schedules", stdout=StringIO())
    assert not Schedule.objects.exists()


def test_a_registry_declaring_a_name_twice_is_rejected():
    spec = schedules.declared_schedules()[0]
    with pytest.raises(ValueError, match="declares a name twice"):
        apply_schedules([spec, spec])


def test_a_spec_outside_our_prefix_is_rejected():
    with pytest.raises(ValueError, match="must start with"):
        schedules.ScheduleSpec(
            name="sync", func="routing_health.jobs.tasks.run_sync", schedule_type="H"
        )


def test_schedules_stored_under_the_old_task_paths_are_moved_to_the_tasks_module():
    # Before issue 13 the task functions lived in the module ``routing_health.jobs``.
    old = {
        "routing-health:sync": "routing_health.jobs.run_sync",
        "routing-health:daily-digest": "routing_health.jobs.run_daily_digest",
    }
    for name, func in old.items():
        Schedule.objects.create(name=name, func=func, schedule_type="H")
    setup_schedules()
    funcs = dict(Schedule.objects.filter(name__in=old).values_list("name", "func"))
    assert funcs == {
        "routing-health:sync": "routing_health.jobs.tasks.run_sync",
        "routing-health:daily-digest": "routing_health.jobs.tasks.run_daily_digest",
    }
    assert all(callable(pydoc.locate(func)) for func in funcs.values())
