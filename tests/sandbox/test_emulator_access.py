"""The emulator's permission model, QUERY_TIMEOUT, short REST pages, compound fields and the
`Sforce-Limit-Info` header, through the real simple_salesforce client (issue 12, item 9)."""

from __future__ import annotations

import re

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceRefusedRequest

from routing_health.sandbox import Org, SalesforceEmulator
from tests.sandbox.test_salesforce_emulator import BATCH_200, VERSION, add_leads, error_code

LIMIT_INFO = re.compile(r"^api-usage=\d+/\d+$")


def test_limits_answers_403_insufficient_access_without_view_setup(
        emulator: SalesforceEmulator, sf: Salesforce) -> None:
    assert sf.limits()["DailyApiRequests"]["Max"] == 100_000
    emulator.revoke_view_setup()
    with pytest.raises(SalesforceRefusedRequest) as exc:
        sf.limits()
    assert exc.value.status == 403
    assert error_code(exc) == "INSUFFICIENT_ACCESS"


def test_setup_objects_are_invalid_type_without_view_setup(
        emulator: SalesforceEmulator, sf: Salesforce) -> None:
    assert sf.query("SELECT ApiName FROM FlowDefinitionView")["done"] is True
    emulator.revoke_view_setup()
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT ApiName FROM FlowDefinitionView")
    assert error_code(exc) == "INVALID_TYPE"
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0  # data objects unaffected


def test_every_api_response_carries_sforce_limit_info_rest_bulk_and_errors(
        org: Org, emulator: SalesforceEmulator) -> None:
    add_leads(org, 3)
    emulator.revoke_view_setup()
    session = requests.Session()
    session.verify = emulator.ca_path
    auth = {"Authorization": f"Bearer {emulator.access_token}"}
    base = f"{emulator.url}/services/data/v{VERSION}"
    job = session.post(f"{base}/jobs/query", headers=auth,
                       json={"operation": "query", "query": "SELECT Id FROM Lead"})
    answers = [
        session.get(f"{base}/limits", headers=auth),
        session.get(f"{base}/query", params={"q": "SELECT Id FROM Lead"}, headers=auth),
        session.get(f"{base}/query", params={"q": "SELECT Nope FROM Lead"}, headers=auth),
        job,
        session.get(f"{base}/jobs/query/{job.json()['id']}/results", headers=auth),
    ]
    assert [a.status_code for a in answers] == [403, 200, 400, 200, 200]
    assert all(LIMIT_INFO.match(a.headers.get("Sforce-Limit-Info", "")) for a in answers)


def test_a_query_over_the_row_budget_times_out_and_a_narrower_one_does_not(
        org: Org, emulator: SalesforceEmulator, sf: Salesforce) -> None:
    add_leads(org, 10)
    emulator.set_query_timeout("Lead", over_rows=5)
    for soql in ("SELECT Id FROM Lead", "SELECT COUNT() FROM Lead"):
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.query(soql)
        assert exc.value.status == 400 and error_code(exc) == "QUERY_TIMEOUT"
        assert exc.value.content[0]["message"] == "Your query request was running for too long."
    assert len(sf.query("SELECT Id FROM Lead WHERE LastName LIKE 'Lead 1%'")["records"]) == 1


def test_a_count_only_timeout_leaves_data_queries_alone(
        org: Org, emulator: SalesforceEmulator, sf: Salesforce) -> None:
    add_leads(org, 10)
    emulator.set_query_timeout("Lead", over_rows=5, counts=True, data=False)
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT COUNT() FROM Lead")
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 10


def test_rest_pages_can_be_shorter_than_the_batch_size_until_done(
        org: Org, emulator: SalesforceEmulator, sf: Salesforce) -> None:
    ids = add_leads(org, 12)
    emulator.set_page_rows(5)
    page = sf.query("SELECT Id FROM Lead ORDER BY CreatedDate", headers=BATCH_200)
    sizes, got = [], []
    while True:
        sizes.append(len(page["records"]))
        got += [r["Id"] for r in page["records"]]
        if page["done"]:
            break
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
    assert sizes == [5, 5, 2]
    assert got == ids


def test_bulk_refuses_a_compound_address_field_that_rest_returns_structured(
        org: Org, sf: Salesforce) -> None:
    lead = add_leads(org, 1)[0]
    org.update("Lead", lead, City="Lyon", Country="France")
    record = sf.query("SELECT Id, Address FROM Lead")["records"][0]
    assert record["Address"]["city"] == "Lyon" and record["Address"]["country"] == "France"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.bulk2.Lead._client.create_job("query", "SELECT Id, Address FROM Lead")
    assert error_code(exc) == "FUNCTIONALITY_NOT_ENABLED"
    assert exc.value.content[0]["message"] == "Selecting compound data not supported in Bulk Query"
