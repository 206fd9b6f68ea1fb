"""The Salesforce emulator, driven over HTTPS by the real simple_salesforce client."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from routing_health.sandbox import Org, SalesforceEmulator

T0 = datetime(2026, 1, 5, 10, 11, 12, tzinfo=UTC)
VERSION = "62.0"
BATCH_200 = {"Sforce-Query-Options": "batchSize=200"}


def add_leads(org: Org, n: int, *, owner_id: str | None = None) -> list[str]:
    owner_id = owner_id or org.add_queue("Lead Intake")
    return [
        org.insert("Lead", {"FirstName": "Ada", "LastName": f"Lead {i}", "Company": "Acme",
                            "OwnerId": owner_id, "Status": "Open - Not Contacted",
                            "CreatedDate": T0 + timedelta(minutes=i), "Region__c": "EMEA"})
        for i in range(n)
    ]


def error_code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.content[0]["errorCode"]


# ---------------------------------------------------------------- REST query
def test_query_pages_through_next_records_url_with_the_requested_batch_size(
        org: Org, emulator: SalesforceEmulator, sf: Salesforce) -> None:
    ids = add_leads(org, 450)
    first = sf.query("SELECT Id FROM Lead ORDER BY CreatedDate", headers=BATCH_200)
    assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
    assert first["nextRecordsUrl"].startswith(f"/services/data/v{VERSION}/query/01g")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    third = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)
    assert [len(p["records"]) for p in (second, third)] == [200, 50]
    assert third["done"] is True and "nextRecordsUrl" not in third
    got = [r["Id"] for p in (first, second, third) for r in p["records"]]
    assert got == ids


def test_a_query_cursor_keeps_the_result_set_it_started_with(
        org: Org, sf: Salesforce) -> None:
    add_leads(org, 250)
    first = sf.query("SELECT Id, Status FROM Lead", headers=BATCH_200)
    late = add_leads(org, 1)[0]
    org.change_status(first["records"][-1]["Id"], "Working - Contacted", T0)
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert rest["totalSize"] == 250 and len(rest["records"]) == 50
    assert late not in {r["Id"] for r in rest["records"]}


def test_query_all_sees_deleted_and_archived_rows_that_query_hides(
        org: Org, sf: Salesforce) -> None:
    lead, gone = add_leads(org, 2)
    org.delete("Lead", gone)
    rep = org.add_user("Rita Rep")
    task = org.add_task(lead, rep, T0)
    org.update("Task", task, IsArchived=True)
    assert [r["Id"] for r in sf.query_all("SELECT Id FROM Lead")["records"]] == [lead]
    deleted = sf.query_all("SELECT Id, IsDeleted FROM Lead WHERE IsDeleted = true",
                           include_deleted=True)
    assert [(r["Id"], r["IsDeleted"]) for r in deleted["records"]] == [(gone, True)]
    assert sf.query("SELECT Id FROM Task")["totalSize"] == 0
    assert sf.query_all("SELECT Id FROM Task", include_deleted=True)["totalSize"] == 1


def test_rest_records_carry_attributes_salesforce_datetimes_and_nested_relationships(
        org: Org, sf: Salesforce) -> None:
    queue = org.add_queue("Lead Intake")
    lead = add_leads(org, 1, owner_id=queue)[0]
    contact = org.convert_lead(lead, T0 + timedelta(hours=1))
    record = sf.query("SELECT Id, CreatedDate, ConvertedDate, IsConverted, Region__c, "
                      "Owner.Name, ConvertedContact.Name FROM Lead")["records"][0]
    assert record["attributes"] == {"type": "Lead",
                                    "url": f"/services/data/v{VERSION}/sobjects/Lead/{lead}"}
    assert record["CreatedDate"] == "2026-01-05T10:11:12.000+0000"
    assert record["ConvertedDate"] == "2026-01-05"
    assert record["IsConverted"] is True and record["Region__c"] == "EMEA"
    assert record["Owner"]["attributes"]["type"] == "Name"
    assert record["Owner"]["attributes"]["url"].endswith(f"/sobjects/Group/{queue}")
    assert record["Owner"]["Name"] == "Lead Intake"
    assert record["ConvertedContact"]["attributes"]["type"] == "Contact"
    assert record["ConvertedContact"]["Name"] == "Ada Lead 0"
    assert record["ConvertedContact"]["attributes"]["url"].endswith(contact)


def test_a_record_can_be_read_by_its_15_character_id_as_well_as_its_18(
        org: Org, emulator: SalesforceEmulator) -> None:
    lead = add_leads(org, 1)[0]
    base = f"{emulator.url}/services/data/v{VERSION}/sobjects/Lead"
    auth = {"Authorization": f"Bearer {emulator.access_token}"}
    by_18 = requests.get(f"{base}/{lead}", headers=auth, timeout=10)
    by_15 = requests.get(f"{base}/{lead[:15]}", headers=auth, timeout=10)
    assert (by_18.status_code, by_15.status_code) == (200, 200)
    assert by_15.json() == by_18.json()
    assert by_15.json()["Id"] == lead


def test_count_queries_return_only_a_total(org: Org, sf: Salesforce) -> None:
    add_leads(org, 7)
    assert sf.query("SELECT COUNT() FROM Lead") == {"totalSize": 7, "done": True, "records": []}


def test_datetime_filters_compare_exactly_to_the_millisecond(org: Org, sf: Salesforce) -> None:
    add_leads(org, 3)  # created at T0, T0+1min, T0+2min
    after = sf.query("SELECT Id FROM Lead WHERE CreatedDate > 2026-01-05T10:11:12Z")
    at_or_after = sf.query("SELECT Id FROM Lead WHERE CreatedDate >= 2026-01-05T10:11:12.000+0000")
    shifted = sf.query("SELECT Id FROM Lead WHERE CreatedDate = 2026-01-05T15:42:12+05:30")
    assert (after["totalSize"], at_or_after["totalSize"], shifted["totalSize"]) == (2, 3, 1)


def test_lead_conversion_moves_its_activities_to_the_new_contact(
        org: Org, sf: Salesforce) -> None:
    lead = add_leads(org, 1)[0]
    rep = org.add_user("Rita Rep")
    org.add_task(lead, rep, T0 + timedelta(minutes=5))
    org.add_event(lead, rep, T0 + timedelta(minutes=9))
    contact = org.convert_lead(lead, T0 + timedelta(days=1))
    converted = sf.query("SELECT ConvertedContactId, Status FROM Lead")["records"][0]
    assert converted["ConvertedContactId"] == contact
    assert converted["Status"] == "Closed - Converted"
    for sobject in ("Task", "Event"):
        rows = sf.query(f"SELECT WhoId, SystemModstamp FROM {sobject}")["records"]
        assert [(r["WhoId"], r["SystemModstamp"]) for r in rows] == [
            (contact, "2026-01-06T10:11:12.000+0000")]


def test_a_lead_converted_into_an_existing_contact_moves_its_activities_to_that_contact(
        org: Org, sf: Salesforce) -> None:
    first, second = add_leads(org, 2)
    rep = org.add_user("Rita Rep")
    contact = org.insert("Contact", {"LastName": "Existing", "CreatedDate": T0 - timedelta(days=9)})
    own = org.add_task(contact, rep, T0 - timedelta(days=3))
    org.add_task(second, rep, T0 + timedelta(minutes=5))
    org.convert_lead(first, T0 + timedelta(hours=1))
    assert org.convert_lead(second, T0 + timedelta(days=1), contact_id=contact) == contact
    lead = sf.query(f"SELECT IsConverted, ConvertedDate, ConvertedContactId, Status, "
                    f"SystemModstamp FROM Lead WHERE Id = '{second}'")["records"][0]
    assert {k: v for k, v in lead.items() if k != "attributes"} == {
        "IsConverted": True, "ConvertedDate": "2026-01-06", "ConvertedContactId": contact,
        "Status": "Closed - Converted", "SystemModstamp": "2026-01-06T10:11:12.000+0000"}
    tasks = sf.query("SELECT Id, WhoId, SystemModstamp FROM Task ORDER BY CreatedDate")["records"]
    assert [(t["Id"] == own, t["WhoId"], t["SystemModstamp"]) for t in tasks] == [
        (True, contact, "2026-01-02T10:11:12.000+0000"),  # the Contact's own task stays put
        (False, contact, "2026-01-06T10:11:12.000+0000"),
    ]
    contacts = sf.query("SELECT Id, SystemModstamp FROM Contact")["records"]
    assert len(contacts) == 2  # the first conversion's new Contact and the existing one
    existing = next(c for c in contacts if c["Id"] == contact)
    assert existing["SystemModstamp"] == "2026-01-06T10:11:12.000+0000"


def test_converting_into_a_contact_that_does_not_exist_is_refused(org: Org) -> None:
    lead = add_leads(org, 1)[0]
    with pytest.raises(ValueError, match="INVALID_CROSS_REFERENCE_KEY"):
        org.convert_lead(lead, T0, contact_id="003000000000001AAA")
    assert org.get("Lead", lead)["IsConverted"] is False


# ---------------------------------------------------------------- errors Salesforce raises
def test_an_owner_change_writes_an_id_row_and_a_name_row_at_the_same_time(
        org: Org, sf: Salesforce) -> None:
    queue = org.add_queue("Lead Intake")
    rep = org.add_user("Rita Rep")
    lead = add_leads(org, 1, owner_id=queue)[0]
    org.change_owner(lead, rep, T0 + timedelta(minutes=3), rep)
    rows = sf.query("SELECT LeadId, Field, DataType, OldValue, NewValue, CreatedDate "
                    "FROM LeadHistory WHERE LeadId = '" + lead[:15] + "'")["records"]
    got = sorted((r["DataType"], r["OldValue"], r["NewValue"]) for r in rows)
    assert got == [("EntityId", queue, rep), ("Text", "Lead Intake", "Rita Rep")]
    assert {(r["Field"], r["CreatedDate"]) for r in rows} == {
        ("Owner", "2026-01-05T10:14:12.000+0000")}
    assert sf.query("SELECT OwnerId FROM Lead")["records"][0]["OwnerId"] == rep


def test_filtering_history_on_old_value_is_refused_like_salesforce(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM LeadHistory WHERE OldValue = '005000000000001'")
    assert error_code(exc) == "INVALID_QUERY_FILTER_OPERATOR"
    assert "field 'OldValue' can not be filtered in a query call" in exc.value.content[0][
        "message"]


def test_unknown_fields_and_objects_are_invalid_field_and_invalid_type(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as field:
        sf.query("SELECT Id, Foo__c FROM Lead")
    assert error_code(field) == "INVALID_FIELD"
    assert "No such column 'Foo__c' on entity 'Lead'." in field.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as sobject:
        sf.query("SELECT Id FROM Foo")
    assert error_code(sobject) == "INVALID_TYPE"


def test_mixing_and_with_or_without_parentheses_is_a_malformed_query(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Lead WHERE Status = 'a' AND Rating = 'Hot' OR Rating = 'Warm'")
    assert error_code(exc) == "MALFORMED_QUERY"
    assert sf.query("SELECT Id FROM Lead WHERE Status = 'a' AND (Rating = 'Hot' OR "
                    "Rating = 'Warm')")["totalSize"] == 0


def test_describe_reports_types_and_which_fields_can_be_filtered(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.LeadHistory.describe()["fields"]}
    assert fields["OldValue"]["type"] == "anyType"
    assert (fields["OldValue"]["filterable"], fields["OldValue"]["sortable"]) == (False, False)
    assert fields["CreatedDate"]["type"] == "datetime" and "SystemModstamp" not in fields
    lead = sf.Lead.describe()
    lead_fields = {f["name"]: f for f in lead["fields"]}
    assert lead["name"] == "Lead" and lead["keyPrefix"] == "00Q"
    assert lead_fields["Region__c"]["custom"] is True
    assert lead_fields["OwnerId"]["referenceTo"] == ["Group", "User"]
    assert "Open - Not Contacted" in [v["value"] for v in lead_fields["Status"]["picklistValues"]]


def test_field_definition_reports_history_tracking(org: Org, sf: Salesforce) -> None:
    org.history_tracked.discard("Status")
    rows = sf.query("SELECT QualifiedApiName, IsFieldHistoryTracked FROM FieldDefinition WHERE "
                    "EntityDefinition.QualifiedApiName = 'Lead' AND QualifiedApiName IN "
                    "('OwnerId', 'Status')")["records"]
    assert {r["QualifiedApiName"]: r["IsFieldHistoryTracked"] for r in rows} == {
        "OwnerId": True, "Status": False}


# ---------------------------------------------------------------- Bulk API 2.0
def test_bulk2_query_serves_csv_pages_with_locators_in_salesforce_formats(
        org: Org, emulator: SalesforceEmulator, sf: Salesforce) -> None:
    ids = add_leads(org, 450)
    org.convert_lead(ids[0], T0 + timedelta(hours=2))
    org.update("Lead", ids[1], Company='Say "hi", Co')
    pages = list(sf.bulk2.Lead.query(
        "SELECT Id, Company, CreatedDate, IsConverted, ConvertedDate, Rating FROM Lead "
        "ORDER BY CreatedDate", max_records=200, wait=0))
    assert len(pages) == 3
    assert pages[0].startswith('"Id","Company","CreatedDate","IsConverted","ConvertedDate",'
                               '"Rating"\n')
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert sorted(r["Id"] for r in rows) == sorted(ids)
    assert [r["Id"] for r in rows] != ids  # Bulk results are not in ORDER BY order
    by_id = {r["Id"]: r for r in rows}
    assert by_id[ids[0]]["CreatedDate"] == "2026-01-05T10:11:12.000Z"
    assert (by_id[ids[0]]["IsConverted"], by_id[ids[0]]["ConvertedDate"]) == ("true", "2026-01-05")
    assert (by_id[ids[2]]["IsConverted"], by_id[ids[2]]["ConvertedDate"]) == ("false", "")
    assert by_id[ids[1]]["Company"] == 'Say "hi", Co'
    assert '"Say ""hi"", Co"' in "".join(pages)
    results = [q for m, p, q in emulator.requests_log if p.endswith("/results")]
    assert [("locator=" in q) for q in results] == [False, True, True]


def test_bulk2_results_report_the_last_page_with_a_null_locator(
        org: Org, sf: Salesforce) -> None:
    add_leads(org, 5)
    client = sf.bulk2.Lead._client
    job = client.create_job("query", "SELECT Id FROM Lead")
    assert (job["state"], job["object"], job["contentType"]) == ("UploadComplete", "Lead", "CSV")
    assert job["id"].startswith("750")
    assert client.get_job(job["id"], True)["state"] == "JobComplete"
    page = client.get_query_results(job["id"], max_records=3)
    assert (page["number_of_records"], bool(page["locator"])) == (3, True)
    last = client.get_query_results(job["id"], page["locator"], max_records=3)
    assert (last["number_of_records"], last["locator"]) == (2, "")  # "null" on the wire


def test_bulk2_query_all_includes_deleted_rows(org: Org, sf: Salesforce) -> None:
    ids = add_leads(org, 3)
    org.delete("Lead", ids[0])
    live = "".join(sf.bulk2.Lead.query("SELECT Id FROM Lead", wait=0))
    everything = "".join(sf.bulk2.Lead.query_all("SELECT Id, IsDeleted FROM Lead", wait=0))
    assert ids[0] not in live and f'"{ids[0]}","true"' in everything


def test_bulk2_refuses_count_and_offset(sf: Salesforce) -> None:
    for soql in ("SELECT COUNT() FROM Lead", "SELECT Id FROM Lead LIMIT 5 OFFSET 5"):
        with pytest.raises(SalesforceMalformedRequest) as exc:
            list(sf.bulk2.Lead.query(soql, wait=0))
        assert error_code(exc) == "API_ERROR"


def test_bulk2_jobs_can_report_in_progress_before_completing(
        org: Org, emulator: SalesforceEmulator, sf: Salesforce) -> None:
    add_leads(org, 2)
    emulator.bulk.in_progress_polls = 2
    client = sf.bulk2.Lead._client
    job = client.create_job("query", "SELECT Id FROM Lead")
    states = [client.get_job(job["id"], True)["state"] for _ in range(3)]
    assert states == ["InProgress", "InProgress", "JobComplete"]


# ---------------------------------------------------------------- sessions and logins
def test_an_expired_token_gets_401_invalid_session_id(emulator: SalesforceEmulator,
                                                       sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Lead")
    emulator.expire_tokens()
    with pytest.raises(SalesforceExpiredSession) as exc:
        sf.query("SELECT Id FROM Lead")
    assert exc.value.content == [{"message": "Session expired or invalid",
                                  "errorCode": "INVALID_SESSION_ID"}]


def test_soap_username_password_login_reaches_the_emulator(org: Org,
                                                           emulator: SalesforceEmulator) -> None:
    add_leads(org, 2)
    emulator.add_credentials("integration@example.com", "s3cret&<pw>", "TOKEN123")
    sf = Salesforce(username="integration@example.com", password="s3cret&<pw>",
                    security_token="TOKEN123", version=VERSION, session=emulator.login_session())
    assert sf.sf_instance == emulator.netloc
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 2
    assert ("POST", f"/services/Soap/u/{VERSION}", "") in emulator.requests_log
    emulator.expire_tokens()  # simple_salesforce logs in again on INVALID_SESSION_ID
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 2


def test_soap_login_with_a_wrong_password_is_invalid_login(emulator: SalesforceEmulator) -> None:
    emulator.add_credentials("integration@example.com", "right", "TOKEN")
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username="integration@example.com", password="wrong", security_token="TOKEN",
                   domain="test", version=VERSION, session=emulator.login_session())
    assert exc.value.code == "INVALID_LOGIN"


def _rsa_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def test_jwt_bearer_login_with_the_registered_key_gets_a_token(
        org: Org, emulator: SalesforceEmulator) -> None:
    add_leads(org, 1)
    private, public = _rsa_pair()
    emulator.register_jwt_client("3MVG9-consumer", public, "integration@example.com")
    sf = Salesforce(username="integration@example.com", consumer_key="3MVG9-consumer",
                    privatekey=private.decode(), version=VERSION, session=emulator.login_session())
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 1
    assert ("POST", "/services/oauth2/token", "") in emulator.requests_log


def test_jwt_signed_with_another_key_is_an_invalid_grant(emulator: SalesforceEmulator) -> None:
    _, public = _rsa_pair()
    other_private, _ = _rsa_pair()
    emulator.register_jwt_client("3MVG9-consumer", public, "integration@example.com")
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username="integration@example.com", consumer_key="3MVG9-consumer",
                   privatekey=other_private.decode(), version=VERSION,
                   session=emulator.login_session())
    assert exc.value.code == "invalid_grant"


def test_client_credentials_login_works_on_a_my_domain(emulator: SalesforceEmulator) -> None:
    emulator.register_oauth_client("key", "secret", run_as="integration@example.com")
    sf = Salesforce(consumer_key="key", consumer_secret="secret", domain="acme.my",
                    version=VERSION, session=emulator.login_session())
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0


# ---------------------------------------------------------------- limits and faults
def test_sforce_limit_info_feeds_api_usage_and_the_limit_is_enforced(
        emulator: SalesforceEmulator, sf: Salesforce) -> None:
    emulator.set_api_usage(4998, 5000)
    sf.query("SELECT Id FROM Lead")
    assert (sf.api_usage["api-usage"].used, sf.api_usage["api-usage"].total) == (4999, 5000)
    sf.query("SELECT Id FROM Lead")
    with pytest.raises(SalesforceRefusedRequest) as exc:
        sf.query("SELECT Id FROM Lead")
    assert error_code(exc) == "REQUEST_LIMIT_EXCEEDED"
    with pytest.raises(SalesforceRefusedRequest):
        sf.limits()


def test_a_503_fault_fails_twice_then_lets_requests_through(emulator: SalesforceEmulator,
                                                            sf: Salesforce) -> None:
    fault = emulator.faults.add(503, path="/query", times=2)
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as exc:
            sf.query("SELECT Id FROM Lead")
        assert exc.value.status == 503 and error_code(exc) == "SERVER_UNAVAILABLE"
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0
    assert (fault.seen, fault.fired) == (3, 2)


def test_a_fault_can_let_requests_through_before_it_fires(emulator: SalesforceEmulator,
                                                          sf: Salesforce) -> None:
    emulator.faults.add(401, path="/query", after=1)
    sf.query("SELECT Id FROM Lead")
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Lead")


def test_a_reset_fault_drops_the_connection_without_a_response(emulator: SalesforceEmulator,
                                                               sf: Salesforce) -> None:
    emulator.faults.add("reset", method="GET", path="/results")
    with pytest.raises(requests.exceptions.ConnectionError):
        list(sf.bulk2.Lead.query("SELECT Id FROM Lead", wait=0))
    assert list(sf.bulk2.Lead.query("SELECT Id FROM Lead", wait=0)) == ['"Id"\n']


def test_a_slow_fault_delays_the_answer(emulator: SalesforceEmulator, sf: Salesforce) -> None:
    emulator.faults.add("slow", delay=0.3, path="/limits")
    started = time.monotonic()
    assert sf.limits()["DailyApiRequests"]["Max"] == 100_000
    assert time.monotonic() - started >= 0.3


def test_ids_are_eighteen_characters_with_a_valid_checksum() -> None:
    from routing_health.sandbox.ids import new_id, to_id18

    assert to_id18("0015000000Gv7qJ") == "0015000000Gv7qJAAR"
    made = new_id("00Q", 12345)
    assert len(made) == 18 and made.startswith("00Q") and to_id18(made[:15]) == made
    assert new_id("00Q", 1) != new_id("00Q", 2)


def test_password_grant_with_a_connected_app_gets_a_token(emulator: SalesforceEmulator) -> None:
    emulator.register_oauth_client("key", "secret")
    emulator.add_credentials("integration@example.com", "pw")
    sf = Salesforce(username="integration@example.com", password="pw", consumer_key="key",
                    consumer_secret="secret", version=VERSION, session=emulator.login_session())
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        Salesforce(username="integration@example.com", password="nope", consumer_key="key",
                   consumer_secret="secret", version=VERSION, session=emulator.login_session())
    assert (exc.value.code, exc.value.auth_message) == ("invalid_grant", "authentication failure")


def test_bulk2_jobs_can_be_aborted_and_then_deleted(org: Org, emulator: SalesforceEmulator,
                                                    sf: Salesforce) -> None:
    emulator.bulk.in_progress_polls = 5
    client = sf.bulk2.Lead._client
    job = client.create_job("query", "SELECT Id FROM Lead")
    url = f"{sf.bulk2_url}query/{job['id']}"
    assert sf.session.delete(url, headers=sf.headers).status_code == 400  # not terminated yet
    assert client.abort_job(job["id"], True)["state"] == "Aborted"
    assert sf.session.delete(url, headers=sf.headers).status_code == 204
    assert sf.session.get(url, headers=sf.headers).status_code == 404


def test_the_versions_list_needs_no_session(emulator: SalesforceEmulator) -> None:
    response = requests.get(f"{emulator.url}/services/data/", timeout=5)
    latest = response.json()[-1]
    assert latest == {"label": "Winter '25", "url": f"/services/data/v{VERSION}",
                      "version": VERSION}
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")


# ---------------------------------------------------------------- deleted records (getDeleted)
NOW = T0 + timedelta(days=30)  # the org fixture's clock


def test_a_purged_record_is_gone_from_query_all(org: Org, sf: Salesforce) -> None:
    kept, binned, purged = add_leads(org, 3)
    org.delete("Lead", binned)
    org.delete("Lead", purged)
    org.purge("Lead", purged)  # the recycle bin emptied
    rows = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)["records"]
    assert sorted((r["Id"], r["IsDeleted"]) for r in rows) == sorted(
        [(kept, False), (binned, True)]
    )


def test_the_deleted_resource_lists_binned_and_purged_records_with_their_deletion_time(
        org: Org, sf: Salesforce) -> None:
    _kept, binned, hard, old = add_leads(org, 4)
    org.delete("Lead", binned, at=NOW - timedelta(days=2, seconds=-7))
    org.purge("Lead", hard, at=NOW - timedelta(hours=3))  # hard delete, never in the bin
    org.delete("Lead", old, at=NOW - timedelta(days=20))  # before the 15-day window
    start = NOW - timedelta(days=5)
    result = sf.Lead.deleted(start, NOW + timedelta(hours=1))
    assert result == {
        "deletedRecords": [
            {"id": binned, "deletedDate": "2026-02-02T10:11:19.000+0000"},
            {"id": hard, "deletedDate": "2026-02-04T07:11:12.000+0000"},
        ],
        "earliestDateAvailable": "2026-01-20T00:00:00.000+0000",  # 15 days before 2026-02-04
        "latestDateCovered": "2026-02-04T10:11:00.000+0000",  # now, seconds ignored
    }


def test_the_deleted_resource_refuses_a_start_more_than_15_days_back(
        org: Org, sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.deleted(datetime(2026, 1, 19, 23, 59, tzinfo=UTC), NOW)
    assert error_code(exc) == "INVALID_REPLICATION_DATE"
    assert sf.Lead.deleted(datetime(2026, 1, 20, tzinfo=UTC), NOW)["deletedRecords"] == []


def test_the_deleted_resource_refuses_a_window_of_one_minute_or_less(
        org: Org, sf: Salesforce) -> None:
    start = datetime(2026, 2, 4, 9, 11, tzinfo=UTC)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.deleted(start, start + timedelta(seconds=119))  # 1 minute once seconds go
    assert error_code(exc) == "INVALID_REPLICATION_DATE"

