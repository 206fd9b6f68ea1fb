"""REST API resources of the emulator: versions, limits, describe, records, query/queryAll with
`nextRecordsUrl` cursors. Each method returns (status, extra headers, JSON payload)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from .access import INSUFFICIENT_ACCESS, QUERY_TIMEOUT, QUERY_TIMEOUT_MESSAGE, VIEW_SETUP, Access
from .faults import NOT_FOUND, error_body
from .formats import json_value, rest_datetime, rest_record, sobject_url
from .ids import to_id18
from .schema import NOT_QUERYABLE
from .soql import parse
from .soql_eval import count, select
from .soql_syntax import INVALID_TYPE, MALFORMED_QUERY, NOT_SUPPORTED_TYPE, Query, SoqlError
from .writes import WRITABLE

if TYPE_CHECKING:
    from .org import Org

Result = tuple[int, dict[str, str], Any]  # status, extra headers, JSON payload or CSV bytes
DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_CURSORS = 500
_LOCATOR_RE = re.compile(r"^(01g[0-9A-Za-z]{15})-(\d+)$")
_BATCH_RE = re.compile(r"batchSize\s*=\s*(\d+)", re.I)
DELETED_WINDOW_DAYS = 15  # getDeleted: no more than 15 days before the day of the call
INVALID_REPLICATION_DATE = "INVALID_REPLICATION_DATE"


def error(code: str, message: str, status: int = 400) -> Result:
    """A Salesforce JSON error answer (`[{"message", "errorCode"}]`), 400 unless told."""
    return status, {}, error_body(code, message)


def not_found() -> Result:
    return 404, {}, NOT_FOUND


def release_label(version: str) -> str:
    """Salesforce's release name for an API version: 62.0 → "Winter '25"."""
    index = int(float(version)) - 60
    season = ("Spring", "Summer", "Winter")[index % 3]
    return f"{season} '{24 + (index + 1) // 3}"


class _Cursor:
    def __init__(self, query: Query, rows: list[dict[str, Any]], batch: int):
        self.query, self.rows, self.batch = query, rows, batch


def hidden_type(query: Query) -> Result:
    """How Salesforce refuses an object the user may not see: as if it did not exist."""
    return error(INVALID_TYPE, NOT_SUPPORTED_TYPE.format(name=query.sobject))


