"""Scheduled jobs: thin, idempotent django-q2 task functions (the schedules: ``schedules.py``).

Jobs call services, not management commands. Each task takes its lease (or its claim on a
report period), calls one service function with keyword arguments and gets a typed result back;
the ``JobResult`` detail is that result's ``summary()``. The management commands are thin
argparse wrappers over the same services:

    run_sync / run_reconcile    sync.service.sync_salesforce, sync.reconcile.reconcile_deletions
    run_compute_metrics         rollups.service.compute_metrics        → ComputeOutcome
    run_evaluate_alerts         alerts.service.run_evaluation          → EvaluationReport
    run_deliver_notifications   alerts.delivery.deliver_due            → DeliveryResult
    run_daily_digest            reports.service.send_daily_digest      → ReportResult
    run_weekly_report           reports.service.send_weekly_review     → ReportResult

Every ``SYNC_INTERVAL_MINUTES`` (default 5) the cluster runs ``run_sync``; after it, the follow-up
jobs are enqueued as a django-q2 chain::

    run_sync ──ok──▶ run_compute_metrics ──▶ run_evaluate_alerts
             └─failed──▶ run_evaluate_alerts   (so ``sync_stale`` can fire)
             └─skipped (another sync holds the lock): nothing

The sync holds the "sync" lock on a short lease (``SYNC_LEASE_SECONDS``, default 120 s) that a
heartbeat thread renews every quarter of it while the run is alive (``locks.keep_alive``). A
worker killed mid-sync (SIGKILL, OOM, a lost host) stops renewing, so its lease runs out within
two minutes and the next scheduled run (every ``SYNC_INTERVAL_MINUTES``) proceeds; a live long
run keeps its lease however long it takes, so no second sync starts beside it.

``run_reconcile`` (every ``RECONCILE_INTERVAL_HOURS``, default 24, and inside every ``--full``
sync) marks deleted the stored leads and activities Salesforce no longer returns at all
(``routing_health.sync.reconcile``); it takes the same lock, waiting a little for a running
sync, and refreshes metrics and alerts when it marked anything.

A failed sync still evaluates alerts: otherwise ``sync_stale`` ("the last run failed") could
never fire; the alert layer holds data-derived rules while the data is stale. django-q2 moves a
chain on even when a step fails, so a failed metrics refresh does not stop alert evaluation.

Every task is safe to run twice (the ORM broker delivers at least once): sync, metrics and alerts
each hold a named lease (``routing_health.jobs.locks``) so two runs never overlap, and a report is
sent at most once per local day / ISO week (a claim row per period, and the report's outbox row
has a dedup key, so even a job retried after a crash enqueues it once).

The digest and the weekly review post through the notification outbox like alerts: the job
builds the report, enqueues it and runs one delivery. If Slack is down the report stays queued
and the next ``run_deliver_notifications`` / ``run_evaluate_alerts`` sends it (backoff honouring
``Retry-After``); a permanent error (``channel_not_found``…) fails the notification, which the
Health page shows, and the job returns ``failed`` while keeping its claim (another tick would
fail the same way; ``deliver_notifications --retry-failed`` requeues it after the fix).

Report schedules are hourly and the task decides whether it is due. django-q2 evaluates cron
expressions in the server time zone (UTC here), so a UTC cron for "08:00 New York" would drift by
an hour at every DST change, would have to be rewritten whenever the report time zone in the
TOML file changes, and needs ``croniter``, which we do not install. Instead the schedule ticks at
the top of every UTC hour and ``run_daily_digest`` / ``run_weekly_report`` convert the time to
the report time zone: a report is due in the first tick inside ``[slot, slot + 3 h)`` local time
(08:00 daily, Mondays 09:00), so DST is exact, a tick missed while the cluster was down is made
up within the window, and a run that raised (the report could not be built) is retried on the
next tick. In a time zone with a non-whole-hour offset (e.g. Asia/Kolkata) the first tick in the
window is at 08:30 local.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol, TypedDict
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_q.conf import Conf
from django_q.tasks import async_chain, async_task

from routing_health.alerts.delivery import DeliveryResult, deliver_due
from routing_health.alerts.service import EvaluationReport, run_evaluation
from routing_health.jobs.lease import holding_sync_lock, job_lock_ttl
from routing_health.jobs.locks import (
    LockBusy,
    NamedLock,
    purge_expired_locks,
)
from routing_health.reports.fairness import last_complete_month
from routing_health.reports.service import (
    ReportResult,
    send_daily_digest,
    send_fairness_review,
    send_weekly_review,
)
from routing_health.reports.weeks import week_of
from routing_health.rollups.service import ComputeOutcome, compute_metrics
from routing_health.salesforce import runtime
from routing_health.sync.reconcile import reconcile_deletions
from routing_health.sync.service import Progress, sync_salesforce

log = logging.getLogger(__name__)

METRICS_LOCK = "compute-metrics"
ALERTS_LOCK = "evaluate-alerts"
REPORT_CLAIM_TTL = timedelta(days=2)  # > the due window, so a later tick sees the claim
RECONCILE_LOCK_WAIT_SECONDS = 300.0  # a daily job waits out a running sync instead of skipping

Status = Literal["ok", "skipped", "failed"]
OK: Status = "ok"
SKIPPED: Status = "skipped"
FAILED: Status = "failed"
ALREADY_RUNNING = "already running"
DETAIL_CHARS = 2000  # django-q2 stores the result; keep the tail of a long summary


class JobResult(TypedDict):
    """What a task returns (stored by django-q2 as the task result): a plain, picklable dict."""

    job: str
    status: Status
    detail: str


class Summarized(Protocol):
    """A service's typed result: it can say in words what happened."""

    def summary(self) -> str: ...


