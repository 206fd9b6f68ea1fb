"""Jobs call services, not management commands: each task gets a typed result and records its
summary; nothing runs a command by name."""

from __future__ import annotations

import ast
import inspect
import re

import pytest
import time_machine
from django.core import management

from routing_health.jobs import tasks as jobs
from routing_health.models import AlertIncident, Lead, LeadFact, MetricsState, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any management command run by name fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a job called the management command {args[:1]}")

    monkeypatch.setattr(management, "call_command", refuse)


def test_the_tasks_module_imports_no_management_command_machinery():
    tree = ast.parse(inspect.getsource(jobs))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
         for alias in node.names}
    assert not any(name and name.startswith("django.core.management") for name in imported)
    assert not hasattr(jobs, "call_command") and not hasattr(jobs, "get_commands")


def test_run_compute_metrics_returns_the_figures_of_the_service(synced_org, no_commands):
    result = jobs.run_compute_metrics()

    assert result["job"] == "compute_metrics" and result["status"] == "ok"
    found = re.fullmatch(
        r"compute_metrics full: (\d+) leads recomputed, (\d+) rollup row\(s\) written as of "
        r"(\S+) in \d+\.\d\ds",
        result["detail"],
    )
    assert found, result["detail"]
    # The demo org has 400 leads, one of them deleted in Salesforce (tests/conftest.py DEMO_ORG).
    assert int(found[1]) == LeadFact.objects.count() == 399 == Lead.objects.filter(
        is_deleted=False).count()
    assert found[3] == MetricsState.objects.get().as_of.isoformat()


def test_run_evaluate_alerts_records_what_the_evaluation_did(synced_org, settings, no_commands):
    settings.SLACK_BOT_TOKEN = settings.SLACK_CHANNEL = None

    # At the demo org's own "now", where its incident is fresh (the sync rows are dated later,
    # so sync_stale stays quiet).
    with time_machine.travel(synced_org.facts["now"], tick=False):
        result = jobs.run_evaluate_alerts()

    firing = AlertIncident.objects.filter(state="firing").count()
    pending = AlertIncident.objects.filter(state="pending").count()
    kept = Notification.objects.filter(status="kept").count()
    assert firing > 0 and pending > 0 and kept == firing  # Slack not configured: each kept
    assert result == {
        "job": "evaluate_alerts",
        "status": "ok",
        "detail": f"incidents fired {firing}, reminded 0, resolved 0, held 0, snoozed 0, "
                  f"pending (waiting out the rule's `for`) {pending}; "
                  f"notifications: sent 0, failed 0, queued 0, kept {kept}",
    }


def test_run_deliver_notifications_records_the_delivery(db, settings, no_commands):
    settings.SLACK_BOT_TOKEN = settings.SLACK_CHANNEL = None
    assert jobs.run_deliver_notifications() == {
        "job": "deliver_notifications",
        "status": "ok",
        "detail": "notifications: sent 0, failed 0, queued 0, kept 0",
    }
