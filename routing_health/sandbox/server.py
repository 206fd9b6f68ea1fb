"""The Salesforce REST + Bulk API 2.0 emulator, served over HTTPS on loopback.

    with SalesforceEmulator(org) as emu:
        sf = Salesforce(instance_url=emu.url, session_id=emu.access_token, version="62.0",
                        session=emu.login_session())

The real `simple_salesforce` client runs unmodified: trust `emu.ca_path` (`REQUESTS_CA_BUNDLE`)
or use `emu.login_session()`, which also routes login.salesforce.com / test.salesforce.com /
*.my.salesforce.com to the emulator for the credential logins.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from .access import VIEW_SETUP, Access, TimeoutRule
from .auth import JSON_TYPE, Auth, OAuthClient
from .bulk import BulkQueryJobs
from .faults import INVALID_SESSION, LIMIT_EXCEEDED, RESET, SLOW, FaultInjector, error_body
from .https import _EmulatorAdapter, _Handler, _Server
from .org import Org
from .rest import RestApi, error, not_found
from .sockets import reset_connection
from .tls import TLSMaterial, make_tls
from .writes import RestWrites

_DATA = re.compile(r"^/services/data/v(\d+\.\d)(/.*)?$")
_SOAP = re.compile(r"^/services/Soap/u/(\d+\.\d)/?$")
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern), name)
    for method, pattern, name in [
        ("GET", r"^/?$", "resources"),
        ("GET", r"^/limits/?$", "limits"),
        ("GET", r"^/sobjects/?$", "global_describe"),
        ("GET", r"^/sobjects/(\w+)/?$", "sobject"),
        ("GET", r"^/sobjects/(\w+)/describe/?$", "describe"),
        ("GET", r"^/sobjects/(\w+)/deleted/?$", "deleted"),
        ("GET", r"^/sobjects/(\w+)/([0-9A-Za-z]{15,18})/?$", "record"),
        ("POST", r"^/sobjects/(\w+)/?$", "create"),
        ("DELETE", r"^/sobjects/(\w+)/([0-9A-Za-z]{15,18})/?$", "delete"),
        ("POST", r"^/composite/sobjects/?$", "collection_create"),
        ("DELETE", r"^/composite/sobjects/?$", "collection_delete"),
        ("GET", r"^/(query|queryAll)/?$", "query"),
        ("GET", r"^/(?:query|queryAll)/([\w-]+)/?$", "query_more"),
        ("POST", r"^/jobs/query/?$", "job_create"),
        ("GET", r"^/jobs/query/?$", "job_list"),
        ("GET", r"^/jobs/query/(750\w{15})/?$", "job_status"),
        ("PATCH", r"^/jobs/query/(750\w{15})/?$", "job_abort"),
        ("DELETE", r"^/jobs/query/(750\w{15})/?$", "job_delete"),
        ("GET", r"^/jobs/query/(750\w{15})/results/?$", "job_results"),
    ]
]
log = logging.getLogger(__name__)


class SalesforceEmulator:
    """An emulated Salesforce org over HTTPS on 127.0.0.1 (context manager; `start()` → self).

    Attributes: `org`, `url`, `ca_path`, `access_token` (valid bearer token issued at start),
    `api_version`, `requests_log` [(method, path, query string)], `faults`, `users_credentials`
    {username: (password, security token)}, `bulk` (job store: `in_progress_polls`,
    `fail_next`), `api_usage` (used, max).
    """

    def __init__(self, org: Org | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 api_version: str = "62.0", tls: TLSMaterial | None = None,
                 tls_dir: str | Path | None = None, api_limit: int = 100_000):
        self.org = org or Org()
        self.host, self.port = host, port
        self.api_version = api_version
        self.tls = tls or make_tls(tls_dir)
        self.ca_path = str(self.tls.ca_path)
        self.url = ""
        self.access_token = ""
        self.requests_log: list[tuple[str, str, str]] = []
        self.errors: list[BaseException] = []  # emulator bugs, answered as 500 UNKNOWN_EXCEPTION
        self.faults = FaultInjector()
        self.auth = Auth(self.org, "")
        self.users_credentials = self.auth.users_credentials
        self.access = Access()
        self.rest = RestApi(self.org, api_version, self.access)
        self.bulk = BulkQueryJobs(self.org, self.access)
        self.writes = RestWrites(self.org)
        self._usage_lock = threading.Lock()
        self._used, self._max = 0, api_limit
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> SalesforceEmulator:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self, self.tls.server_context())
        self.port = self._server.server_port
        self.url = f"https://{self.host}:{self.port}"
        self.auth.instance_url = self.url
        self.access_token = self.auth.issue()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"sf-emulator-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SalesforceEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- controls
    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def api_usage(self) -> tuple[int, int]:
        with self._usage_lock:
            return self._used, self._max

    def set_api_usage(self, used: int, max: int) -> None:
        """Set the daily API counter reported in `Sforce-Limit-Info: api-usage=used/max`."""
        with self._usage_lock:
            self._used, self._max = used, max

    def revoke_view_setup(self, user_id: str | None = None) -> None:
        """Take "View Setup and Configuration" from `user_id` (default the integration user):
        `/limits` then answers 403 INSUFFICIENT_ACCESS and setup objects are INVALID_TYPE."""
        self.access.revoke(user_id or self.org.default_user_id, VIEW_SETUP)

    def set_query_timeout(self, sobject: str, *, over_rows: int, counts: bool = True,
                          data: bool = True) -> None:
        """REST queries on `sobject` matching more than `over_rows` rows answer 400
        QUERY_TIMEOUT (`COUNT()` ones if `counts`, row-returning ones if `data`)."""
        self.access.set_query_timeout(sobject, TimeoutRule(over_rows, counts, data))

    def set_page_rows(self, rows: int | None) -> None:
        """At most `rows` records per REST query page, whatever batch size was asked."""
        self.rest.page_rows = rows

    def issue_token(self, user_id: str | None = None) -> str:
        """A new valid bearer token (for `user_id`, default the org's integration user)."""
        return self.auth.issue(user_id)

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (the next data call gets 401)."""
        self.auth.expire_all()

    def add_credentials(self, username: str, password: str, security_token: str = "") -> None:
        """Accept `username` with password+security token (SOAP login, password grant)."""
        self.users_credentials[username] = (password, security_token)

    def register_oauth_client(self, consumer_key: str, consumer_secret: str, *,
                              run_as: str | None = None) -> None:
        """A connected app for the password and client-credentials grants."""
        old = self.auth.clients.get(consumer_key, OAuthClient())
        self.auth.clients[consumer_key] = OAuthClient(consumer_secret, run_as,
                                                      old.public_key_pem, old.jwt_username)

    def register_jwt_client(self, consumer_key: str, public_key_pem: str | bytes,
                            username: str) -> None:
        """A connected app whose JWT bearer assertions must be signed by this RSA key."""
        pem = public_key_pem.decode() if isinstance(public_key_pem, bytes) else public_key_pem
        old = self.auth.clients.get(consumer_key, OAuthClient())
        self.auth.clients[consumer_key] = OAuthClient(old.secret, old.run_as, pem, username)

    def login_session(self) -> requests.Session:
        """A `requests.Session` that reaches this emulator for login.salesforce.com,
        test.salesforce.com, *.my.salesforce.com and `self.url`, verifying TLS with `ca_path`."""
        session = requests.Session()
        session.verify = self.ca_path
        session.mount("https://", _EmulatorAdapter(self.netloc, self.ca_path))
        return session

    # ---------------------------------------------------------------- dispatch
    def _handle(self, handler: _Handler) -> None:
        try:
            self._dispatch(handler)
        except (ConnectionError, ssl.SSLError, TimeoutError):
            handler.close_connection = True
        except Exception as exc:
            self.errors.append(exc)
            log.exception("Salesforce emulator error on %s %s", handler.command, handler.path)
            body = json.dumps(error_body("UNKNOWN_EXCEPTION", f"emulator error: {exc!r}")).encode()
            handler.reply(500, JSON_TYPE, body, self._limit_header())

    def _dispatch(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        method, path = handler.command, parts.path
        self.requests_log.append((method, path, parts.query))
        body = handler.body()  # read first: an unread body would poison a kept-alive connection
        fault = self.faults.match(method, path)
        if fault is not None:
            if fault.kind == RESET:
                reset_connection(handler)
                return
            if fault.kind == SLOW:
                time.sleep(fault.delay)
            else:
                canned = fault.response_body()
                headers = dict(fault.headers)
                if isinstance(canned, bytes):  # a canned answer served verbatim (CSV, JSON text)
                    kind = headers.pop("Content-Type", "text/csv")
                    handler.reply(int(fault.kind), kind, canned, self._limit_header(headers))
                    return
                body = json.dumps(canned).encode()
                handler.reply(int(fault.kind), JSON_TYPE, body, self._limit_header(headers))
                return
        host = (handler.headers.get("Host") or "").split(":")[0].lower()
        if path in ("/services/oauth2/token", "/services/oauth2/token/") and method == "POST":
            handler.reply(*self.auth.oauth_token(body, handler.headers.get("Authorization"),
                                                 host))
            return
        if (m := _SOAP.match(path)) and method == "POST":
            handler.reply(*self.auth.soap_login(body, m.group(1), host))
            return
        if path.rstrip("/") == "/services/data" and method == "GET":
            self._json(handler, *self.rest.versions())
            return
        m = _DATA.match(path)
        if m is None or not self.rest.supports(m.group(1)):
            self._json(handler, *not_found())
            return
        user_id = self.auth.user_for(handler.headers.get("Authorization"))
        if user_id is None:
            self._json(handler, 401, {"WWW-Authenticate": "Token"}, INVALID_SESSION)
            return
        with self._usage_lock:
            if self._used >= self._max:
                exceeded = True
            else:
                exceeded, self._used = False, self._used + 1
        if exceeded:
            self._json(handler, 403, {}, LIMIT_EXCEEDED)
            return
        self.org.route_due()  # the router has run by now: no client sees a lead past its due
        self._json(handler, *self._route(handler, method, m.group(1), m.group(2) or "/",
                                         parts.query, body, user_id))

    def _limit_header(self, headers: dict[str, str] | None = None) -> dict[str, str]:
        used, maximum = self.api_usage
        return {"Sforce-Limit-Info": f"api-usage={used}/{maximum}", **(headers or {})}

    def _json(self, handler: _Handler, status: int, headers: dict[str, str],
              payload: Any) -> None:
        """Answer a data call (JSON, or CSV bytes) with the `Sforce-Limit-Info` header."""
        if isinstance(payload, bytes):
            handler.reply(status, "text/csv", payload, self._limit_header(headers))
            return
        body = b"" if payload is None else json.dumps(payload).encode()
        handler.reply(status, JSON_TYPE, body, self._limit_header(headers))

    def _route(self, handler: _Handler, method: str, version: str, rest: str, query: str,
               body: bytes, user_id: str) -> tuple[int, dict[str, str], Any]:
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        allowed = []
        for route_method, pattern, name in _ROUTES:
            m = pattern.match(rest)
            if m is None:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            args = m.groups()
            api, jobs = self.rest, self.bulk
            if name == "resources":
                return api.resources(version)
            if name == "limits":
                return api.limits(*self.api_usage, user_id=user_id)
            if name == "global_describe":
                return api.global_describe(version)
            if name in ("sobject", "describe"):
                return getattr(api, name)(args[0], version)
            if name == "deleted":
                return api.deleted(args[0], params.get("start"), params.get("end"))
            if name == "record":
                return api.record(args[0], args[1], version)
            if name == "create":
                return self.writes.create(args[0], _json_body(body), user_id,
                                          _auto_assign(handler))
            if name == "delete":
                return self.writes.delete(args[0], args[1])
            if name == "collection_create":
                return self.writes.create_collection(_json_body(body), user_id,
                                                     _auto_assign(handler))
            if name == "collection_delete":
                return self.writes.delete_collection(params.get("ids"), params.get("allOrNone"))
            if name == "query":
                return api.query(params.get("q"), include_deleted=args[0] == "queryAll",
                                 options=handler.headers.get("Sforce-Query-Options"),
                                 version=version, user_id=user_id)
            if name == "query_more":
                return api.query_more(args[0], version)
            if name == "job_create":
                return jobs.create(_json_body(body), user_id, version)
            if name == "job_list":
                return jobs.list()
            if name == "job_status":
                return jobs.status(args[0])
            if name == "job_abort":
                return jobs.abort(args[0], _json_body(body))
            if name == "job_delete":
                return jobs.delete(args[0])
            if name == "job_results":
                return jobs.results(args[0], params.get("maxRecords"), params.get("locator"))
        if allowed:
            return error("METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed "
                         f"are {','.join(sorted(set(allowed)))}", 405)
        return not_found()


def _auto_assign(handler: _Handler) -> bool:
    """The Assignment Rule header: ``Sforce-Auto-Assign: FALSE`` turns the router off for the
    records of this call; absent or TRUE (any case) leaves it on."""
    return (handler.headers.get("Sforce-Auto-Assign") or "TRUE").strip().lower() != "false"


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None