def _result(job: str, status: Status, detail: str) -> JobResult:
    return {"job": job, "status": status, "detail": detail}


# --- the work: one service call each, keyword arguments, a typed result (tests patch these) ---


def perform_sync(*, full: bool = False, progress: Progress | None = None) -> tuple[bool, str]:
    """One Salesforce sync with the configured org and routing file: ``(succeeded, summary)``.

    A ``full`` sync that succeeded is followed by the reconciliation of deletions.
    """
    config = runtime.routing_config()
    client = runtime.salesforce_client()
    outcome = sync_salesforce(client=client, config=config, full=full, progress=progress)
    summary = outcome.summary(client)
    if not (full and outcome.ok):
        return outcome.ok, summary
    reconciled = reconcile_deletions(client=client, progress=progress)
    return reconciled.ok, f"{summary}; {reconciled.summary()}"


def perform_reconcile(*, progress: Progress | None = None) -> tuple[bool, str, int]:
    """Reconcile deletions with the configured org: ``(succeeded, summary, records marked)``."""
    client = runtime.salesforce_client()
    outcome = reconcile_deletions(client=client, progress=progress)
    return outcome.ok, outcome.summary(), outcome.marked_deleted


def perform_compute_metrics() -> ComputeOutcome:
    """Refresh the stored facts and rollups as of now (``rollups.service.compute_metrics``)."""
    now = timezone.now().astimezone(UTC).replace(microsecond=0)
    return compute_metrics(config=runtime.routing_config(), as_of=now)


def perform_evaluate_alerts() -> EvaluationReport:
    """Evaluate the alert rules and deliver due notifications (``alerts.service``)."""
    return run_evaluation(config=runtime.routing_config())


def perform_deliver_notifications() -> DeliveryResult:
    """Send due notifications, alerts and reports (``alerts.delivery.deliver_due``)."""
    return deliver_due()


def perform_daily_digest(*, day: date) -> ReportResult:
    """Post the digest of local ``day`` through the outbox (``reports.service``)."""
    return send_daily_digest(day=day)


def perform_weekly_report(*, week: str) -> ReportResult:
    """Write and store the review of ISO ``week`` and post its summary through the outbox."""
    return send_weekly_review(week=week, post_to_slack=True)


def perform_fairness_review(*, month: str) -> ReportResult:
    """Write and store the fairness review of ``month`` (issue 17); it is not posted."""
    lines = send_fairness_review(month=month)
    return ReportResult("fairness", month, "written", lines)


# --- task functions (referenced by dotted path from schedules and chains) -----------------------


def run_sync(*, full: bool = False, chain: bool = True) -> JobResult:
    """Sync Salesforce unless a sync is already running, then enqueue the follow-up jobs.

    Returns ``skipped: already running`` at once when another process holds the "sync" lock.
    With ``chain`` (the scheduled path) a successful sync enqueues metrics → alerts, a failed
    one enqueues alerts only. Configuration errors propagate (django-q2 records the failure).
    """
    try:
        with holding_sync_lock() as heartbeat:
            ok, summary = perform_sync(full=full, progress=heartbeat)
    except LockBusy:
        log.info("sync skipped: %s", ALREADY_RUNNING)
        return _result("sync", SKIPPED, ALREADY_RUNNING)
    if chain:
        enqueue_follow_ups(sync_succeeded=ok)
    if not ok:
        log.error("%s", summary)
    return _result("sync", OK if ok else FAILED, summary)


