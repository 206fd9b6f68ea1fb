"""Account and the Lead's Email/Website (issue 17 item 3): synced through the emulator, first
through Bulk API 2.0 (the backfill), then incrementally through REST."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from routing_health.config import DuplicatesConfig
from routing_health.models import Account, Lead
from routing_health.sync.service import sync_salesforce
from tests.orgs import T0

pytestmark = pytest.mark.django_db


def test_accounts_sync_with_the_configured_domain_field_then_incrementally(
    sf_client, config, tiny
):
    org = tiny.org
    org.add_field("Account", "Domain__c", "string")
    org.clock = lambda: T0 + timedelta(days=1)
    acme = org.insert("Account", {"Name": "Acme, Inc.", "Website": "https://www.acme.com/",
                                  "Domain__c": "acme.com", "OwnerId": tiny.reps[0]})
    plain = org.insert("Account", {"Name": "Globex", "OwnerId": tiny.reps[1]})
    with_domain = replace(config, duplicates=DuplicatesConfig(account_domain_field="Domain__c"))

    first = sync_salesforce(client=sf_client, config=with_domain, objects=["Account"])
    assert first.ok, first.summary()
    assert first.objects[0].mode == "bulk"
    rows = {a.id: (a.name, a.website, a.domain, a.owner_id, a.is_deleted)
            for a in Account.objects.all()}
    assert rows == {
        acme: ("Acme, Inc.", "https://www.acme.com/", "acme.com", tiny.reps[0], False),
        plain: ("Globex", "", "", tiny.reps[1], False),
    }

    org.clock = lambda: T0 + timedelta(days=2)
    org.update("Account", plain, OwnerId=tiny.reps[2], Website="globex.io")
    org.delete("Account", acme)
    second = sync_salesforce(client=sf_client, config=with_domain, objects=["Account"])
    assert second.ok, second.summary()
    assert second.objects[0].mode == "rest"
    assert Account.objects.get(id=plain).owner_id == tiny.reps[2]
    assert Account.objects.get(id=plain).website == "globex.io"
    assert Account.objects.get(id=acme).is_deleted is True


def test_a_lead_keeps_its_email_and_website(sf_client, config, tiny):
    org = tiny.org
    lead = org.insert("Lead", {"LastName": "Ann", "Company": "Acme", "Email": "ann@acme.com",
                               "Website": "acme.com", "OwnerId": tiny.reps[0],
                               "Status": "Open - Not Contacted"})
    assert sync_salesforce(client=sf_client, config=config, objects=["Lead"]).ok
    stored = Lead.objects.get(id=lead)
    assert (stored.email, stored.website, stored.company) == ("ann@acme.com", "acme.com", "Acme")
