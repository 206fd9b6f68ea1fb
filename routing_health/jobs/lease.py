"""The sync lease: a short lock renewed by a heartbeat while the sync runs.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from routing_health.jobs.locks import (
    LeaseKeeper,
    LockBusy,
    LockLost,
    NamedLock,
    keep_alive,
)
from routing_health.lib.env import envint

log = logging.getLogger(__name__)


SYNC_LOCK = "sync"
HEARTBEAT_SECONDS = 30.0
DEFAULT_SYNC_LEASE_SECONDS = 120


def job_lock_ttl() -> timedelta:
    """Lease length for a job: longer than the cluster lets a task run (``Q_CLUSTER.timeout``).

    A live task therefore never loses its lease to expiry, and one killed by the timeout (or a
    crashed worker) blocks the next run for at most this long.
    """
    timeout = int(settings.Q_CLUSTER.get("timeout") or 600)
    return timedelta(seconds=timeout + 60)


def sync_lease() -> timedelta:
    """The sync lock's lease, ``SYNC_LEASE_SECONDS`` (default 120): how long a crashed sync
    blocks the next one. A live run renews it (heartbeat every quarter), so it need not cover
    the run's length; keep it below ``SYNC_INTERVAL_MINUTES`` so a crash costs one run at most.
    """
    seconds = envint("SYNC_LEASE_SECONDS", DEFAULT_SYNC_LEASE_SECONDS)
    if not 2 <= seconds <= 3600:
        raise ImproperlyConfigured(f"SYNC_LEASE_SECONDS={seconds} must be between 2 and 3600")
    return timedelta(seconds=seconds)


@contextmanager
def holding_sync_lock(*, wait_seconds: float = 0.0) -> Iterator[LeaseHeartbeat]:
    """Hold the "sync" lock, renewed by a heartbeat thread, for the duration of the block.

    Raises ``LockBusy`` when another live run holds it (after waiting up to ``wait_seconds``
    for it). Yields the progress callback to pass to the work: it raises ``LockLost`` at the
    next page if the lease was lost (the heartbeat could not renew it in time and another
    worker took it), so two syncs never write side by side.
    """
    lock = NamedLock(SYNC_LOCK, ttl=sync_lease())
    deadline = _time.monotonic() + wait_seconds
    while not lock.acquire():
        if _time.monotonic() >= deadline:
            raise LockBusy(SYNC_LOCK, lock.holder())
        _time.sleep(min(1.0, wait_seconds))
    try:
        with keep_alive(lock) as keeper:
            yield LeaseHeartbeat(lock, keeper=keeper)
    finally:
        lock.release()


class LeaseHeartbeat:
    """A sync progress callback that keeps a lease alive while pages keep coming.

    Refreshes at most every ``every_seconds``; raises ``LockLost`` (which aborts the sync, its
    run recorded as failed) when the lease expired and another worker took it, or when the
    heartbeat thread ``keeper`` found it lost.
    """

    def __init__(
        self,
        lock: NamedLock,
        every_seconds: float = HEARTBEAT_SECONDS,
        *,
        keeper: LeaseKeeper | None = None,
    ) -> None:
        self.lock = lock
        self.every_seconds = every_seconds
        self.keeper = keeper
        self.last = _time.monotonic()

    def __call__(self, message: str) -> None:
        log.debug("sync progress: %s", message)
        if self.keeper is not None:
            self.keeper.check()
        if _time.monotonic() - self.last >= self.every_seconds:
            if not self.lock.refresh():
                raise LockLost(self.lock.name)
            self.last = _time.monotonic()