def run_reconcile(
    *, chain: bool = True, wait_seconds: float = RECONCILE_LOCK_WAIT_SECONDS
) -> JobResult:
    """Mark deleted what Salesforce no longer returns (leads, tasks, events), under the sync
    lock (waiting up to ``wait_seconds`` for a running sync); when it marked anything, the
    metrics and alerts follow (``chain``), so the records leave every page and export."""
    try:
        with holding_sync_lock(wait_seconds=wait_seconds) as heartbeat:
            ok, summary, marked = perform_reconcile(progress=heartbeat)
    except LockBusy:
        log.info("reconcile skipped: %s", ALREADY_RUNNING)
        return _result("reconcile", SKIPPED, ALREADY_RUNNING)
    if chain and marked:
        enqueue_follow_ups(sync_succeeded=True)
    if not ok:
        log.error("%s", summary)
    return _result("reconcile", OK if ok else FAILED, summary)


def enqueue_follow_ups(*, sync_succeeded: bool) -> str:
    """Enqueue what runs after a sync; returns the django-q2 group (chain) or task id."""
    if sync_succeeded:
        return async_chain(
            [(f"{__name__}.run_compute_metrics",), (f"{__name__}.run_evaluate_alerts",)],
            # async_chain's defaults were bound when django_q was imported: pass the live ones.
            cached=Conf.CACHED,
            sync=Conf.SYNC,
        )
    return async_task(f"{__name__}.run_evaluate_alerts")


def _locked_job(job: str, lock_name: str, perform: Callable[[], Summarized]) -> JobResult:
    """Run ``perform`` under the lease ``lock_name``; the detail is its result's summary."""
    lock = NamedLock(lock_name, ttl=job_lock_ttl())
    if not lock.acquire():
        log.info("%s skipped: %s", job, ALREADY_RUNNING)
        return _result(job, SKIPPED, ALREADY_RUNNING)
    try:
        result = perform()
    finally:
        lock.release()
    return _result(job, OK, _detail(result))


def _detail(result: Summarized) -> str:
    return result.summary()[-DETAIL_CHARS:]


def run_compute_metrics() -> JobResult:
    """Refresh the stored facts and rollups; skipped if one already runs."""
    return _locked_job("compute_metrics", METRICS_LOCK, lambda: perform_compute_metrics())


def run_evaluate_alerts() -> JobResult:
    """Evaluate alert rules and deliver notifications; never overlapping."""
    return _locked_job("evaluate_alerts", ALERTS_LOCK, lambda: perform_evaluate_alerts())


def run_deliver_notifications() -> JobResult:
    """Send due notifications (retries after a Slack outage) without waiting for the next sync."""
    return _locked_job(
        "deliver_notifications", ALERTS_LOCK, lambda: perform_deliver_notifications()
    )


def run_pipeline(*, full: bool = False) -> list[JobResult]:
    """Run sync → metrics → alerts in this process (demo, tests); one result per step run.

    Same flow as the cluster's chain: metrics only after a successful sync, alerts after any
    sync that ran, nothing after a skipped one. A step that raises is logged and reported as
    ``failed`` and the next step still runs, as in a django-q2 chain.
    """
    results = [_guarded("sync", lambda: run_sync(full=full, chain=False))]
    if results[0]["status"] == SKIPPED:
        return results
    if results[0]["status"] == OK:
        results.append(_guarded("compute_metrics", run_compute_metrics))
    results.append(_guarded("evaluate_alerts", run_evaluate_alerts))
    return results


def _guarded(job: str, step: Callable[[], JobResult]) -> JobResult:
    try:
        return step()
    except Exception as exc:
        log.exception("%s failed", job)
        return _result(job, FAILED, f"{type(exc).__name__}: {exc}")


# --- reports at a local time ---------------------------------------------------------------------


