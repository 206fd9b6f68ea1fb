"""Owner history rows whose DataType is null (spec section 3: use the Id row, never count a
change twice), through the Bulk backfill and the REST increment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing_health.models import OwnerChange
from routing_health.sync.service import sync_salesforce
from tests.orgs import T0

pytestmark = pytest.mark.django_db

OBJECTS = ["User", "Group", "Lead", "LeadHistory"]


def test_queue_names_of_fifteen_letters_are_not_taken_for_owner_ids(sf_client, config, tiny):
    org = tiny.org
    org.owner_history_data_type = False  # this org writes owner rows with DataType null
    # Names of 15 letters, shaped like 15-character Ids.
    emea = org.add_queue("EMEAInboundLead")
    apac = org.add_queue("APACInboundLead")
    leads = sorted(r["Id"] for r in org.records("Lead"))

    def reroute(batch: list[str], day: int) -> None:
        at = T0 + timedelta(days=day)
        org.clock = lambda: at + timedelta(hours=1)
        for lead in batch:
            org.change_owner(lead, emea, at, tiny.integration_user)
            org.change_owner(lead, apac, at + timedelta(hours=1), tiny.integration_user)

    reroute(leads[:6], day=1)
    backfill = sync_salesforce(client=sf_client, config=config, objects=OBJECTS)
    assert backfill.ok, backfill.summary()
    history = next(o for o in backfill.objects if o.object_name == "LeadHistory")
    assert (history.mode, history.skipped) == ("bulk", 0)
    # 12 leads x 2 changes with DataType 'EntityId', and 6 x 2 with DataType null.
    assert OwnerChange.objects.count() == 24 + 12

    reroute(leads[6:], day=2)
    increment = sync_salesforce(client=sf_client, config=config, objects=OBJECTS)
    assert increment.ok, increment.summary()
    history = next(o for o in increment.objects if o.object_name == "LeadHistory")
    assert (history.mode, history.skipped) == ("rest", 0)

    assert OwnerChange.objects.count() == 24 + 24
    rerouted = OwnerChange.objects.filter(created_at__gte=T0 + timedelta(days=1))
    assert sorted(rerouted.values_list("new_owner_id", flat=True)) == [emea] * 12 + [apac] * 12
    assert set(rerouted.exclude(new_owner_id=emea).values_list("old_owner_id", flat=True)) == {
        emea
    }
