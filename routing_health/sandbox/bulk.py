"""Bulk API 2.0 query jobs: create, poll, page through CSV results with locators, abort, delete.

The result set is evaluated once, when the job is created, and kept as a snapshot. Salesforce
does not promise Bulk results in ORDER BY order, so rows are served in a deterministic shuffle:
a client must sort after fetching. COUNT()/aggregates and OFFSET are refused as Salesforce does.
"""

from __future__ import annotations

import base64
import binascii
import random
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .access import Access
from .formats import COLUMN_DELIMITERS, LINE_ENDINGS, CsvWriter, rest_datetime
from .rest import Result, error, hidden_type, not_found
from .schema import COMPOUND_TYPES
from .soql import parse
from .soql_eval import select
from .soql_syntax import SoqlError

if TYPE_CHECKING:
    from .org import Org

DEFAULT_PAGE_SIZE = 50_000
MAX_JOBS = 200  # oldest jobs (and their snapshots) are dropped beyond this


def encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int | None:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
        return int(text) if text.isdigit() else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@dataclass
class QueryJob:
    id: str
    operation: str
    object: str
    created_by: str
    created: datetime
    api_version: str
    column_delimiter: str
    line_ending: str
    rows: list[dict[str, Any]]
    writer: CsvWriter
    polls_left: int = 0
    state: str = "UploadComplete"
    error_message: str | None = None
    modstamp: datetime | None = None

    def info(self, *, detailed: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "operation": self.operation, "object": self.object,
            "createdById": self.created_by, "createdDate": rest_datetime(self.created),
            "systemModstamp": rest_datetime(self.modstamp or self.created), "state": self.state,
            "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": float(self.api_version), "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
        }
        if detailed:
            done = self.state == "JobComplete"
            out.update(jobType="V2Query", numberRecordsProcessed=len(self.rows) if done else 0,
                       retries=0, totalProcessingTime=max(1, len(self.rows) // 1000) if done
                       else 0, isPkChunkingSupported=True)
            if self.error_message:
                out["errorMessage"] = self.error_message
        return out


class BulkQueryJobs:
    """The Bulk 2.0 query jobs of one emulator.

    `in_progress_polls`: how many status polls answer "InProgress" before "JobComplete".
    `fail_next`: if set, the next job created ends "Failed" with this errorMessage.
    """

    def __init__(self, org: Org, access: Access | None = None):
        self.org = org
        self.access = access or Access()
        self.in_progress_polls = 0
        self.fail_next: str | None = None
        self._jobs: dict[str, QueryJob] = {}
        self._lock = threading.Lock()

    def create(self, body: Any, user_id: str, version: str) -> Result:
        if not isinstance(body, dict):
            return error("JSON_PARSER_ERROR", "The request body is not a JSON object")
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            return error("INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        delimiter = body.get("columnDelimiter") or "COMMA"
        line_ending = body.get("lineEnding") or "LF"
        if delimiter not in COLUMN_DELIMITERS or line_ending not in LINE_ENDINGS:
            return error("INVALIDJOB", "InvalidJob : Invalid columnDelimiter or lineEnding")
        if (body.get("contentType") or "CSV") != "CSV":
            return error("INVALIDJOB", "InvalidJob : Invalid contentType, only CSV is supported")
        if not body.get("query"):
            return error("INVALIDJOB", "InvalidJob : Query is required for query jobs")
        try:
            query = parse(body["query"], self.org)
        except SoqlError as exc:
            return 400, {}, exc.body()
        if query.sobject in self.access.hidden_objects(user_id):
            return hidden_type(query)
        if not query.spec.bulk_supported:
            return error("INVALIDENTITY",
                         f"Entity '{query.sobject}' is not supported by the Bulk API.")
        if query.count:
            return error("API_ERROR", "Aggregate Relationships not supported in Bulk Query")
        if any(path.leaf.type in COMPOUND_TYPES for path in query.fields):
            return error("FUNCTIONALITY_NOT_ENABLED",
                         "Selecting compound data not supported in Bulk Query")
        if query.offset is not None:
            return error("API_ERROR", "OFFSET clause is not supported in Bulk Query")
        rows = select(query, self.org, include_deleted=operation == "queryAll")
        job_id = self.org.next_id_for_prefix("750")
        random.Random(job_id).shuffle(rows)
        job = QueryJob(
            id=job_id, operation=operation, object=query.sobject, created_by=user_id,
            created=self.org.now(), api_version=version, column_delimiter=delimiter,
            line_ending=line_ending, rows=rows, polls_left=self.in_progress_polls,
            writer=CsvWriter(query.fields, self.org, column_delimiter=delimiter,
                             line_ending=line_ending),
        )
        if self.fail_next:
            job.error_message, self.fail_next = self.fail_next, None
        with self._lock:
            self._jobs[job_id] = job
            while len(self._jobs) > MAX_JOBS:
                del self._jobs[next(iter(self._jobs))]
        return 200, {}, job.info(detailed=False)

    def _job(self, job_id: str) -> QueryJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _settle(self, job: QueryJob) -> None:
        """Finish a job with no "InProgress" polls left: a client need not poll a job that is
        already done before reading its results or deleting it."""
        if job.state in ("UploadComplete", "InProgress") and job.polls_left == 0:
            self.status(job.id)

    def status(self, job_id: str) -> Result:
        job = self._job(job_id)
        if job is None:
            return not_found()
        with self._lock:
            if job.state in ("UploadComplete", "InProgress"):
                if job.polls_left > 0:
                    job.polls_left -= 1
                    job.state = "InProgress"
                else:
                    job.state = "Failed" if job.error_message else "JobComplete"
                    job.modstamp = self.org.now()
        return 200, {}, job.info(detailed=True)

    def results(self, job_id: str, max_records: str | None, locator: str | None) -> Result:
        job = self._job(job_id)
        if job is None:
            return not_found()
        self._settle(job)
        if job.state != "JobComplete":
            return error("API_ERROR", f"Job {job_id} is in state {job.state}; results are "
                         "available once it is JobComplete")
        try:
            size = int(max_records) if max_records else DEFAULT_PAGE_SIZE
        except ValueError:
            size = 0
        if size <= 0:
            return error("INVALIDPARAMETER", "maxRecords must be a positive integer")
        start = 0
        if locator:
            decoded = decode_locator(locator)
            if decoded is None or decoded > len(job.rows):
                return error("INVALID_LOCATOR", f"Invalid locator: {locator}")
            start = decoded
        page = job.rows[start:start + size]
        end = start + len(page)
        headers = {
            "Sforce-Locator": encode_locator(end) if end < len(job.rows) else "null",
            "Sforce-NumberOfRecords": str(len(page)),
        }
        return 200, headers, job.writer.page(page)

    def abort(self, job_id: str, body: Any) -> Result:
        job = self._job(job_id)
        if job is None:
            return not_found()
        if not isinstance(body, dict) or body.get("state") != "Aborted":
            return error("INVALIDJOB", "InvalidJob : a query job can only be set to Aborted")
        with self._lock:
            if job.state in ("JobComplete", "Failed", "Aborted"):
                return error("API_ERROR", f"Job {job_id} is already {job.state}")
            job.state, job.modstamp = "Aborted", self.org.now()
        return 200, {}, job.info(detailed=False)

    def delete(self, job_id: str) -> Result:
        """Delete a terminated job: 204 No Content, as Salesforce answers."""
        job = self._job(job_id)
        if job is not None:
            self._settle(job)
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return not_found()
            if job.state not in ("JobComplete", "Aborted", "Failed"):
                return error("API_ERROR", "Error encountered when deleting the job because "
                             "the job is not terminated")
            del self._jobs[job_id]
        return 204, {}, None

    def list(self) -> Result:
        with self._lock:
            records = [job.info(detailed=False) for job in self._jobs.values()]
        return 200, {}, {"done": True, "records": records, "nextRecordsUrl": None}