@dataclass(frozen=True)
class LocalSlot:
    """A report time in the report time zone (optionally one weekday, Monday = 0).

    A tick is due when it falls in ``[slot, slot + window)`` local time, compared in UTC so a
    DST change inside the window cannot stretch or shrink it.
    """

    at: time
    weekday: int | None = None
    window: timedelta = timedelta(hours=3)

    def due(self, local_now: datetime) -> bool:
        if self.weekday is not None and local_now.weekday() != self.weekday:
            return False
        start = datetime.combine(local_now.date(), self.at, tzinfo=local_now.tzinfo)
        start_utc, now_utc = start.astimezone(UTC), local_now.astimezone(UTC)
        return start_utc <= now_utc < start_utc + self.window

    def describe(self) -> str:
        day = "daily" if self.weekday is None else _WEEKDAYS[self.weekday]
        return f"{day} {self.at:%H:%M}"


_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
DAILY_DIGEST_AT = LocalSlot(time(8, 0))
WEEKLY_REVIEW_AT = LocalSlot(time(9, 0), weekday=0)
FAIRNESS_REVIEW_AT = LocalSlot(time(9, 0))  # on the 1st of the month (run_weekly_report)


def report_timezone() -> str:
    """The report time zone of the routing configuration file (``[report] timezone``)."""
    return runtime.routing_config().report.timezone


def _local_now(now: datetime | None, timezone_name: str | None) -> datetime:
    tz = ZoneInfo(timezone_name or report_timezone())
    return (now or timezone.now()).astimezone(tz)


def _once_per_period(job: str, period: str, perform: Callable[[], ReportResult]) -> JobResult:
    """Run ``perform`` once for ``period``: the claim stays once the report is built and handed
    to the outbox (which retries the sending), and goes when building it raised."""
    claim = NamedLock(f"{job}:{period}", ttl=REPORT_CLAIM_TTL)
    if not claim.acquire():
        return _result(job, SKIPPED, f"already sent (or being sent) for {period}")
    try:
        result = perform()
    except BaseException:
        claim.release()  # the next tick inside the window tries again
        raise
    purge_expired_locks(prefix=f"{job}:")
    if not result.ok:
        # A permanent Slack error: recorded on the notification and shown on the Health page;
        # another tick would fail the same way (``deliver_notifications --retry-failed``).
        log.error("%s: %s", job, result.error)
    return _result(job, OK if result.ok else FAILED, _detail(result))


def run_daily_digest(*, now: datetime | None = None, timezone_name: str | None = None) -> JobResult:
    """Send the daily digest once per local day, at the first hourly tick from 08:00 local.

    ``now`` and ``timezone_name`` (default: the report time zone) exist for tests.
    """
    local_now = _local_now(now, timezone_name)
    if not DAILY_DIGEST_AT.due(local_now):
        return _result("daily_digest", SKIPPED, _not_due(DAILY_DIGEST_AT, local_now))
    yesterday = local_now.date() - timedelta(days=1)
    return _once_per_period(
        "daily_digest", local_now.date().isoformat(), lambda: perform_daily_digest(day=yesterday)
    )


def run_weekly_report(
    *, now: datetime | None = None, timezone_name: str | None = None
) -> JobResult:
    """Post the weekly review of the ISO week that just ended, Mondays from 09:00 local; on the
    1st of a month from 09:00 local, first write the month before's fairness review
    (``run_fairness_review``: the same schedule, its own claim; its failure is logged and does
    not stop the weekly review)."""
    local_now = _local_now(now, timezone_name)
    if FAIRNESS_REVIEW_AT.due(local_now) and local_now.day == 1:
        try:
            log.info("fairness_review: %s", run_fairness_review(local_now=local_now))
        except Exception:  # the weekly review must not depend on the monthly one
            log.exception("fairness_review failed")
    if not WEEKLY_REVIEW_AT.due(local_now):
        return _result("weekly_report", SKIPPED, _not_due(WEEKLY_REVIEW_AT, local_now))
    iso_week = week_of(local_now.date()).previous().label
    return _once_per_period("weekly_report", iso_week, lambda: perform_weekly_report(week=iso_week))


def run_fairness_review(*, local_now: datetime) -> JobResult:
    """Write the fairness review of the month before ``local_now``'s, once per month."""
    month = last_complete_month(local_now, str(local_now.tzinfo))
    return _once_per_period("fairness_review", month,
                            lambda: perform_fairness_review(month=month))


def _not_due(slot: LocalSlot, local_now: datetime) -> str:
    return f"not due (due {slot.describe()} {local_now.tzname()}; now {local_now:%a %H:%M})"


# --- the registry of schedules --------------------------------------------------------------------


