"""Fixtures for the jobs layer: recorded stand-ins for the work, and django-q2 settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django_q.conf import Conf

from routing_health.jobs import tasks as jobs
from routing_health.sandbox.org import Org
from routing_health.sandbox.server import SalesforceEmulator
from tests.conftest import serve_salesforce


@dataclass(frozen=True)
class Done:
    """Stands in for a service's typed result: what the job records is its ``summary()``."""

    text: str
    ok: bool = True
    error: str = ""

    def summary(self) -> str:
        return self.text


class Recorder:
    """Stands in for the sync and the two services; records the order they ran in."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.sync_ok = True

    def perform_sync(self, *, full: bool = False, progress: Callable[[str], None] | None = None):
        self.calls.append("sync")
        if progress:
            progress("Lead: page 1")
        return self.sync_ok, "sync finished: Lead 3 upserted" if self.sync_ok else "sync FAILED"

    def perform_compute_metrics(self) -> Done:
        self.calls.append("compute_metrics")
        return Done("rollups refreshed")

    def perform_evaluate_alerts(self) -> Done:
        self.calls.append("evaluate_alerts")
        return Done("0 firing")


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    monkeypatch.setattr(jobs, "perform_sync", rec.perform_sync)
    monkeypatch.setattr(jobs, "perform_compute_metrics", rec.perform_compute_metrics)
    monkeypatch.setattr(jobs, "perform_evaluate_alerts", rec.perform_evaluate_alerts)
    return rec


@pytest.fixture
def q_conf(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Patch django-q2's ``Conf``: it copies ``settings.Q_CLUSTER`` once, at import time, so
    ``override_settings`` alone does not reach the broker, the worker or ``async_task``."""

    def patch(**values: Any) -> None:
        for key, value in values.items():
            monkeypatch.setattr(Conf, key, value)

    return patch


@contextmanager
def emulated_salesforce(
    org: Org, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SalesforceEmulator]:
    """``org`` served by the HTTPS Salesforce emulator, with ``settings.SALESFORCE`` (and the
    CA bundle) pointing the jobs at it for as long as the block runs."""
    with serve_salesforce(org, monkeypatch) as emulator:
        settings.SALESFORCE = {
            **settings.SALESFORCE,
            "instance_url": emulator.url,
            "access_token": emulator.access_token,
            "bulk_poll_seconds": 0.01,
        }
        yield emulator
