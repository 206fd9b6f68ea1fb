"""The product's only writes: sObject Collections create and delete, for the routing test pack.

Salesforce documents sObject Collections (``POST`` / ``DELETE /composite/sobjects``) as at most
200 records or Ids a call, ``allOrNone`` false by default, one SaveResult / DeleteResult per
record in order. These helpers chunk by 200 and never use ``allOrNone``, so one bad record does
not hide the others' results. They go through :meth:`SalesforceClient.call` like every read
(errors translated, usage tracked) but with no retry of a create: a POST that timed out may
have written, and a second one would write twice. Callers find such leads by their marker.

``org_is_sandbox`` reads ``SELECT IsSandbox FROM Organization``: the routing test pack refuses
to write unless it is true.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from routing_health.salesforce.client import SalesforceClient
from routing_health.salesforce.records import soql_literal

COLLECTION_LIMIT = 200  # records or Ids per sObject Collections call (Salesforce's limit)
T = TypeVar("T")


@dataclass(frozen=True)
class WriteResult:
    """One record's SaveResult / DeleteResult: its Id (None when a create failed) and the
    errors as ``"STATUS_CODE: message"`` strings."""

    id: str | None
    success: bool
    errors: tuple[str, ...] = ()


def _chunks(items: Sequence[T], size: int = COLLECTION_LIMIT) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _result(raw: Mapping[str, Any]) -> WriteResult:
    errors = tuple(
        f"{e.get('statusCode') or e.get('errorCode')}: {e.get('message')}"
        for e in raw.get("errors") or []
    )
    return WriteResult(id=raw.get("id"), success=bool(raw.get("success")), errors=errors)


def create_records(
    client: SalesforceClient, sobject: str, records: Sequence[Mapping[str, Any]]
) -> list[WriteResult]:
    """Insert ``records`` (field → value) as ``sobject`` through sObject Collections, 200 a
    call; one result per record, in order. The org's assignment rules / routing flows run as
    for any API create (no ``Sforce-Auto-Assign`` header: Salesforce's default is TRUE)."""
    results: list[WriteResult] = []
    for chunk in _chunks(records):
        body = {
            "allOrNone": False,
            "records": [{"attributes": {"type": sobject}, **record} for record in chunk],
        }
        answer = _without_retries(
            client,
            f"create {len(chunk)} {sobject}",
            lambda sf, body=body: sf.restful("composite/sobjects", method="POST", json=body),
        )
        results += [_result(raw) for raw in answer or []]
    return results


def delete_records(client: SalesforceClient, ids: Iterable[str]) -> list[WriteResult]:
    """Delete the records ``ids`` (to the recycle bin) through sObject Collections, 200 a call;
    one result per Id, in order. Deleting is idempotent, so failed calls are retried."""
    results: list[WriteResult] = []
    for chunk in _chunks(list(ids)):
        params = {"ids": ",".join(chunk), "allOrNone": "false"}
        answer = client.call(
            f"delete {len(chunk)} records",
            lambda sf, params=params: sf.restful("composite/sobjects", params, method="DELETE"),
        )
        results += [_result(raw) for raw in answer or []]
    return results


def org_is_sandbox(client: SalesforceClient) -> bool:
    """``SELECT IsSandbox FROM Organization``: true only for a sandbox org."""
    soql = "SELECT Id, IsSandbox FROM Organization"
    rows = [row for page in client.query_pages(soql) for row in page]
    return bool(rows) and str(rows[0].get("IsSandbox")).lower() == "true"


def marker_soql(marker_field: str, run_id: str) -> str:
    """The WHERE clause selecting the leads of one run: the marker holds ``<run id>:<case>``."""
    return f"{marker_field} LIKE {soql_literal(run_id + ':%')}"


def _without_retries(client: SalesforceClient, what: str, fn: Any) -> Any:
    saved = client.max_retries
    client.max_retries = 0
    try:
        return client.call(what, fn)
    finally:
        client.max_retries = saved