class RestApi:
    """Query cursors and describe data for one emulator.

    `page_rows`: when set, a query page holds at most this many rows whatever batch size the
    client asked for, as Salesforce does for wide rows (it may return fewer than 2,000 rows a
    page; `nextRecordsUrl` is there until `done` is true).
    """

    def __init__(self, org: Org, api_version: str, access: Access | None = None):
        self.org = org
        self.api_version = api_version
        self.access = access or Access()
        self.page_rows: int | None = None
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- discovery
    def versions(self) -> Result:
        top = int(float(self.api_version))
        return 200, {}, [
            {"label": release_label(f"{v}.0"), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(31, top + 1)
        ]

    def supports(self, version: str) -> bool:
        try:
            return 31.0 <= float(version) <= float(self.api_version)
        except ValueError:
            return False

    def resources(self, version: str) -> Result:
        base = f"/services/data/v{version}"
        names = ("sobjects", "query", "queryAll", "limits", "jobs", "composite")
        return 200, {}, {name: f"{base}/{name}" for name in names}

    def limits(self, used: int, maximum: int, user_id: str = "") -> Result:
        if not self.access.has(user_id, VIEW_SETUP):
            return 403, {}, INSUFFICIENT_ACCESS
        return 200, {}, {
            "DailyApiRequests": {"Max": maximum, "Remaining": max(0, maximum - used)},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
        }

    # ---------------------------------------------------------------- describe
    def _spec(self, name: str) -> Any:
        spec = self.org.describe(name)
        return None if spec is None or spec.name in NOT_QUERYABLE else spec

    def _urls(self, version: str, name: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{name}"
        return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}

    def _summary(self, spec: Any, version: str) -> dict[str, Any]:
        return {
            "name": spec.name, "label": spec.label, "labelPlural": spec.label + "s",
            "keyPrefix": spec.key_prefix, "custom": spec.name.endswith(("__c", "__mdt")),
            "queryable": True, "retrieveable": not spec.virtual, "searchable": False,
            "createable": spec.name in WRITABLE, "updateable": False,
            "deletable": spec.name in WRITABLE,
            "replicateable": not spec.virtual, "urls": self._urls(version, spec.name),
        }

    def global_describe(self, version: str) -> Result:
        specs = [s for s in self.org.schemas.values() if s.name not in NOT_QUERYABLE]
        return 200, {}, {"encoding": "UTF-8", "maxBatchSize": 200,
                         "sobjects": [self._summary(s, version) for s in specs]}

    def describe(self, name: str, version: str) -> Result:
        spec = self._spec(name)
        if spec is None:
            return not_found()
        fields = []
        for f in spec.fields.values():
            entry = f.describe()
            if spec.name == "Lead" and f.name == "Status":
                entry["picklistValues"] = [
                    {"active": True, "defaultValue": bool(r.get("IsDefault")),
                     "label": r.get("MasterLabel"), "value": r.get("ApiName")}
                    for r in self.org.records("LeadStatus") if not r.get("IsDeleted")
                ]
            fields.append(entry)
        return 200, {}, {**self._summary(spec, version), "fields": fields,
                         "childRelationships": [], "recordTypeInfos": []}

    def sobject(self, name: str, version: str) -> Result:
        spec = self._spec(name)
        if spec is None:
            return not_found()
        return 200, {}, {"objectDescribe": self._summary(spec, version), "recentItems": []}

    def record(self, name: str, record_id: str, version: str) -> Result:
        spec = self._spec(name)
        if spec is None or spec.virtual:
            return not_found()
        # Stored under the 18-character Id; Salesforce also accepts the 15-character one.
        row = self.org.get(spec.name, to_id18(record_id) or record_id)
        if row is None or row.get("IsDeleted"):
            return not_found()
        out: dict[str, Any] = {"attributes": {"type": spec.name,
                                              "url": sobject_url(version, spec.name, row["Id"])}}
        out.update({name: json_value(row.get(name), f.type) for name, f in spec.fields.items()})
        return 200, {}, out

    # ---------------------------------------------------------------- deleted records
    def deleted(self, name: str, start: str | None, end: str | None) -> Result:
        """``GET /sobjects/<Type>/deleted/?start=&end=`` (sObject Get Deleted, REST API 29.0+).

        As Salesforce documents it: the seconds of start and end are ignored; start must
        precede end by more than a minute and lie within the 15 days before the day of the
        call (else ``INVALID_REPLICATION_DATE``); records deleted to the recycle bin and purged
        ones alike are listed with their ``deletedDate``; ``latestDateCovered`` is at most end
        (never past now) and is where the next call should start.
        """
        spec = self._spec(name)
        if spec is None or spec.virtual:
            return not_found()
        if not start or not end:
            return error("MISSING_ARGUMENT", "start and end are required parameters")
        try:
            begin, finish = _replication_date(start), _replication_date(end)
        except ValueError:
            return error(INVALID_REPLICATION_DATE,
                         f"invalid replication date: start={start!r} end={end!r}")
        now = self.org.now()
        earliest = datetime.combine(now.date() - timedelta(days=DELETED_WINDOW_DAYS), time(),
                                    tzinfo=UTC)
        if self.org.delete_log_floor is not None:
            earliest = max(earliest, self.org.delete_log_floor)
        if finish - begin <= timedelta(minutes=1):
            return error(INVALID_REPLICATION_DATE,
                         "startDate must chronologically precede endDate by more than one minute")
        if begin < earliest:
            return error(INVALID_REPLICATION_DATE,
                         f"startDate {rest_datetime(begin)} is before the earliest date "
                         f"available {rest_datetime(earliest)}")
        covered = min(finish, now.replace(second=0, microsecond=0))
        rows = self.org.deleted_since(spec.name, begin, covered)
        return 200, {}, {
            "deletedRecords": [{"id": record_id, "deletedDate": rest_datetime(when)}
                               for record_id, when in rows],
            "earliestDateAvailable": rest_datetime(earliest),
            "latestDateCovered": rest_datetime(covered),
        }

    # ---------------------------------------------------------------- query
    def query(self, soql: str | None, *, include_deleted: bool, options: str | None,
              version: str, user_id: str = "") -> Result:
        if not soql:
            return error(MALFORMED_QUERY, "A query string has to be specified")
        try:
            query = parse(soql, self.org)
        except SoqlError as exc:
            return 400, {}, exc.body()
        if query.sobject in self.access.hidden_objects(user_id):
            return hidden_type(query)
        if query.count:
            n = count(query, self.org, include_deleted=include_deleted)
            if self.access.times_out(query.sobject, counting=True, rows=n):
                return error(QUERY_TIMEOUT, QUERY_TIMEOUT_MESSAGE)
            if query.count == "COUNT()":
                return 200, {}, {"totalSize": n, "done": True, "records": []}
            rec = {"attributes": {"type": "AggregateResult"}, "expr0": n}
            return 200, {}, {"totalSize": 1, "done": True, "records": [rec]}
        rows = select(query, self.org, include_deleted=include_deleted)
        if self.access.times_out(query.sobject, counting=False, rows=len(rows)):
            return error(QUERY_TIMEOUT, QUERY_TIMEOUT_MESSAGE)
        batch = DEFAULT_BATCH
        if options and (m := _BATCH_RE.search(options)):
            batch = min(DEFAULT_BATCH, max(MIN_BATCH, int(m.group(1))))
        if self.page_rows:
            batch = min(batch, self.page_rows)
        cursor_id = None
        if len(rows) > batch:
            cursor_id = self.org.next_id_for_prefix("01g")
            with self._lock:
                self._cursors[cursor_id] = _Cursor(query, rows, batch)
                while len(self._cursors) > MAX_CURSORS:
                    self._cursors.popitem(last=False)
        return 200, {}, self._page(query, rows, 0, batch, cursor_id, version)

    def query_more(self, locator: str, version: str) -> Result:
        m = _LOCATOR_RE.match(locator)
        with self._lock:
            cursor = self._cursors.get(m.group(1)) if m else None
        if cursor is None or m is None or int(m.group(2)) > len(cursor.rows):
            return error("INVALID_QUERY_LOCATOR", "invalid query locator")
        return 200, {}, self._page(cursor.query, cursor.rows, int(m.group(2)), cursor.batch,
                                   m.group(1), version)

    def _page(self, query: Query, rows: list[dict[str, Any]], start: int, batch: int,
              cursor_id: str | None, version: str) -> dict[str, Any]:
        page = rows[start:start + batch]
        end = start + len(page)
        out: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
        if end < len(rows):
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor_id}-{end}"
        with self.org.lock:
            out["records"] = [rest_record(query, rec, self.org, version) for rec in page]
        return out


def _replication_date(value: str) -> datetime:
    """An ISO 8601 date-time parameter, floored to the minute (Salesforce ignores seconds).
    A literal ``+`` left unencoded in the URL arrives as a space."""
    parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    if parsed.tzinfo is None:
        raise ValueError(f"no time zone in {value!r}")
    return parsed.astimezone(UTC).replace(second=0, microsecond=0)
