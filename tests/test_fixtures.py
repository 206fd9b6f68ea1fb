"""The shared ``synced_org`` fixture (tests/conftest.py): synced once per session, loaded per test.

It must give each test exactly what a sync of the demo org from the emulator writes, and what a
test writes must not reach the next one.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models

from routing_health.models import Lead, SyncRun
from routing_health.sandbox.serve import build_org
from tests.conftest import NOW

# Wall-clock columns: when the sync ran, not what it read. They differ between any two syncs.
RUN_TIMES = {
    "SyncRun": {"started_at", "finished_at"},
    "SyncState": {"last_success_at"},
    "KillSwitchChange": {"observed_at"},  # when the sync read the switch (issue 16)
}


def _stored() -> dict[str, list[tuple[Any, ...]]]:
    """Every project table's rows, without generated keys, ``auto_now`` stamps and run times."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_app_config("routing_health").get_models():
        skip = RUN_TIMES.get(model.__name__, set())
        names = [
            field.attname
            for field in model._meta.concrete_fields
            if not isinstance(field, models.AutoField | models.BigAutoField)
            and not getattr(field, "auto_now", False)
            and not getattr(field, "auto_now_add", False)
            and field.name not in skip
        ]
        rows = sorted(model._base_manager.values_list(*names), key=repr)
        if rows:
            found[model.__name__] = rows
    return found


def test_the_synced_org_holds_exactly_what_a_fresh_sync_of_the_demo_org_writes(
    synced_org: Any, sync_org: Any
) -> None:
    loaded = _stored()
    for model in apps.get_app_config("routing_health").get_models():
        model._base_manager.all().delete()
    org, synthetic = build_org(leads=400, seed=11, now=NOW, scenario="demo", days=21)

    sync_org(org, synthetic.config_toml)

    fresh = _stored()
    assert sorted(loaded) == sorted(fresh)
    for name in fresh:
        assert loaded[name] == fresh[name], name
    assert Lead.objects.count() == 400


@pytest.mark.parametrize("turn", [1, 2])
def test_what_one_test_writes_to_the_synced_org_is_gone_in_the_next(
    synced_org: Any, turn: int
) -> None:
    assert not Lead.objects.filter(name="written by a test").exists()
    assert not SyncRun.objects.filter(error="written by a test").exists()
    assert Lead.objects.count() == 400

    Lead.objects.filter(pk=Lead.objects.order_by("pk").first().pk).update(name="written by a test")
    SyncRun.objects.update(error="written by a test")
    Lead.objects.order_by("-pk").first().delete()
