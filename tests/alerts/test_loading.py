"""``load_alert_data``: which stored leads an alert evaluation sees."""

from __future__ import annotations

from datetime import timedelta

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
