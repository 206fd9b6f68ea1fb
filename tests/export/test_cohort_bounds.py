"""Cohort windows are half-open in UTC on every database (spec section 4).

``[start's local midnight, the local midnight after end)``: a lead created exactly at a local
midnight belongs to the day that midnight starts. The org below is synced from the HTTPS
emulator; its report timezone is America/New_York, whose clocks fall back on 2026-11-01
(a 25-hour local day: 04:00Z to 05:00Z the next day).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from routing_health.sandbox.org import Org

MS = timedelta(milliseconds=1)  # Salesforce's finest CreatedDate step
OCT31_MIDNIGHT = datetime(2026, 10, 31, 4, tzinfo=UTC)  # 00:00 EDT
NOV1_MIDNIGHT = datetime(2026, 11, 1, 4, tzinfo=UTC)  # 00:00 EDT, the DST-change day
NOV2_MIDNIGHT = datetime(2026, 11, 2, 5, tzinfo=UTC)  # 00:00 EST, 25 hours later
NOV3_MIDNIGHT = datetime(2026, 11, 3, 5, tzinfo=UTC)  # 00:00 EST
AS_OF = "2026-11-05T12:00:00Z"

# Each lead's CreatedDate and the local day it belongs to.
LEADS = {
    "exactly Oct 31 midnight": (OCT31_MIDNIGHT, "2026-10-31"),
    "one ms before Nov 1": (NOV1_MIDNIGHT - MS, "2026-10-31"),
    "exactly Nov 1 midnight": (NOV1_MIDNIGHT, "2026-11-01"),
    "01:30 EDT": (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "2026-11-01"),
    "01:30 EST, the repeated hour": (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "2026-11-01"),
    "one ms before Nov 2": (NOV2_MIDNIGHT - MS, "2026-11-01"),
    "exactly Nov 2 midnight": (NOV2_MIDNIGHT, "2026-11-02"),
    "exactly Nov 3 midnight": (NOV3_MIDNIGHT, "2026-11-03"),
}


@dataclass
class BoundaryOrg:
    org: Org
    config_text: str


def build_boundary_org() -> BoundaryOrg:
    """A lead at each boundary of ``LEADS``, routed to a rep a minute after creation."""
    org = Org()
    org.clock = lambda: OCT31_MIDNIGHT - timedelta(days=1)
    org.add_field("Lead", "Region__c", "picklist")
    integration = org.insert("User", {"Name": "Integration User", "IsActive": True})
    rep = org.insert("User", {"Name": "Rep", "IsActive": True})
    holding = org.insert("Group", {"Name": "Holding", "DeveloperName": "Holding", "Type": "Queue"})
    for name, (created, _) in LEADS.items():
        org.clock = lambda at=created: at
        lead = org.insert(
            "Lead",
            {
                "LastName": name,
                "Company": name,
                "OwnerId": holding,
                "Status": "Open - Not Contacted",
                "Region__c": "AMER",
                "CreatedDate": created,
            },
        )
        org.change_owner(lead, rep, created + timedelta(minutes=1), integration)
    org.clock = lambda: datetime(2026, 11, 5, 12, tzinfo=UTC)
    config_text = f"""
[lead_fields]
region = "Region__c"
[owners]
holding = ["{integration}", "{holding}"]
[report]
timezone = "America/New_York"
"""
    return BoundaryOrg(org, config_text)


@pytest.fixture
def boundary_org(sync_org) -> BoundaryOrg:
    built = build_boundary_org()
    sync_org(built.org, built.config_text)
    return built


def export(start: str, end: str, by: str = "") -> dict:
    out = io.StringIO()
    args = ["--start", start, "--end", end, "--as-of", AS_OF]
    call_command("export_metrics", *args, *(["--by", by] if by else []), stdout=out)
    return json.loads(out.getvalue())


def expected_leads(start: str, end: str) -> int:
    return sum(start <= day <= end for _, day in LEADS.values())


def test_a_lead_created_exactly_at_the_start_midnight_is_in_the_export(boundary_org):
    assert expected_leads("2026-11-02", "2026-11-02") == 1
    assert export("2026-11-02", "2026-11-02")["total"]["leads"] == 1


def test_the_25_hour_dst_day_counts_its_first_and_last_instants_but_not_the_next_midnight(
    boundary_org,
):
    assert expected_leads("2026-11-01", "2026-11-01") == 4
    assert export("2026-11-01", "2026-11-01")["total"]["leads"] == 4


def test_a_lead_one_millisecond_before_a_midnight_belongs_to_the_day_that_ends(boundary_org):
    assert expected_leads("2026-10-31", "2026-10-31") == 2
    assert export("2026-10-31", "2026-10-31")["total"]["leads"] == 2


def test_each_boundary_lead_is_counted_on_exactly_one_day(boundary_org):
    document = export("2026-10-31", "2026-11-03", by="day")
    per_day = {row["day"]: row["leads"] for row in document["rows"]}
    assert per_day == {"2026-10-31": 2, "2026-11-01": 4, "2026-11-02": 1, "2026-11-03": 1}
    assert document["total"]["leads"] == len(LEADS)
