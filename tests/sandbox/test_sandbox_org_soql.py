"""The in-memory org and the SOQL subset behind the Salesforce emulator (no HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from routing_health.sandbox.formats import CsvWriter
from routing_health.sandbox.ids import new_id, to_id18
from routing_health.sandbox.org import Org
from routing_health.sandbox.soql import parse
from routing_health.sandbox.soql_eval import count, select
from routing_health.sandbox.soql_syntax import SoqlError

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def org() -> Org:
    org = Org(clock=lambda: T0 + timedelta(days=10))
    org.add_field("Lead", "Region__c", "picklist")
    queue = org.add_queue("Lead Intake")
    for i, (rating, region) in enumerate([("Hot", "EMEA"), ("warm", "AMER"), (None, "EMEA"),
                                          ("Hot", None)]):
        org.insert("Lead", {"LastName": f"L{i}", "Company": "Acme", "OwnerId": queue,
                            "Status": "Open - Not Contacted", "Rating": rating,
                            "Region__c": region, "CreatedDate": T0 + timedelta(hours=i)})
    return org


def names(org: Org, soql: str, *, include_deleted: bool = False) -> list[str]:
    return [r["LastName"] for r in select(parse(soql, org), org, include_deleted=include_deleted)]


def refused(org: Org, soql: str) -> SoqlError:
    with pytest.raises(SoqlError) as exc:
        parse(soql, org)
    return exc.value


def test_text_comparisons_are_case_insensitive_and_not_equal_matches_nulls(org: Org) -> None:
    assert names(org, "SELECT LastName FROM Lead WHERE Rating = 'HOT'") == ["L0", "L3"]
    assert names(org, "SELECT LastName FROM Lead WHERE Rating != 'hot'") == ["L1", "L2"]
    assert names(org, "SELECT LastName FROM Lead WHERE Rating NOT IN ('Hot')") == ["L1", "L2"]
    assert names(org, "SELECT LastName FROM Lead WHERE Rating IN ('warm', null)") == ["L1", "L2"]
    assert names(org, "SELECT LastName FROM Lead WHERE LastName LIKE 'l_'") == [
        "L0", "L1", "L2", "L3"]


def test_not_and_parentheses_combine_conditions(org: Org) -> None:
    soql = ("SELECT LastName FROM Lead WHERE NOT (Rating = 'Hot' AND Region__c = 'EMEA') "
            "AND (Region__c = null OR Region__c = 'EMEA')")
    assert names(org, soql) == ["L2", "L3"]


def test_order_by_places_nulls_like_salesforce(org: Org) -> None:
    assert names(org, "SELECT LastName FROM Lead ORDER BY Rating, LastName DESC") == [
        "L2", "L3", "L0", "L1"]
    assert names(org, "SELECT LastName FROM Lead ORDER BY Rating DESC, LastName") == [
        "L1", "L0", "L3", "L2"]
    assert names(org, "SELECT LastName FROM Lead ORDER BY Rating ASC NULLS LAST LIMIT 2 "
                      "OFFSET 1") == ["L3", "L1"]


def test_datetime_and_date_literals_need_the_matching_field_type(org: Org) -> None:
    assert names(org, "SELECT LastName FROM Lead WHERE CreatedDate < 2026-03-01T10:00:00.000Z"
                 ) == ["L0"]
    assert refused(org, "SELECT Id FROM Lead WHERE CreatedDate > 2026-03-01").code == (
        "INVALID_FIELD")
    assert refused(org, "SELECT Id FROM Lead WHERE ConvertedDate > 2026-03-01T00:00:00Z").code == (
        "INVALID_FIELD")
    assert refused(org, "SELECT Id FROM Lead WHERE CreatedDate > 2026-03-01T00:00:00").code == (
        "MALFORMED_QUERY")


def test_id_filters_accept_fifteen_character_ids_and_refuse_malformed_ones(org: Org) -> None:
    lead = org.records("Lead")[0]["Id"]
    assert names(org, f"SELECT LastName FROM Lead WHERE Id = '{lead[:15]}'") == ["L0"]
    bad = refused(org, "SELECT Id FROM Lead WHERE OwnerId = 'Lead Intake'")
    assert (bad.code, bad.message.splitlines()[-1]) == (
        "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: Lead Intake")


@pytest.mark.parametrize(("soql", "code", "message"), [
    ("SELECT Id FROM LeadHistory WHERE NewValue = 'x'", "INVALID_QUERY_FILTER_OPERATOR",
     "field 'NewValue' can not be filtered in a query call"),
    ("SELECT Id FROM LeadHistory ORDER BY OldValue", "MALFORMED_QUERY",
     "field 'OldValue' can not be sorted in a query call"),
    ("SELECT Id, SystemModstamp FROM LeadHistory", "INVALID_FIELD",
     "No such column 'SystemModstamp' on entity 'LeadHistory'."),
    ("SELECT Id, Owner.Nope FROM Lead", "INVALID_FIELD", "No such column 'Nope' on entity 'Name'."),
    ("SELECT Id, Boss.Name FROM Lead", "INVALID_FIELD", "Didn't understand relationship 'Boss'"),
    ("SELECT Id FROM Leads", "INVALID_TYPE", "sObject type 'Leads' is not supported."),
    ("SELECT Id, Id FROM Lead", "INVALID_FIELD", "duplicate field selected: Id"),
    ("SELECT Id FROM Lead LIMIT 1 OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE",
     "Maximum SOQL offset allowed is 2000"),
    ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY", "unexpected token: '<EOF>'"),
    ("SELECT Id, COUNT() FROM Lead", "MALFORMED_QUERY", "unexpected token"),
])
def test_queries_salesforce_refuses_fail_with_its_code_and_message(
        org: Org, soql: str, code: str, message: str) -> None:
    error = refused(org, soql)
    assert error.code == code
    assert message in error.message
    assert error.body() == [{"message": error.message, "errorCode": code}]


def test_errors_point_at_the_offending_token(org: Org) -> None:
    error = refused(org, "SELECT Id, Foo__c FROM Lead")
    assert error.message.startswith("\nSELECT Id, Foo__c FROM Lead\n           ^\n"
                                    "ERROR at Row:1:Column:12\nNo such column 'Foo__c'")


def test_count_applies_the_where_clause(org: Org) -> None:
    assert count(parse("SELECT COUNT() FROM Lead WHERE Rating = 'Hot'", org), org) == 2


def test_change_status_writes_one_history_row_only_when_tracked(org: Org) -> None:
    lead = org.records("Lead")[0]["Id"]
    org.change_status(lead, "Working - Contacted", T0 + timedelta(hours=5))
    org.history_tracked.discard("Status")
    org.change_status(lead, "Closed - Not Converted", T0 + timedelta(hours=6))
    rows = org.records("LeadHistory")
    assert [(r["Field"], r["OldValue"], r["NewValue"]) for r in rows] == [
        ("Status", "Open - Not Contacted", "Working - Contacted")]
    assert org.get("Lead", lead)["Status"] == "Closed - Not Converted"
    assert org.get("Lead", lead)["SystemModstamp"] == T0 + timedelta(hours=6)


def test_delete_hides_a_record_from_query_but_not_query_all(org: Org) -> None:
    lead = org.records("Lead")[0]["Id"]
    org.delete("Lead", lead)
    assert "L0" not in names(org, "SELECT LastName FROM Lead")
    assert "L0" in names(org, "SELECT LastName FROM Lead", include_deleted=True)
    assert org.get("Lead", lead)["SystemModstamp"] == T0 + timedelta(days=10)


def test_insert_many_fills_ids_and_system_defaults(org: Org) -> None:
    ids = org.insert_many("Lead", [{"LastName": "Bulk", "CreatedDate": T0}])
    row = org.get("Lead", ids[0])
    assert (row["IsDeleted"], row["IsConverted"], row["SystemModstamp"]) == (False, False, T0)
    assert to_id18(ids[0][:15]) == ids[0]


def test_csv_cells_are_quoted_and_null_is_empty(org: Org) -> None:
    query = parse("SELECT LastName, Rating, IsConverted, CreatedDate, ConvertedDate, Owner.Name "
                  "FROM Lead WHERE LastName = 'L2'", org)
    rows = select(query, org)
    org.update("Lead", rows[0]["Id"], ConvertedDate=date(2026, 3, 2))
    rows = select(query, org)
    page = CsvWriter(query.fields, org, line_ending="CRLF").page(rows).decode()
    assert page == ('"LastName","Rating","IsConverted","CreatedDate","ConvertedDate","Owner.Name"'
                    '\r\n"L2",,"false","2026-03-01T11:00:00.000Z","2026-03-02","Lead Intake"\r\n')


def test_new_ids_never_collide_with_ids_the_org_allocates(org: Org) -> None:
    assert new_id("00Q", 1) not in {r["Id"] for r in org.records("Lead")}
    assert new_id("00D", 1) == org.org_id


def test_group_is_an_object_name_after_from(org: Org) -> None:
    rows = select(parse("SELECT Id, Name FROM Group WHERE Type = 'Queue'", org), org)
    assert [r["Name"] for r in rows] == ["Lead Intake"]
