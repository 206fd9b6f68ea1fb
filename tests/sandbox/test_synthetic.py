"""The synthetic Salesforce org: determinism, Salesforce shapes, invariants, the demo story."""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from routing_health.lib.sfid import to_18
from routing_health.sandbox.synthetic import (
    EXAMPLE_PATH,
    NOW_NOT_AWARE,
    UNKNOWN_SCENARIO,
    example_config_toml,
    generate_org,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PREFIXES = {
    "Lead": "00Q", "User": "005", "Group": "00G", "LeadHistory": "017", "Task": "00T",
    "Event": "00U", "Contact": "003", "LeadStatus": "01J", "FlowDefinitionView": "300",
    "BusinessHours": "01m", "Holiday": "0C0", "UserRole": "00E",
}
REFERENCES = {  # sObject -> columns holding Ids of other records
    "Lead": ["OwnerId", "CreatedById", "ConvertedContactId"],
    "LeadHistory": ["LeadId", "CreatedById"],
    "Task": ["WhoId", "OwnerId", "CreatedById"],
    "Event": ["WhoId", "OwnerId", "CreatedById"],
    "Contact": ["OwnerId", "CreatedById"],
    "User": ["UserRoleId"],
    "FlowDefinitionView": ["ActiveVersionId", "LatestVersionId"],
}


@pytest.fixture(scope="module")
def demo():
    return generate_org(leads=4000, now=NOW)


@pytest.fixture(scope="module")
def plain():
    return generate_org(leads=2000, now=NOW, scenario="plain", seed=11)


def owner_rows(org) -> pd.DataFrame:
    history = org.tables["LeadHistory"]
    rows = history[(history["Field"] == "Owner") & (history["DataType"] == "EntityId")]
    return rows.sort_values(["CreatedDate", "Id"])


def routed_owner(org) -> pd.Series:
    """LeadId -> the owner of the first owner change (the spec's routed_owner for held leads)."""
    return owner_rows(org).groupby("LeadId")["NewValue"].first()


def effective_region(org) -> pd.Series:
    config = tomllib.loads(org.config_toml)
    leads = org.tables["Lead"]
    by_country = leads["CountryCode"].map(config["regions"]["by_country"])
    region = leads["Region__c"].where(leads["Region__c"].notna(), by_country)
    return region.fillna(config["regions"]["default"])


def test_the_same_seed_gives_identical_frames_and_another_seed_does_not():
    first = generate_org(leads=600, now=NOW, seed=3)
    second = generate_org(leads=600, now=NOW, seed=3)
    other = generate_org(leads=600, now=NOW, seed=4)
    assert first.tables.keys() == second.tables.keys()
    for name, frame in first.tables.items():
        pd.testing.assert_frame_equal(frame, second.tables[name], check_exact=True)
    assert first.config_toml == second.config_toml
    assert first.facts == second.facts
    assert not first.tables["Lead"]["Id"].equals(other.tables["Lead"]["Id"])


def test_every_id_is_18_characters_with_its_prefix_and_a_valid_checksum(demo):
    for name, prefix in PREFIXES.items():
        ids = demo.tables[name]["Id"]
        assert ids.is_unique, name
        assert ids.str.startswith(prefix).all(), name
        assert all(to_18(i[:15]) == i for i in ids), name
    for name, columns in REFERENCES.items():
        for column in columns:
            values = demo.tables[name][column].dropna()
            assert all(to_18(i[:15]) == i for i in values), (name, column)


def test_references_point_at_existing_records(demo):
    t = demo.tables
    owners = set(t["User"]["Id"]) | set(t["Group"].query("Type == 'Queue'")["Id"])
    assert set(t["Lead"]["OwnerId"]) <= owners
    assert set(t["Task"]["OwnerId"]) | set(t["Event"]["OwnerId"]) <= owners
    assert set(t["LeadHistory"]["LeadId"]) <= set(t["Lead"]["Id"])
    who = set(t["Lead"]["Id"]) | set(t["Contact"]["Id"])
    assert set(t["Task"]["WhoId"]) | set(t["Event"]["WhoId"]) <= who
    assert set(t["User"]["UserRoleId"].dropna()) <= set(t["UserRole"]["Id"])


def test_columns_have_the_documented_dtypes(demo):
    lead = demo.tables["Lead"]
    assert str(lead["CreatedDate"].dtype) == "datetime64[ns, UTC]"
    assert str(demo.tables["LeadHistory"]["CreatedDate"].dtype) == "datetime64[ns, UTC]"
    assert lead["Id"].dtype == "str"
    assert lead["IsConverted"].dtype == bool
    assert lead["ConvertedDate"].dtype == object
    converted = lead.loc[lead["IsConverted"], "ConvertedDate"]
    assert len(converted) > 0 and all(type(d) is date for d in converted)
    assert all(type(d) is date for d in demo.tables["Holiday"]["ActivityDate"])


def test_every_owner_change_is_an_entity_id_row_and_a_text_row_at_the_same_time(demo):
    history = demo.tables["LeadHistory"]
    owner = history[history["Field"] == "Owner"].sort_values("Id").reset_index(drop=True)
    ids, texts = owner.iloc[0::2].reset_index(drop=True), owner.iloc[1::2].reset_index(drop=True)
    assert len(ids) == len(texts) > 0
    assert (ids["DataType"] == "EntityId").all() and (texts["DataType"] == "Text").all()
    assert (ids["LeadId"] == texts["LeadId"]).all()
    assert (ids["CreatedDate"] == texts["CreatedDate"]).all()
    names = pd.concat([demo.tables["User"].set_index("Id")["Name"],
                       demo.tables["Group"].set_index("Id")["Name"]])
    assert (ids["NewValue"].map(names) == texts["NewValue"]).all()
    assert (ids["OldValue"].map(names) == texts["OldValue"]).all()


def test_the_lead_owner_is_the_new_value_of_its_last_owner_change(demo, plain):
    for org in (demo, plain):
        rows = owner_rows(org)
        leads = org.tables["Lead"].set_index("Id")
        last = rows.groupby("LeadId")["NewValue"].last()
        assert (leads.loc[last.index, "OwnerId"] == last).all()
        chained = rows.groupby("LeadId")["NewValue"].shift()
        assert (rows["OldValue"][chained.notna()] == chained.dropna()).all()


def test_the_lead_status_is_the_new_value_of_its_last_status_change(demo):
    history = demo.tables["LeadHistory"]
    rows = history[history["Field"] == "Status"].sort_values(["CreatedDate", "Id"])
    assert (rows["DataType"] == "Text").all()
    leads = demo.tables["Lead"].set_index("Id")
    last = rows.groupby("LeadId")["NewValue"].last()
    assert (leads.loc[last.index, "Status"] == last).all()
    untouched = leads.index.difference(last.index)
    assert (leads.loc[untouched, "Status"] == "Open - Not Contacted").all()


def test_nothing_happens_after_now(demo, plain):
    for org in (demo, plain):
        for name, frame in org.tables.items():
            for column in frame.columns:
                if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                    assert (frame[column].dropna() <= NOW).all(), (name, column)


def test_history_ids_increase_with_time_and_modstamps_follow_changes(demo):
    history = demo.tables["LeadHistory"].sort_values("Id")
    assert history["CreatedDate"].is_monotonic_increasing
    leads = demo.tables["Lead"].set_index("Id")
    latest = history.groupby("LeadId")["CreatedDate"].max()
    assert (leads.loc[latest.index, "SystemModstamp"] >= latest).all()
    assert (leads["SystemModstamp"] >= leads["CreatedDate"]).all()
    assert (leads["LastModifiedDate"] == leads["SystemModstamp"]).all()
    for name in ("Task", "Event", "Contact"):
        frame = demo.tables[name]
        assert (frame["SystemModstamp"] >= frame["CreatedDate"]).all(), name


def test_converted_leads_point_at_their_contact_and_their_activities_moved(demo):
    t = demo.tables
    leads = t["Lead"]
    converted = leads[leads["IsConverted"]]
    assert len(converted) > 0
    assert (converted["Status"] == "Closed - Converted").all()
    assert converted["ConvertedContactId"].notna().all()
    assert leads.loc[~leads["IsConverted"], "ConvertedContactId"].isna().all()
    assert set(converted["ConvertedContactId"]) == set(t["Contact"]["Id"])
    activities = pd.concat([t["Task"], t["Event"]])
    assert not activities["WhoId"].isin(converted["Id"]).any()
    assert activities["WhoId"].isin(converted["ConvertedContactId"]).any()


def test_the_demo_incident_sends_the_broken_regions_hot_leads_to_fallback_with_the_node(demo):
    incident = demo.facts["incident"]
    leads = demo.tables["Lead"].set_index("Id")
    leads["region"] = effective_region(demo).to_numpy()
    routed = routed_owner(demo)
    recent = leads[(leads["CreatedDate"] > NOW - timedelta(hours=24))
                   & (leads["region"] == incident["region"]) & (leads["Rating"] == "Hot")]
    to_fallback = recent.loc[recent.index.intersection(
        routed.index[routed == incident["fallback_queue_id"]])]
    assert len(to_fallback) >= 3
    assert (to_fallback["Routing_Failed_Node__c"] == incident["failed_node"]).all()
    assert set(to_fallback.index) <= set(incident["failed_lead_ids"])
    flow = demo.tables["FlowDefinitionView"].set_index("ApiName").loc[incident["flow"]]
    assert flow["ActiveVersionId"] == incident["to_version_id"]
    assert flow["LastModifiedDate"] == incident["start"]
    # NOW is Friday 2026-11-20 (07:00 in New York, the report time zone): the last complete
    # ISO week is 2026-W46 (9-15 November); the new version went live on its Thursday, 14:00 UTC.
    assert incident["start"] == datetime(2026, 11, 12, 14, 0, tzinfo=UTC)


def test_the_plain_scenario_has_no_incident(plain):
    assert plain.facts["incident"] is None and plain.facts["backlog"] is None
    leads = plain.tables["Lead"]
    assert not (leads["Routing_Failed_Node__c"] == "Decision: Assign by Territory").any()
    flow = plain.tables["FlowDefinitionView"].set_index("ApiName").loc["Lead_Router"]
    assert flow["LastModifiedDate"] < NOW - timedelta(days=42)
    inactive = plain.facts["inactive_rep"]
    rows = owner_rows(plain)
    after = rows[rows["CreatedDate"] > inactive["deactivated_at"]]
    assert not (after["NewValue"] == inactive["id"]).any()


def test_the_demo_backlog_queue_holds_leads_waiting_past_the_limit(demo):
    backlog = demo.facts["backlog"]
    leads = demo.tables["Lead"].set_index("Id")
    since = owner_rows(demo).groupby("LeadId")["CreatedDate"].last()
    queued = leads[(leads["OwnerId"] == backlog["queue_id"]) & ~leads["IsDeleted"]
                   & ~leads["Status"].str.startswith("Closed")]
    entered = since.reindex(queued.index).fillna(queued["CreatedDate"])
    over = queued[entered < NOW - timedelta(hours=24)]
    # At least the two backlog leads the demo places there, 30 to 84 hours before NOW.
    assert len(over) >= 2
    assert set(over.index) == set(backlog["lead_ids"])


def test_the_demo_inactive_rep_still_receives_leads(demo):
    inactive = demo.facts["inactive_rep"]
    users = demo.tables["User"].set_index("Id")
    assert not users.loc[inactive["id"], "IsActive"]
    rows = owner_rows(demo)
    after = rows[(rows["CreatedDate"] > inactive["deactivated_at"])
                 & (rows["NewValue"] == inactive["id"])]
    assert len(after) == inactive["assignments_after_deactivation"] > 0


def test_the_config_parses_and_matches_the_org(demo):
    config = tomllib.loads(demo.config_toml)
    t = demo.tables
    users, queues = set(t["User"]["Id"]), set(t["Group"].query("Type == 'Queue'")["Id"])
    assert config["owners"]["holding"] and config["owners"]["fallback"]
    assert set(config["owners"]["holding"]) | set(config["owners"]["fallback"]) <= users | queues
    fields = config["lead_fields"]
    assert fields["region"] == "Region__c" and fields["tier"] == "Rating"
    assert fields["failed_node"] == "Routing_Failed_Node__c"
    assert fields["rejection_reason"] == "Rejection_Reason__c"
    assert fields["extra"] == ["LeadSource", "Company"]
    lead_columns = set(t["Lead"].columns)
    assert {v for k, v in fields.items() if k != "extra"} <= lead_columns
    statuses = set(t["LeadStatus"]["ApiName"])
    for key in ("accepted", "rejected", "closed"):
        assert set(config["statuses"][key]) <= statuses
    assert set(config["tiers"]["by_value"].values()) | {config["tiers"]["default"]} == set(
        config["tiers"]["sla"])
    assert config["windows"]["queue_age_limit_hours"] == 24
    assert config["alerts"]["reminder_hours"] == 4
    hours = t["BusinessHours"].set_index("Name")
    holidays = set(t["Holiday"]["ActivityDate"])
    for region, key in config["regions"]["calendars"].items():
        calendar = config["calendars"][key]
        assert hours.loc[f"{region} Hours", "TimeZoneSidKey"] == calendar["timezone"]
        start, end = calendar["monday"][0].split("-")
        assert hours.loc[f"{region} Hours", "MondayStartTime"] == f"{start}:00.000Z"
        assert hours.loc[f"{region} Hours", "MondayEndTime"] == f"{end}:00.000Z"
        assert {date.fromisoformat(d) for d in calendar["holidays"]} <= holidays
    assert date(2026, 12, 25).isoformat() in config["calendars"]["emea"]["holidays"]


def test_the_example_file_is_the_demo_config():
    text = EXAMPLE_PATH.read_text(encoding="utf-8")
    assert text == example_config_toml()
    org = generate_org(leads=100, now=datetime(2026, 11, 20, 12, tzinfo=UTC))
    assert org.config_toml == text


def test_the_region_mix_exercises_the_country_map_and_the_default(demo):
    leads = demo.tables["Lead"]
    region = effective_region(demo)
    by_country = leads["Region__c"].isna() & leads["CountryCode"].notna() & (region != "Unknown")
    assert by_country.sum() > 0
    assert (region == "Unknown").sum() > 0
    assert set(region) == {"AMER", "EMEA", "APAC", "Unknown"}
    assert set(leads["Rating"].dropna()) == {"Hot", "Warm", "Cold"} and leads["Rating"].isna().any()


def test_the_org_has_the_awkward_cases(demo):
    t = demo.tables
    rows = owner_rows(demo)
    assert rows.duplicated(["LeadId", "CreatedDate"]).any()  # two owner changes in one second
    assert t["Lead"]["IsDeleted"].sum() > 0
    assert t["LeadHistory"]["IsDeleted"].sum() > 0
    activities = pd.concat([t["Task"], t["Event"]])
    assert activities["IsDeleted"].any() and activities["IsArchived"].any()
    integration = demo.facts["owners"]["integration_user"]
    assert (t["Task"]["OwnerId"] == integration).any()
    routed = routed_owner(demo)
    assert (routed == demo.facts["owners"]["fallback_queue"]).any()
    assert t["Lead"]["Rejection_Reason__c"].notna().any()
    assert (t["LeadHistory"]["Field"] == "Rating").any()
    assert (t["Group"]["Type"] != "Queue").any()
    names = set(t["Lead"]["FirstName"]) | set(t["Lead"]["LastName"]) | set(t["Lead"]["Company"])
    assert {"<!channel>", "</script><script>alert(1)</script>", "&<>"} <= names
    assert any(not name.isascii() for name in names)


def test_records_yield_python_values(demo):
    records = list(demo.records("Lead"))
    assert len(records) == len(demo.tables["Lead"])
    first = records[0]
    assert isinstance(first["CreatedDate"], datetime) and first["CreatedDate"].utcoffset() == (
        timedelta(0))
    assert not isinstance(first["CreatedDate"], pd.Timestamp)
    assert isinstance(first["IsDeleted"], bool) and isinstance(first["Id"], str)
    converted = next(r for r in records if r["IsConverted"])
    assert type(converted["ConvertedDate"]) is date
    assert any(r["Region__c"] is None for r in records)
    assert all(r["ConvertedDate"] is None for r in records if not r["IsConverted"])
    holiday = next(demo.records("Holiday"))
    assert type(holiday["ActivityDate"]) is date
    flows = list(demo.records("FlowDefinitionView"))
    assert any(f["ActiveVersionId"] is None for f in flows)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=NOW_NOT_AWARE):
        generate_org(leads=10, now=datetime(2026, 11, 20, 12))
    with pytest.raises(ValueError, match=UNKNOWN_SCENARIO):
        generate_org(leads=10, now=NOW, scenario="chaos")


def test_a_tiny_demo_org_still_has_the_incident_and_the_backlog():
    org = generate_org(leads=100, now=NOW, days=3)
    assert org.facts["incident"]["failed_leads"] > 0
    assert org.facts["backlog"]["queued_over_limit"] > 0
    assert len(org.tables["Lead"]) == 100


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RUN_SLOW") != "1", reason="set RUN_SLOW=1")
def test_200k_leads_generate_with_the_expected_volumes():
    # Its time (< 20 s) is measured by `make bench` (bench/bench_volumes.py).
    org = generate_org(leads=200_000, now=NOW)
    counts = org.facts["counts"]
    assert 2.5 < counts["LeadHistory"] / 200_000 < 5
    # The demo profile (the default scenario) touches nearly every routed lead and often follows
    # up: about 1.5 activities a lead (1.52 measured); a plain org about 1.1.
    assert 0.7 < (counts["Task"] + counts["Event"]) / 200_000 < 2.0
    assert (org.tables["LeadHistory"]["CreatedDate"] <= NOW).all()
    assert np.all(org.tables["Lead"]["Id"].str.len() == 18)
