from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import OperationalError, connection

from routing_health.jobs.locks import LockBusy, NamedLock, hold_lock, purge_expired_locks
from routing_health.models import JobLock

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)

pytestmark = pytest.mark.django_db


def test_a_free_lock_is_acquired_and_released():
    lock = NamedLock("sync", ttl=TTL, owner="worker-a")
    assert lock.acquire(now=T0)
    row = JobLock.objects.get(name="sync")
    assert (row.owner, row.expires_at) == ("worker-a", T0 + TTL)
    assert lock.release()
    assert not JobLock.objects.filter(name="sync").exists()


def test_a_held_lock_cannot_be_taken_by_another_owner():
    assert NamedLock("sync", ttl=TTL, owner="worker-a").acquire(now=T0)
    assert not NamedLock("sync", ttl=TTL, owner="worker-b").acquire(now=T0 + timedelta(minutes=9))
    assert JobLock.objects.get(name="sync").owner == "worker-a"


def test_the_owner_can_take_its_own_lock_again():
    lock = NamedLock("sync", ttl=TTL, owner="worker-a")
    assert lock.acquire(now=T0)
    assert lock.acquire(now=T0 + timedelta(minutes=1))
    assert JobLock.objects.get(name="sync").expires_at == T0 + timedelta(minutes=11)


def test_a_lock_of_a_crashed_owner_can_be_taken_once_it_expires():
    assert NamedLock("sync", ttl=TTL, owner="crashed").acquire(now=T0)  # never released
    taker = NamedLock("sync", ttl=TTL, owner="worker-b")
    assert not taker.acquire(now=T0 + TTL)  # still held at the expiry instant
    assert taker.acquire(now=T0 + TTL + timedelta(seconds=1))
    assert JobLock.objects.get(name="sync").owner == "worker-b"


def test_a_crashed_owners_lock_expires_with_the_real_clock():
    with time_machine.travel(T0, tick=False):
        assert NamedLock("sync", ttl=TTL, owner="crashed").acquire()
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert not NamedLock("sync", ttl=TTL).acquire()
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        assert NamedLock("sync", ttl=TTL).acquire()


def test_refresh_extends_the_lease():
    lock = NamedLock("sync", ttl=TTL, owner="worker-a")
    lock.acquire(now=T0)
    assert lock.refresh(now=T0 + timedelta(minutes=8))
    assert not NamedLock("sync", ttl=TTL).acquire(now=T0 + timedelta(minutes=12))


def test_refresh_fails_once_another_owner_took_the_expired_lease():
    slow = NamedLock("sync", ttl=TTL, owner="slow")
    slow.acquire(now=T0)
    NamedLock("sync", ttl=TTL, owner="fast").acquire(now=T0 + timedelta(minutes=11))
    assert not slow.refresh(now=T0 + timedelta(minutes=12))
    assert JobLock.objects.get(name="sync").owner == "fast"


def test_only_the_owner_can_release_the_lock():
    NamedLock("sync", ttl=TTL, owner="worker-a").acquire(now=T0)
    assert not NamedLock("sync", ttl=TTL, owner="worker-b").release()
    assert JobLock.objects.get(name="sync").owner == "worker-a"


def test_hold_lock_raises_lock_busy_naming_the_holder():
    NamedLock("sync", ttl=TTL, owner="worker-a").acquire()
    with pytest.raises(LockBusy, match="held by worker-a"), hold_lock("sync", TTL):
        pass


def test_hold_lock_releases_the_lock_when_the_block_raises():
    with pytest.raises(RuntimeError), hold_lock("sync", TTL):
        raise RuntimeError("boom")
    assert not JobLock.objects.exists()


def test_locks_with_different_names_are_independent():
    assert NamedLock("sync", ttl=TTL).acquire()
    assert NamedLock("evaluate-alerts", ttl=TTL).acquire()


def test_purge_deletes_only_expired_rows_with_the_prefix():
    NamedLock("daily_digest:2026-11-01", ttl=TTL).acquire(now=T0)
    NamedLock("daily_digest:2026-11-02", ttl=TTL).acquire(now=T0 + timedelta(hours=1))
    NamedLock("sync", ttl=TTL).acquire(now=T0)
    assert purge_expired_locks(prefix="daily_digest:", now=T0 + timedelta(minutes=30)) == 1
    assert sorted(JobLock.objects.values_list("name", flat=True)) == [
        "daily_digest:2026-11-02",
        "sync",
    ]


def _acquire_retrying_shared_cache_locks(lock: NamedLock) -> bool:
    """The SQLite test database is in memory with a shared cache, where a concurrent writer
    gets SQLITE_LOCKED ("database table is locked") at once instead of waiting out the busy
    timeout as connections to the production database file do. Retry that; any definite
    answer must still be exclusive."""
    for _ in range(200):
        try:
            return lock.acquire()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.005)
    raise AssertionError("the lock table stayed locked")


@pytest.mark.django_db(transaction=True)
def test_of_many_threads_racing_for_a_free_lock_exactly_one_wins():
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    wins: list[bool] = []
    errors: list[BaseException] = []

    def contend() -> None:
        try:
            lock = NamedLock("sync", ttl=TTL)
            barrier.wait()
            wins.append(_acquire_retrying_shared_cache_locks(lock))
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contend) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(wins) == [False] * (threads_count - 1) + [True]
    assert JobLock.objects.count() == 1


RACE_SCRIPT = """
import sys, time
import django
django.setup()
from datetime import timedelta
from routing_health.jobs.locks import NamedLock
lock = NamedLock("sync", ttl=timedelta(minutes=10))
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
print("WON" if lock.acquire() else "BUSY")
"""


def test_of_several_processes_racing_on_a_sqlite_file_exactly_one_wins(tmp_path):
    """The production SQLite set-up (a WAL file, IMMEDIATE transactions, busy timeout)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
    }
    run = functools.partial(
        subprocess.run, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    migrated = run([sys.executable, "-m", "django", "migrate", "routing_health", "-v0"])
    assert migrated.returncode == 0, migrated.stderr
    start = time.time() + 2.0  # every process has started Django by then
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACE_SCRIPT, str(start)],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [racer.communicate(timeout=60) for racer in racers]
    assert [racer.returncode for racer in racers] == [0] * 4, [err for _, err in outputs]
    assert sorted(out.strip() for out, _ in outputs) == ["BUSY", "BUSY", "BUSY", "WON"]
