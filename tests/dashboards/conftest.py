"""Fixtures for the dashboard tests: users, signed-in clients, leads and sync runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from routing_health.lib.sfid import to_18
from routing_health.models import Lead, SyncRun

PASSWORD = "correct horse battery staple"
_ids = count(1)


def lead_id(n: int) -> str:
    return to_18(f"00Q{n:012d}")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The login throttle counts in the cache: no count leaks between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def routing_config(settings: Any, tmp_path: Path) -> Path:
    """A valid (empty, so all-default: UTC) routing configuration file."""
    path = tmp_path / "routing_health.toml"
    path.write_text("", encoding="utf-8")
    settings.ROUTING_HEALTH_CONFIG = str(path)
    return path


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("ana", password=PASSWORD)


@pytest.fixture
def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


@pytest.fixture
def make_lead(db: None) -> Callable[..., Lead]:
    def make(**fields: Any) -> Lead:
        n = next(_ids)
        created = fields.pop("created_at", timezone.now() - timedelta(days=1))
        values: dict[str, Any] = {
            "id": lead_id(n),
            "name": f"Lead {n}",
            "company": f"Company {n}",
            "created_at": created,
            "system_modstamp": created,
            "owner_id": to_18("005000000000001"),
            "status": "Open - Not Contacted",
            "region": "AMER",
            "tier": "hot",
        }
        values.update(fields)
        return Lead.objects.create(**values)

    return make


@pytest.fixture
def make_run(db: None) -> Callable[..., SyncRun]:
    def make(
        *, finished_at: datetime | None = None, status: str = "succeeded", **fields: Any
    ) -> SyncRun:
        finished = finished_at or timezone.now()
        values: dict[str, Any] = {
            "object_name": "Lead",
            "mode": "rest",
            "status": status,
            "started_at": finished - timedelta(seconds=12),
            "finished_at": finished,
        }
        values.update(fields)
        return SyncRun.objects.create(**values)

    return make
