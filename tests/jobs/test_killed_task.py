"""A task killed mid-run (worker crash) is redelivered and ends in the same state, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from routing_health.jobs import lease
from routing_health.jobs import tasks as jobs
from routing_health.jobs.locks import NamedLock
from routing_health.models import Activity, Lead, OwnerChange, SyncRun
from tests.jobs.conftest import emulated_salesforce
from tests.orgs import build_tiny_org, tiny_config_text
from tests.sync.test_sync import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(settings, tmp_path, monkeypatch):
    tiny = build_tiny_org()
    path = tmp_path / "routing_health.toml"
    path.write_text(tiny_config_text(tiny))
    settings.ROUTING_HEALTH_CONFIG = str(path)
    with emulated_salesforce(tiny.org, settings, monkeypatch):
        yield tiny


def test_a_sync_killed_mid_run_is_redelivered_without_duplicate_rows(configured, monkeypatch):
    from routing_health.sync import service as sync_module
    monkeypatch.setattr(sync_module, "BULK_PAGE", 5)
    pages = 0

    def die_after_two_lead_pages(message: str) -> None:
        nonlocal pages
        if message.startswith("Lead: page"):
            pages += 1
            if pages == 2:
                raise SystemExit("worker killed")  # the process dies mid-run

    with pytest.raises(SystemExit):
        jobs.perform_sync(progress=die_after_two_lead_pages)
    # The crashed worker never released its lease on the sync lock.
    crashed = NamedLock(lease.SYNC_LOCK, ttl=timedelta(minutes=11), owner="crashed-worker")
    assert crashed.acquire(now=timezone.now() - timedelta(minutes=12))
    assert 0 < Lead.objects.count() < 12

    # django-q2 redelivers the task after Q_CLUSTER.retry (> timeout + lease): it runs to the end.
    result = jobs.run_sync(chain=False)
    assert result["status"] == "ok", result
    assert Lead.objects.count() == 12
    assert OwnerChange.objects.count() == 24
    assert Activity.objects.count() == 12
    after_retry = snapshot()

    # Delivered a third time (at-least-once): nothing changes, nothing is duplicated.
    assert jobs.run_sync(chain=False)["status"] == "ok"
    assert snapshot() == after_retry
    assert SyncRun.objects.filter(object_name="Lead", status="failed").count() == 1


def test_a_redelivered_alert_evaluation_sends_nothing_twice(configured):
    from routing_health.models import Notification

    tiny = configured
    an_hour_ago = timezone.now() - timedelta(hours=1)
    tiny.org.clock = lambda: an_hour_ago
    # Three leads routed to the fallback queue: routing_failures' min_count on a slow tier.
    for number in range(3):
        lost = tiny.org.insert(
            "Lead",
            {
                "LastName": f"Lost {number}",
                "Company": "Lost Co",
                "OwnerId": tiny.holding_queue,
                "Region__c": "AMER",
                "Rating": "Hot",
            },
        )
        tiny.org.change_owner(
            lost, tiny.fallback_queue, an_hour_ago + timedelta(minutes=1), tiny.integration_user
        )
    assert jobs.run_sync(chain=False)["status"] == "ok"
    assert jobs.run_compute_metrics()["status"] == "ok"
    first = jobs.run_evaluate_alerts()
    assert first["status"] == "ok", first
    created = Notification.objects.count()
    assert created >= 1, first  # the leads routed to the fallback queue fired an alert
    again = jobs.run_evaluate_alerts()  # the same task delivered again
    assert again["status"] == "ok"
    assert Notification.objects.count() == created
