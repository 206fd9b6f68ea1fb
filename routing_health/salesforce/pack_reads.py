"""The routing test pack's reads: its marked leads, their owner changes, owners by Id or name.

Salesforce API names stay here; the pack's code gets frames with our column names
(``lead_id``, ``created``, ``owner_id`` …) documented in routing_health/routing_tests/judge.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from routing_health.lib.sfid import to_18, to_18_series
from routing_health.salesforce.client import SalesforceClient
from routing_health.salesforce.records import soql_literal
from routing_health.salesforce.writes import COLLECTION_LIMIT, marker_soql

LEAD_COLUMNS = ["lead_id", "marker", "created", "owner_id", "failed_node"]
CHANGE_COLUMNS = ["lead_id", "at", "new_owner_id"]


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(soql_literal(v) for v in values) + ")"


def _rows(client: SalesforceClient, soql: str, sobject: str | None = None) -> list[dict]:
    return [row for page in client.query_pages(soql, sobject=sobject) for row in page]


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def marked_leads(client: SalesforceClient, *, marker_field: str, run_id: str,
                 failed_node_field: str | None) -> pd.DataFrame:
    """The leads whose marker field holds ``<run_id>:<case>``: ``lead_id``, ``marker``,
    ``created`` (UTC), ``owner_id``, ``failed_node`` (None without the field)."""
    node = f", {failed_node_field}" if failed_node_field else ""
    soql = (f"SELECT Id, {marker_field}, CreatedDate, OwnerId{node} FROM Lead "
            f"WHERE {marker_soql(marker_field, run_id)}")
    rows = pd.DataFrame.from_records(_rows(client, soql, "Lead"))
    if rows.empty:
        return pd.DataFrame(columns=LEAD_COLUMNS).astype({"created": "datetime64[ns, UTC]"})
    frame = pd.DataFrame({
        "lead_id": to_18_series(rows["Id"]),
        "marker": rows[marker_field],
        "created": _utc(rows["CreatedDate"]),
        "owner_id": to_18_series(rows["OwnerId"]),
        "failed_node": rows[failed_node_field] if failed_node_field else None,
    }, columns=LEAD_COLUMNS)
    return frame


def owner_changes(client: SalesforceClient, lead_ids: Sequence[str]) -> pd.DataFrame:
    """The leads' owner changes (LeadHistory ``Owner`` rows holding Ids): ``lead_id``, ``at``
    (UTC), ``new_owner_id``."""
    rows: list[dict] = []
    for start in range(0, len(lead_ids), COLLECTION_LIMIT):
        chunk = lead_ids[start : start + COLLECTION_LIMIT]
        soql = ("SELECT LeadId, CreatedDate, NewValue, DataType FROM LeadHistory "
                f"WHERE Field = 'Owner' AND LeadId IN {_in_list(chunk)}")
        rows += _rows(client, soql, "LeadHistory")
    frame = pd.DataFrame.from_records(rows, columns=["LeadId", "CreatedDate", "NewValue",
                                                     "DataType"])
    # An owner change writes two rows: Ids (EntityId) and names (Text); keep the Ids.
    frame = frame[frame["DataType"] == "EntityId"]
    owner = to_18_series(frame["NewValue"].astype(object), errors="coerce")
    frame = pd.DataFrame({
        "lead_id": to_18_series(frame["LeadId"]),
        "at": _utc(frame["CreatedDate"]),
        "new_owner_id": owner,
    }, columns=CHANGE_COLUMNS)
    frame = frame[frame["new_owner_id"].notna()]
    return frame


def owner_names(client: SalesforceClient, ids: Iterable[str]) -> dict[str, str]:
    """Name of each User / Queue Id (18-character keys); unknown Ids are left out."""
    wanted = sorted({to_18(i) for i in ids})
    names: dict[str, str] = {}
    for sobject, prefix in (("User", "005"), ("Group", "00G")):
        of_kind = [i for i in wanted if i.startswith(prefix)]
        for start in range(0, len(of_kind), COLLECTION_LIMIT):
            chunk = of_kind[start : start + COLLECTION_LIMIT]
            soql = f"SELECT Id, Name FROM {sobject} WHERE Id IN {_in_list(chunk)}"
            names |= {to_18(r["Id"]): str(r["Name"]) for r in _rows(client, soql)}
    return names


def owners_named(client: SalesforceClient, names: Iterable[str]) -> dict[str, list[str]]:
    """The Users and Queues of each name: name → their 18-character Ids (empty: none)."""
    wanted = sorted(set(names))
    found: dict[str, list[str]] = {n: [] for n in wanted}
    if not wanted:
        return found
    queries = (f"SELECT Id, Name FROM User WHERE Name IN {_in_list(wanted)}",
               f"SELECT Id, Name FROM Group WHERE Type = 'Queue' AND Name IN {_in_list(wanted)}")
    for soql in queries:
        for row in _rows(client, soql):
            found.setdefault(str(row["Name"]), []).append(to_18(row["Id"]))
    return found
