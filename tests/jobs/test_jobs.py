from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django_q.models import Task

from routing_health.jobs import lease
from routing_health.jobs import tasks as jobs
from routing_health.jobs.locks import LockLost, NamedLock
from routing_health.models import JobLock, Lead
from tests.jobs.conftest import Done, emulated_salesforce
from tests.orgs import build_tiny_org, tiny_config

pytestmark = pytest.mark.django_db


# --- sync: one at a time ----------------------------------------------------------------------


def test_a_sync_attempt_while_another_holds_the_lock_is_skipped(recorder):
    NamedLock(lease.SYNC_LOCK, ttl=timedelta(minutes=5), owner="other-worker").acquire()
    result = jobs.run_sync(chain=False)
    assert result == {"job": "sync", "status": "skipped", "detail": "already running"}
    assert recorder.calls == []


@pytest.mark.django_db(transaction=True)
def test_overlapping_sync_attempts_run_the_sync_once(monkeypatch):
    calls: list[str] = []
    started, finish = threading.Event(), threading.Event()

    def slow_sync(*, full=False, progress=None):
        calls.append("sync")
        started.set()
        finish.wait(10)
        return True, "sync finished"

    monkeypatch.setattr(jobs, "perform_sync", slow_sync)
    first: list[jobs.JobResult] = []

    def first_run() -> None:
        try:
            first.append(jobs.run_sync(chain=False))
        finally:
            connection.close()

    thread = threading.Thread(target=first_run)
    thread.start()
    try:
        assert started.wait(10)
        second = jobs.run_sync(chain=False)
    finally:
        finish.set()
        thread.join(10)
    assert second["status"] == "skipped" and second["detail"] == "already running"
    assert first == [{"job": "sync", "status": "ok", "detail": "sync finished"}]
    assert calls == ["sync"]
    assert not JobLock.objects.exists()  # released, so the next scheduled run can go


def test_the_sync_lock_is_released_when_the_sync_raises(monkeypatch):
    def broken_sync(**kwargs):
        raise RuntimeError("config file missing")

    monkeypatch.setattr(jobs, "perform_sync", broken_sync)
    with pytest.raises(RuntimeError):
        jobs.run_sync(chain=False)
    assert not JobLock.objects.filter(name=lease.SYNC_LOCK).exists()


def test_the_sync_heartbeat_refreshes_the_lease_and_stops_a_sync_that_lost_it():
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    lock = NamedLock(lease.SYNC_LOCK, ttl=timedelta(minutes=1), owner="slow")
    lock.acquire(now=t0)
    heartbeat = lease.LeaseHeartbeat(lock, every_seconds=0)
    heartbeat("Lead: page 1")
    assert JobLock.objects.get().expires_at > t0 + timedelta(minutes=1)
    JobLock.objects.update(owner="someone-else")  # our lease expired and was taken over
    with pytest.raises(LockLost):
        heartbeat("Lead: page 2")


def test_perform_sync_uses_the_configured_client_and_routing_config(monkeypatch):
    client, config, seen = object(), object(), {}

    class Outcome:
        ok = True

        def summary(self, used_client):
            assert used_client is client
            return "sync finished: Lead 0 upserted"

    def fake_sync_salesforce(**kwargs):
        seen.update(kwargs)
        return Outcome()

    monkeypatch.setattr(jobs.runtime, "salesforce_client", lambda: client)
    monkeypatch.setattr(jobs.runtime, "routing_config", lambda: config)
    monkeypatch.setattr(jobs, "sync_salesforce", fake_sync_salesforce)
    assert jobs.perform_sync() == (True, "sync finished: Lead 0 upserted")
    assert (seen["client"], seen["config"], seen["full"]) == (client, config, False)


# --- the chain: sync → metrics → alerts ---------------------------------------------------------


def test_the_pipeline_runs_sync_then_metrics_then_alerts(recorder):
    results = jobs.run_pipeline()
    assert recorder.calls == ["sync", "compute_metrics", "evaluate_alerts"]
    assert [(r["job"], r["status"]) for r in results] == [
        ("sync", "ok"),
        ("compute_metrics", "ok"),
        ("evaluate_alerts", "ok"),
    ]


def test_after_a_failed_sync_the_pipeline_evaluates_alerts_but_not_metrics(recorder):
    recorder.sync_ok = False
    results = jobs.run_pipeline()
    assert recorder.calls == ["sync", "evaluate_alerts"]  # so sync_stale can fire
    assert results[0]["status"] == "failed"


def test_after_a_skipped_sync_the_pipeline_stops(recorder):
    NamedLock(lease.SYNC_LOCK, ttl=timedelta(minutes=5)).acquire()
    assert [r["status"] for r in jobs.run_pipeline()] == ["skipped"]
    assert recorder.calls == []


def test_a_step_that_raises_is_reported_and_alerts_still_run(recorder, monkeypatch):
    def broken_metrics():
        raise RuntimeError("rollup table missing")

    monkeypatch.setattr(jobs, "perform_compute_metrics", broken_metrics)
    results = jobs.run_pipeline()
    assert results[1] == {
        "job": "compute_metrics",
        "status": "failed",
        "detail": "RuntimeError: rollup table missing",
    }
    assert recorder.calls == ["sync", "evaluate_alerts"]


def test_the_scheduled_sync_chains_metrics_then_alerts_through_django_q(recorder, q_conf):
    q_conf(SYNC=True)  # django-q2 runs each enqueued task in-process, through worker and monitor
    result = jobs.run_sync()
    assert result["status"] == "ok"
    assert recorder.calls == ["sync", "compute_metrics", "evaluate_alerts"]
    tasks = Task.objects.order_by("started")
    assert [(t.func, t.success) for t in tasks] == [
        ("routing_health.jobs.tasks.run_compute_metrics", True),
        ("routing_health.jobs.tasks.run_evaluate_alerts", True),
    ]
    assert len({t.group for t in tasks}) == 1  # one chain
    assert tasks[1].result == {"job": "evaluate_alerts", "status": "ok", "detail": "0 firing"}


def test_a_failed_scheduled_sync_enqueues_alert_evaluation_only(recorder, q_conf):
    q_conf(SYNC=True)
    recorder.sync_ok = False
    assert jobs.run_sync()["status"] == "failed"
    assert recorder.calls == ["sync", "evaluate_alerts"]


# --- alerts: one evaluation at a time ------------------------------------------------------------


def test_a_second_alert_evaluation_while_one_runs_is_skipped(recorder):
    NamedLock(jobs.ALERTS_LOCK, ttl=timedelta(minutes=5)).acquire()
    assert jobs.run_evaluate_alerts()["status"] == "skipped"
    assert recorder.calls == []


# --- reports at a local time --------------------------------------------------------------------

NY = "America/New_York"


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    sent: list[str] = []

    def digest(*, day: date) -> Done:
        sent.append("digest")
        return Done("digest posted")

    def weekly(*, week: str) -> Done:
        sent.append(f"weekly {week}")
        return Done("review posted")

    monkeypatch.setattr(jobs, "perform_daily_digest", digest)
    monkeypatch.setattr(jobs, "perform_weekly_report", weekly)
    return sent


@pytest.mark.parametrize(
    "utc_tick",
    [
        datetime(2026, 1, 5, 13, 0, tzinfo=UTC),  # EST: 08:00 local
        datetime(2026, 7, 6, 12, 0, tzinfo=UTC),  # EDT: 08:00 local
    ],
)
def test_the_daily_digest_goes_out_at_8_local_in_winter_and_summer(sent, utc_tick):
    assert jobs.run_daily_digest(now=utc_tick, timezone_name=NY)["status"] == "ok"
    assert jobs.run_daily_digest(now=utc_tick - timedelta(hours=1), timezone_name=NY)[
        "detail"
    ].startswith("not due")
    assert sent == ["digest"]


def test_the_daily_digest_is_sent_once_per_local_day(sent):
    eight = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    for hours in (0, 1, 2):
        jobs.run_daily_digest(now=eight + timedelta(hours=hours), timezone_name=NY)
    assert sent == ["digest"]
    assert jobs.run_daily_digest(now=eight + timedelta(days=1), timezone_name=NY)["status"] == "ok"
    assert sent == ["digest", "digest"]


def test_a_digest_missed_at_8_is_sent_later_in_the_window_but_not_after_it(sent):
    ten = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    assert jobs.run_daily_digest(now=ten, timezone_name=NY)["status"] == "ok"
    eleven_next_day = datetime(2026, 1, 6, 16, 0, tzinfo=UTC)
    assert jobs.run_daily_digest(now=eleven_next_day, timezone_name=NY)["status"] == "skipped"
    assert sent == ["digest"]


def test_a_digest_that_failed_is_retried_at_the_next_tick(monkeypatch):
    attempts: list[int] = []

    def flaky(*, day: date) -> Done:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("slack down")
        return Done("digest posted")

    monkeypatch.setattr(jobs, "perform_daily_digest", flaky)
    eight = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        jobs.run_daily_digest(now=eight, timezone_name=NY)
    nine = eight + timedelta(hours=1)
    assert jobs.run_daily_digest(now=nine, timezone_name=NY)["status"] == "ok"


def test_the_digest_uses_the_report_timezone_of_the_routing_config(sent, monkeypatch):
    monkeypatch.setattr(jobs, "report_timezone", lambda: "Asia/Kolkata")  # UTC+05:30
    assert jobs.run_daily_digest(now=datetime(2026, 1, 5, 3, 0, tzinfo=UTC))["status"] == "ok"
    assert sent == ["digest"]  # 08:30 local, the first hourly tick inside the window


def test_the_weekly_review_of_the_past_iso_week_goes_out_on_monday_at_9_local(sent):
    monday_nine = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert jobs.run_weekly_report(now=monday_nine, timezone_name=NY)["status"] == "ok"
    assert jobs.run_weekly_report(now=monday_nine + timedelta(hours=1), timezone_name=NY)[
        "status"
    ] == ("skipped")
    tuesday_nine = monday_nine + timedelta(days=1)
    assert jobs.run_weekly_report(now=tuesday_nine, timezone_name=NY)["status"] == "skipped"
    assert sent == ["weekly 2026-W47"]


# --- the real sync, against the local Salesforce emulator --------------------------------------


def test_run_sync_pulls_the_configured_org(monkeypatch, settings):
    tiny = build_tiny_org(leads=4)
    with emulated_salesforce(tiny.org, settings, monkeypatch):
        monkeypatch.setattr(jobs.runtime, "routing_config", lambda: tiny_config(tiny))
        result = jobs.run_sync(chain=False)
    assert result["status"] == "ok", result["detail"]
    assert result["detail"].startswith("sync finished")
    assert Lead.objects.count() == 4
    assert not JobLock.objects.exists()
