"""The Salesforce boundary: the only module that imports ``simple_salesforce``.

It logs in with one of the four auth modes of the spec (section 2.1), runs REST queries page
by page and Bulk API 2.0 query jobs, and turns Salesforce's failure modes into our errors:

- 5xx and connection resets/timeouts are retried with exponential backoff;
- 401 ``INVALID_SESSION_ID`` re-authenticates once where we hold credentials;
- 403 ``REQUEST_LIMIT_EXCEEDED`` stops with :class:`SalesforceLimitError`;
- 403 ``INSUFFICIENT_ACCESS`` (a permission the integration user lacks) is
  :class:`SalesforcePermissionError`;
- 400 ``INVALID_FIELD`` / ``MALFORMED_QUERY`` / ... become :class:`SalesforceQueryError`
  naming the field, which the sync reports as a configuration problem;
- 400 ``QUERY_TIMEOUT`` is :class:`SalesforceQueryTimeout`, so the sync can narrow its window.

``Sforce-Limit-Info: api-usage=N/M`` is read from every response (REST and Bulk, errors too)
so a run can refuse to start when it would take the org past a configured share of its daily
API limit, even for a user who may not read ``/limits``.

Every value read leaves this module in one canonical form, Salesforce's own text forms, whatever
the path: REST JSON (typed: ``true``, ``2500000.0``, ``...000+0000``) and Bulk API 2.0 CSV (text:
``"true"``, ``"2500000"``, ``...000Z``) give the same strings (see :func:`canonical_value`).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.csv as pa_csv
import requests
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.bulk2 import Operation
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)
from simple_salesforce.exceptions import SalesforceError as _SimpleSalesforceError

from routing_health.salesforce.connection import ApiUsage, ConnectionSettings, _with_timeouts
from routing_health.salesforce.errors import (
    INSUFFICIENT_ACCESS,
    SalesforceAuthError,
    SalesforceError,
    SalesforceLimitError,
    SalesforcePermissionError,
    SalesforceQueryError,
    SalesforceUnavailable,
    error_code,
    query_error,
)
from routing_health.salesforce.records import (
    Record,
    _rest_datetime,
    canonical_records,
    canonical_table,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_USAGE_RE = re.compile(r"api-usage=(\d+)/(\d+)")
# Said once per run (and shown on the Health page) when /limits is refused to the user.
USAGE_FROM_HEADER = (
    "API usage read from the Sforce-Limit-Info header: /limits needs View Setup and Configuration"
)
class SalesforceClient:
    """A logged-in connection with retries, one re-authentication and usage tracking.

    ``session`` lets tests route login hosts to a local emulator; production passes none.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        session: requests.Session | None = None,
        max_retries: int = 4,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.session = _with_timeouts(session, settings.timeout_seconds)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._reauthenticated = False
        self.usage: ApiUsage | None = None
        # Set by refresh_usage when /limits was refused and usage comes from the header alone.
        self.usage_warning: str = ""
        self.calls = 0
        self.session.hooks["response"].append(self._read_limit_info)
        self._sf: Salesforce | None = None
        self.bulk_poll_seconds = settings.bulk_poll_seconds
        self._field_types: dict[str, dict[str, str]] = {}

    # -- connection -----------------------------------------------------------------------
    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self._sf = self._login()
        return self._sf

    @property
    def instance_url(self) -> str:
        return f"https://{self.sf.sf_instance}"

    def _login(self) -> Salesforce:
        s = self.settings
        mode = s.auth_mode
        common = {"session": self.session, "version": s.api_version}
        if mode == "session":
            return Salesforce(instance_url=s.instance_url, session_id=s.access_token, **common)
        try:
            if mode == "jwt":
                session_id, instance = SalesforceLogin(
                    username=s.username,
                    consumer_key=s.consumer_key,
                    privatekey_file=s.private_key_file,
                    domain=s.domain,
                    session=self.session,
                    sf_version=s.api_version,
                )
            elif mode == "client_credentials":
                session_id, instance = SalesforceLogin(
                    consumer_key=s.consumer_key,
                    consumer_secret=s.consumer_secret,
                    domain=s.domain,
                    session=self.session,
                    sf_version=s.api_version,
                )
            else:
                session_id, instance = SalesforceLogin(
                    username=s.username,
                    password=s.password,
                    security_token=s.security_token or "",
                    domain=s.domain,
                    session=self.session,
                    sf_version=s.api_version,
                )
        except SalesforceAuthenticationFailed as exc:
            raise SalesforceAuthError(f"Salesforce login ({mode}) failed: {exc.message}") from None
        except requests.RequestException as exc:
            raise SalesforceUnavailable(f"Salesforce login ({mode}) failed: {exc}") from None
        log.info("salesforce login ok mode=%s instance=%s", mode, instance)
        return Salesforce(instance=instance, session_id=session_id, **common)

    # -- the retry envelope ---------------------------------------------------------------
    def call(self, what: str, fn: Callable[[Salesforce], T], *, soql: str = "") -> T:
        """Run ``fn(sf)`` with retries, one re-authentication and error translation."""
        attempt = 0
        while True:
            attempt += 1
            try:
                self.calls += 1
                return fn(self.sf)
            except SalesforceExpiredSession:
                if self.settings.holds_credentials and not self._reauthenticated:
                    log.warning("salesforce session expired during %s: logging in again", what)
                    self._reauthenticated = True
                    self._sf = None
                    continue
                raise SalesforceAuthError(
                    f"Salesforce session expired or invalid during {what}"
                    + ("" if self.settings.holds_credentials else " (SALESFORCE_ACCESS_TOKEN)")
                ) from None
            except SalesforceRefusedRequest as exc:
                code, message = error_code(exc.content)
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise SalesforceLimitError(
                        f"Salesforce API limit reached during {what}: {message}"
                    ) from None
                if code == INSUFFICIENT_ACCESS:
                    raise SalesforcePermissionError(
                        f"Salesforce refused {what} ({code}): {message}"
                    ) from None
                raise SalesforceAuthError(
                    f"Salesforce refused {what} ({code or 403}): {message}"
                ) from None
            except SalesforceMalformedRequest as exc:
                code, message = error_code(exc.content)
                raise query_error(what, code, message, soql) from None
            except SalesforceResourceNotFound as exc:
                # A describe of an object the user cannot see: 404 NOT_FOUND, where a query
                # of it says INVALID_TYPE. Both mean "not available to this user".
                code, message = error_code(exc.content)
                raise SalesforceQueryError(
                    f"Salesforce has no {what} for this user: {code or 'NOT_FOUND'}: {message}",
                    code="INVALID_TYPE",
                    field=None,
                    soql=soql,
                ) from None
            except (SalesforceGeneralError, requests.ConnectionError, requests.Timeout) as exc:
                status = getattr(exc, "status", None)
                retryable = status is None or int(status) >= 500
                if not retryable or attempt > self.max_retries:
                    detail = f"HTTP {status}" if status else type(exc).__name__
                    raise SalesforceUnavailable(
                        f"Salesforce failed during {what} after {attempt} attempt(s): {detail}"
                    ) from None
                delay = self.backoff_seconds * (2 ** (attempt - 1))
                log.warning(
                    "salesforce %s failed (%s), retry %d/%d in %.1fs",
                    what,
                    status or type(exc).__name__,
                    attempt,
                    self.max_retries,
                    delay,
                )
                self._sleep(delay)
            except _SimpleSalesforceError as exc:
                code, message = error_code(exc.content)
                raise SalesforceError(f"Salesforce error during {what}: {code} {message}") from None

    def _read_limit_info(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Every response through our session, REST or Bulk, success or error, may carry it."""
        match = _USAGE_RE.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.usage = ApiUsage(used=int(match.group(1)), max=int(match.group(2)))

    # -- API usage ------------------------------------------------------------------------
    def refresh_usage(self) -> ApiUsage | None:
        """Read ``/limits`` (DailyApiRequests) so usage is known before a run starts.

        An org or proxy that does not serve ``/limits`` is not fatal: usage is then known from
        the ``Sforce-Limit-Info`` header of the first responses. A user without "View Setup and
        Configuration" gets 403 ``INSUFFICIENT_ACCESS`` there: usage then comes from that
        response's header (or, if it had none, from the header of the API's resource list),
        and ``usage_warning`` says so.
        """
        self.usage_warning = ""
        try:
            limits = self.call("limits", lambda sf: sf.limits())
        except SalesforcePermissionError as exc:
            log.warning("salesforce /limits refused (%s); relying on Sforce-Limit-Info", exc)
            self.usage_warning = USAGE_FROM_HEADER
            if self.usage is None:
                self.call("resources", lambda sf: sf.restful("", method="GET"))
            return self.usage
        except (SalesforceAuthError, SalesforceLimitError, SalesforceUnavailable):
            raise
        except SalesforceError as exc:
            log.warning("salesforce /limits unavailable (%s); relying on Sforce-Limit-Info", exc)
            return self.usage
        daily = limits.get("DailyApiRequests") if isinstance(limits, dict) else None
        if daily and daily.get("Max"):
            self.usage = ApiUsage(
                used=int(daily["Max"]) - int(daily["Remaining"]), max=daily["Max"]
            )
        return self.usage

    def ensure_budget(self, estimated_calls: int, *, what: str) -> None:
        """Refuse to start work that would take usage past ``max_api_share`` of the limit."""
        if self.usage is None or not self.usage.max:
            return
        allowed = self.settings.max_api_share * self.usage.max
        if self.usage.used + estimated_calls > allowed:
            raise SalesforceLimitError(
                f"not starting {what}: API usage {self.usage.used}/{self.usage.max} plus about "
                f"{estimated_calls} call(s) would pass {self.settings.max_api_share:.0%} of the "
                "daily limit (SALESFORCE_MAX_API_SHARE)"
            )

    # -- reads ----------------------------------------------------------------------------
    def describe(self, sobject: str) -> dict[str, Any]:
        return self.call(f"describe {sobject}", lambda sf: getattr(sf, sobject).describe())

    def field_types(self, sobject: str) -> dict[str, str]:
        """``sobject``'s field types by lower-cased API name (``boolean``, ``currency``...),
        from one describe per client."""
        types = self._field_types.get(sobject.lower())
        if types is None:
            described = self.describe(sobject)
            types = {
                str(f["name"]).lower(): str(f.get("type", "")) for f in described.get("fields", [])
            }
            self._field_types[sobject.lower()] = types
        return types

    def deleted_records(
        self, sobject: str, start: datetime, end: datetime
    ) -> tuple[list[tuple[str, datetime]], datetime | None]:
        """``GET /sobjects/<sobject>/deleted/?start=&end=``: the records deleted (recycle bin or
        purged) in ``[start, end]`` as ``(Id, deletedDate)``, and ``latestDateCovered``.

        Salesforce serves only the last 15 days (``INVALID_REPLICATION_DATE`` otherwise) and
        ignores seconds.
        """
        result = self.call(
            f"deleted {sobject}", lambda sf: getattr(sf, sobject).deleted(start, end)
        )
        rows = [
            (str(r["id"]), _rest_datetime(r["deletedDate"]))
            for r in result.get("deletedRecords") or []
        ]
        covered = result.get("latestDateCovered")
        return rows, _rest_datetime(covered) if covered else None

    def count(self, soql: str, *, include_deleted: bool = False) -> int:
        result = self.call(
            "count", lambda sf: sf.query(soql, include_deleted=include_deleted), soql=soql
        )
        return int(result["totalSize"])

    def query_pages(
        self,
        soql: str,
        *,
        sobject: str | None = None,
        include_deleted: bool = False,
        batch_size: int = 2000,
    ) -> Iterator[list[Record]]:
        """REST query + queryMore, one list of records per page (``attributes`` removed).

        Values are canonical (:func:`canonical_value`): typed by ``sobject``'s describe when
        given, else by their JSON types.
        """
        types = self.field_types(sobject) if sobject else {}
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        result = self.call(
            "query",
            lambda sf: sf.query(soql, include_deleted=include_deleted, headers=headers),
            soql=soql,
        )
        while True:
            yield canonical_records([_strip_attributes(r) for r in result["records"]], types)
            if result.get("done", True):
                return
            next_url = result["nextRecordsUrl"]
            result = self.call(
                "queryMore",
                lambda sf, url=next_url: sf.query_more(
                    url, identifier_is_url=True, headers=headers
                ),
                soql=soql,
            )

    def bulk_query_pages(
        self,
        sobject: str,
        soql: str,
        *,
        include_deleted: bool = False,
        page_size: int = 50_000,
    ) -> Iterator[list[Record]]:
        """A Bulk API 2.0 query job, one list of records per result page.

        Values are canonical (:func:`canonical_value`, typed by ``sobject``'s describe; empty
        → None); the order of rows is not guaranteed, so callers must not rely on it. Each page
        request is retried on its own and resumes from its locator.
        """
        for table in self.bulk_query_tables(
            sobject, soql, include_deleted=include_deleted, page_size=page_size
        ):
            yield table.to_pylist()

    def bulk_query_tables(
        self,
        sobject: str,
        soql: str,
        *,
        include_deleted: bool = False,
        page_size: int = 50_000,
    ) -> Iterator[pa.Table]:
        """:meth:`bulk_query_pages` as columns: one ``pyarrow`` table of text per page.

        The large backfills parse and normalise whole columns (``routing_health.sync.columns``)
        rather than a dict per record; the values are the same canonical text either way.
        """
        types = self.field_types(sobject)
        operation = Operation.query_all if include_deleted else Operation.query

        def client(sf: Salesforce) -> Any:
            # The per-step client gives page-level retries and resume by locator.
            return getattr(sf.bulk2, sobject)._client

        job = self.call(
            f"bulk job {sobject}", lambda sf: client(sf).create_job(operation, soql), soql=soql
        )
        job_id = job["id"]
        log.info("salesforce bulk job %s created for %s", job_id, sobject)
        self.call(
            f"bulk job {job_id} wait",
            lambda sf: client(sf).wait_for_job(job_id, True, self.bulk_poll_seconds),
        )
        locator = ""
        while True:
            page = self.call(
                f"bulk results {job_id}",
                lambda sf, loc=locator: client(sf).get_query_results(job_id, loc, page_size),
            )
            yield canonical_table(parse_csv_table(page["records"]), types)
            locator = page["locator"]
            if not locator:
                return


def _strip_attributes(record: Record) -> Record:
    record.pop("attributes", None)
    return record


def parse_csv_table(text: str) -> pa.Table:
    """A Bulk API 2.0 CSV page as a table of text columns, in one pass of pyarrow's parser.

    Every column is text (the describe types are applied by ``canonical_table``); an empty
    field is null whether quoted or not, as Salesforce has no empty strings (and
    ``csv.DictReader`` read both as ``""``); quoted values may hold newlines and doubled
    quotes, lines end in LF or CRLF.
    """
    if not text.strip():
        return pa.table({})
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])))
    return pa_csv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )


