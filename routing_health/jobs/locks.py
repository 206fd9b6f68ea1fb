"""Named leases in the database: one holder at a time; a crashed holder blocks only until expiry.

A lock is a ``JobLock`` row (name, owner token, expires_at). It is taken with one conditional
write, so the database decides who wins, on SQLite and PostgreSQL alike:

1. ``UPDATE job_lock SET owner=me, expires_at=now+ttl WHERE name=? AND (expires_at < now OR
   owner=me)`` — take an expired lease or re-take our own; on PostgreSQL a concurrent taker
   blocks on the row and re-checks the condition after our commit, so only one update wins;
2. when no row matched, ``INSERT`` the row inside a savepoint; the primary key lets only one
   concurrent insert succeed, the loser gets an ``IntegrityError`` and reports "busy".

Work that may outlive its lease calls ``refresh()`` now and then, or runs inside
``keep_alive(lock)``: a heartbeat thread that refreshes the lease every quarter of its ttl while
the work runs, so the lease can be short (a crashed holder blocks others only briefly) and a
long run still keeps it. ``refresh()`` and
``release()`` touch the row only while it is still ours (``WHERE owner = me``), so a worker whose
lease expired and was taken over can neither extend nor delete the new holder's lease.

Take locks in autocommit mode (outside ``transaction.atomic``): inside an open transaction the
row stays invisible to other processes until that transaction commits. Expiry is judged by the
clock of the process taking the lock, so TTLs should be far above the clock skew between hosts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from routing_health.models import JobLock

log = logging.getLogger(__name__)


class LockBusy(Exception):
    """The named lock is held by another owner whose lease has not expired."""

    def __init__(self, name: str, holder: JobLock | None = None) -> None:
        self.name = name
        self.holder = holder
        detail = f" by {holder.owner} until {holder.expires_at.isoformat()}" if holder else ""
        super().__init__(f"lock {name!r} is held{detail}")


class LockLost(Exception):
    """Our lease expired and another owner took the lock while we were still working."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"lock {name!r} was lost: the lease expired and another owner took it")


def new_owner_token() -> str:
    """A token naming this process and this attempt (host:pid:random), unique per lock object."""
    return f"{socket.gethostname()[:50]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


class NamedLock:
    """A lease on ``name`` for ``ttl``, held by ``owner`` (a fresh token unless given).

    ``acquire()`` returns False when another owner holds an unexpired lease; ``refresh()``
    extends our lease and returns False when it is no longer ours; ``release()`` deletes it
    only if it is ours. ``now`` parameters exist for tests; they default to the current time.
    """

    def __init__(self, name: str, *, ttl: timedelta, owner: str | None = None) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a lock needs a positive ttl")
        self.name = name
        self.ttl = ttl
        self.owner = owner or new_owner_token()
        self.expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"NamedLock({self.name!r}, owner={self.owner!r}, expires_at={self.expires_at})"

    def acquire(self, *, now: datetime | None = None) -> bool:
        """Take the lock if it is free, expired or already ours; True when we hold it."""
        now = now or timezone.now()
        expires_at = now + self.ttl
        taken = (
            JobLock.objects.filter(name=self.name)
            .filter(Q(expires_at__lt=now) | Q(owner=self.owner))
            .update(owner=self.owner, acquired_at=now, expires_at=expires_at)
        )
        if not taken:
            try:
                with transaction.atomic():
                    JobLock.objects.create(
                        name=self.name, owner=self.owner, acquired_at=now, expires_at=expires_at
                    )
            except IntegrityError:
                # Someone else holds it (or inserted it a moment before us).
                return False
        self.expires_at = expires_at
        log.debug("lock %s acquired by %s until %s", self.name, self.owner, expires_at)
        return True

    def refresh(self, *, now: datetime | None = None) -> bool:
        """Extend our lease to now + ttl; False when the lock is no longer ours."""
        now = now or timezone.now()
        expires_at = now + self.ttl
        kept = JobLock.objects.filter(name=self.name, owner=self.owner).update(
            expires_at=expires_at
        )
        if kept:
            self.expires_at = expires_at
        else:
            self.expires_at = None
            log.warning("lock %s lost by %s", self.name, self.owner)
        return bool(kept)

    def release(self) -> bool:
        """Delete the lock if we still hold it; True when a lease of ours was released."""
        deleted, _ = JobLock.objects.filter(name=self.name, owner=self.owner).delete()
        self.expires_at = None
        return bool(deleted)

    def holder(self) -> JobLock | None:
        """The current row for this name (whoever holds it, expired or not), if any."""
        return JobLock.objects.filter(name=self.name).first()


@contextmanager
def hold_lock(
    name: str, ttl: timedelta, *, owner: str | None = None, now: datetime | None = None
) -> Iterator[NamedLock]:
    """Hold ``name`` for the duration of the block; raise ``LockBusy`` when another owner has it.

    The lock is released on exit (also on error). Long work inside the block should call
    ``lock.refresh()`` before ``ttl`` runs out.
    """
    lock = NamedLock(name, ttl=ttl, owner=owner)
    if not lock.acquire(now=now):
        raise LockBusy(name, lock.holder())
    try:
        yield lock
    finally:
        lock.release()


def purge_expired_locks(*, prefix: str = "", now: datetime | None = None) -> int:
    """Delete expired lock rows (whose names start with ``prefix``); returns how many."""
    now = now or timezone.now()
    deleted, _ = JobLock.objects.filter(name__startswith=prefix, expires_at__lt=now).delete()
    return deleted


class LeaseKeeper:
    """A heartbeat thread renewing ``lock``'s lease every ``every`` (default: a quarter of its
    ttl, so two missed beats still leave the lease alive) until ``stop()``.

    ``lost`` turns true when a refresh finds the lease taken by another owner; the worker
    checks it (``check()`` raises ``LockLost``) and stops. A refresh that fails on a database
    error is logged and tried again at the next beat. The thread uses its own database
    connection, so the lock must have been taken outside an open transaction.
    """

    def __init__(self, lock: NamedLock, every: timedelta | None = None) -> None:
        self.lock = lock
        self.every = every or lock.ttl / 4
        self.lost = False
        self.beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{lock.name}", daemon=True
        )

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> None:
        """Raise ``LockLost`` when the lease was lost (call it between units of work)."""
        if self.lost:
            raise LockLost(self.lock.name)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every.total_seconds()):
                try:
                    kept = self.lock.refresh()
                except Exception:  # a database hiccup: the lease outlives a missed beat
                    log.exception("lock %s: heartbeat refresh failed", self.lock.name)
                    continue
                self.beats += 1
                if not kept:
                    self.lost = True
                    return
        finally:
            connection.close()


@contextmanager
def keep_alive(lock: NamedLock, every: timedelta | None = None) -> Iterator[LeaseKeeper]:
    """Renew ``lock``'s lease from a heartbeat thread for the duration of the block."""
    keeper = LeaseKeeper(lock, every).start()
    try:
        yield keeper
    finally:
        keeper.stop()
