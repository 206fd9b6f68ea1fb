"""``load_alert_data``: which stored leads an alert evaluation sees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing_health.alerts.loading import load_alert_data
from routing_health.alerts.rules import largest_window_hours
from tests.alerts.conftest import T0, WORKING, DbOrg


def test_a_queued_lead_created_exactly_at_the_start_of_the_widest_window_is_loaded(
    db_org: DbOrg,
):
    # The main load reads [as_of - widest window, as_of]; older leads come by Id only when a
    # rule may need them. The lead at the window's first instant must be in the main load.
    start = T0 - timedelta(hours=largest_window_hours(db_org.config))
    at_start = db_org.lead(created_at=start, owner=WORKING)
    at_as_of = db_org.lead(created_at=T0, owner=WORKING)
    after = db_org.lead(created_at=T0 + timedelta(microseconds=1), owner=WORKING)
    loaded = set(load_alert_data(db_org.config, T0).facts["lead_id"].astype(str))
    assert {at_start, at_as_of} <= loaded
    assert after not in loaded


def test_inactive_owner_counts_leads_that_reached_a_deactivated_user_in_the_last_24_hours(
    db_org: DbOrg,
):
    from routing_health.alerts.evaluate import evaluate_facts
    from routing_health.lib.sfid import to_18
    from routing_health.models import SalesforceUser

    gone = to_18("005000000000009")
    SalesforceUser.objects.create(id=gone, name="Henry Gone", is_active=False, system_modstamp=T0)
    # Created 3 days ago, moved to the deactivated user 2 h ago: it counts (reached in window).
    moved = db_org.lead(created_at=T0 - timedelta(days=3), owner=gone,
                        owner_changes=((T0 - timedelta(hours=2), gone),))
    # Created 2 h ago and owned by them from the start: counts.
    born = db_org.lead(created_at=T0 - timedelta(hours=2), owner=gone)
    # Moved to them 30 h ago: outside the window.
    db_org.lead(created_at=T0 - timedelta(days=2), owner=gone,
                owner_changes=((T0 - timedelta(hours=30), gone),))
    db_org.lead(created_at=T0 - timedelta(hours=1))  # an active rep's lead
    data = load_alert_data(db_org.config, T0)
    findings = evaluate_facts(data.facts, db_org.config, T0, labels=data.labels,
                              rules=["inactive_owner"]).findings
    assert [(f.failure_reason, f.value, set(f.lead_ids)) for f in findings] == [
        ("Henry Gone", 2.0, {moved, born})]


@pytest.mark.parametrize("by_id", [20_000, 0], ids=["partners-by-id", "whole-window"])
def test_duplicate_outreach_finds_partners_older_than_the_rule_window(
    db_org: DbOrg, monkeypatch: pytest.MonkeyPatch, by_id: int
):
    """The partner is loaded by Id, or, past ``PARTNERS_BY_ID`` partners, with the whole
    duplicates window: the same finding either way."""
    from routing_health.alerts.evaluate import evaluate_facts
    from routing_health.lib.sfid import to_18

    other_rep = to_18("005000000000077")
    # Another rep got Northwind 20 days ago (outside the 7-day window, inside the 30-day
    # duplicates window); our rep got it twice in the last hours: those two are duplicate
    # outreach because of the old lead, which the evaluation must load to see.
    monkeypatch.setattr("routing_health.alerts.loading.PARTNERS_BY_ID", by_id)
    db_org.lead(created_at=T0 - timedelta(days=20), owner=other_rep, company="Northwind Inc.")
    first = db_org.lead(created_at=T0 - timedelta(hours=2), company="Northwind")
    second = db_org.lead(created_at=T0 - timedelta(hours=1), company="NORTHWIND LLC")
    data = load_alert_data(db_org.config, T0)
    [finding] = evaluate_facts(data.facts, db_org.config, T0, labels=data.labels,
                               rules=["duplicate_outreach"]).findings
    assert (finding.value, finding.lead_ids, finding.reasons) == (
        2.0, (first, second), (("northwind", 2),))


@pytest.mark.parametrize("hours_before", [0, 30], ids=["compute-at-T", "compute-30h-before"])
def test_the_stored_facts_give_the_raw_alert_data(synced_org, caplog, hours_before):
    """After a compute, the evaluation reads the stored facts (issue 18), the leads that
    changed since recomputed: the same facts, labels and owner state as from the raw rows
    before any compute. The demo org has a deactivated rep with leads."""
    import logging

    import pandas as pd

    from routing_health.models import OwnerChange
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW
    from tests.export.test_export_single_pass import comparable

    config = runtime.routing_config()
    raw = load_alert_data(config, NOW)
    assert raw.facts["owner_inactive"].any()  # the owner-state columns are exercised
    assert raw.facts["duplicate_candidate"].astype(bool).any()  # and the duplicates columns
    assert OwnerChange.objects.exists()
    compute_metrics(config=config, as_of=NOW - timedelta(hours=hours_before), full=True)
    with caplog.at_level(logging.INFO, logger="routing_health.rollups.stored"):
        stored = load_alert_data(config, NOW)
    assert "stored facts as of" in caplog.text
    pd.testing.assert_frame_equal(comparable(stored.facts), comparable(raw.facts))
    shown = raw.facts["lead_id"].astype(str)  # the leads a finding can name
    assert (stored.labels.reindex(shown).to_numpy() == raw.labels.reindex(shown).to_numpy()).all()
    assert "stored match rows as of" in caplog.text  # the partners: what matching reads only
    assert stored.history_start == raw.history_start


def test_a_partner_synced_after_the_compute_is_matched(synced_org, caplog):
    """A lead of a watched lead's company, older than the rule window and routed to another
    rep, arrives after the compute: read from the stored facts, the watched lead is duplicate
    outreach, as from the raw rows."""
    import logging

    import pandas as pd

    from routing_health.models import Lead, LeadFact, SalesforceUser
    from routing_health.rollups.service import compute_metrics
    from routing_health.salesforce import runtime
    from tests.conftest import NOW
    from tests.export.test_export_single_pass import comparable

    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW - timedelta(hours=30), full=True)
    watched = (LeadFact.objects.filter(created_at__gte=NOW - timedelta(days=5))
               .exclude(first_rep="").order_by("lead_id").first())
    lead = Lead.objects.get(id=watched.lead_id)
    other = SalesforceUser.objects.exclude(id=watched.first_rep).filter(
        id__in=LeadFact.objects.values("first_rep")).order_by("id").first()
    Lead.objects.create(id="00Q000000000PRT1AA", name="Partner", company=lead.company,
                        created_at=NOW - timedelta(days=9), system_modstamp=NOW,
                        owner_id=other.id, status=lead.status, region=lead.region,
                        tier=lead.tier)
    with caplog.at_level(logging.INFO, logger="routing_health.rollups.stored"):
        stored = load_alert_data(config, NOW)
    assert "stored match rows as of" in caplog.text
    ids = stored.facts["lead_id"].astype(str)
    assert bool(stored.facts.loc[(ids == lead.id).to_numpy(), "duplicate_outreach"].iloc[0])
    from routing_health.models import MetricsState

    MetricsState.objects.all().delete()  # nothing stored: the raw rows
    raw = load_alert_data(config, NOW)
    pd.testing.assert_frame_equal(comparable(stored.facts), comparable(raw.facts))
