"""Fault injection for the emulators: Salesforce-shaped error responses, dropped connections and
slow answers, matched by method and path substring."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


def error_body(code: str, message: str) -> list[dict[str, str]]:
    """Salesforce's REST/Bulk JSON error body: a one-element list of message and errorCode."""
    return [{"message": message, "errorCode": code}]


INVALID_SESSION = error_body("INVALID_SESSION_ID", "Session expired or invalid")
LIMIT_EXCEEDED = error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
NOT_FOUND = error_body("NOT_FOUND", "The requested resource does not exist")
# Salesforce's JSON error bodies for the statuses tests inject most.
DEFAULT_BODIES: dict[int, list[dict[str, str]]] = {
    400: error_body("MALFORMED_QUERY", "Bad Request"),
    401: INVALID_SESSION,
    403: LIMIT_EXCEEDED,
    404: NOT_FOUND,
    500: error_body("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this "
                    "ErrorId if you contact support: 1837463521-104958 (-1029384756)"),
    502: error_body("SERVER_UNAVAILABLE", "Bad Gateway"),
    503: error_body("SERVER_UNAVAILABLE",
                    "Server temporarily unavailable. Please retry your request later."),
    504: error_body("SERVER_UNAVAILABLE", "Gateway Timeout"),
}
RESET = "reset"
SLOW = "slow"


@dataclass
class Fault:
    """One rule. `kind` is an HTTP status, "reset" (drop the connection unanswered) or "slow"
    (sleep `delay` seconds, then answer normally). The first `after` matching requests pass; the
    next `times` (None: all) are hit. `seen`/`fired` count matches and hits. A `body` of bytes is
    served verbatim (a canned response: `Content-Type` from `headers`, default text/csv)."""

    kind: int | str
    method: str | None = None
    path: str = ""
    after: int = 0
    times: int | None = 1
    delay: float = 0.0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and self.path in path

    def response_body(self) -> Any:
        if self.body is not None:
            return self.body
        assert isinstance(self.kind, int)
        return DEFAULT_BODIES.get(self.kind,
                                  error_body("UNKNOWN_EXCEPTION", f"HTTP {self.kind}"))


class FaultInjector:
    """Thread-safe list of `Fault` rules, consulted once per incoming request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[Fault] = []

    def add(self, kind: int | str = 503, *, method: str | None = None, path: str = "",
            after: int = 0, times: int | None = 1, delay: float = 0.0, body: Any = None,
            headers: dict[str, str] | None = None) -> Fault:
        """Add a rule; e.g. `add(503, path="/query", times=2)`, `add("reset", path="/results")`,
        `add("slow", delay=2.0, path="/jobs/query")`."""
        if isinstance(kind, str) and kind not in (RESET, SLOW):
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = Fault(kind, method, path, after, times, delay, body, dict(headers or {}))
        with self._lock:
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def match(self, method: str, path: str) -> Fault | None:
        """The rule that fires for this request, if any (updates the counters)."""
        hit = None
        with self._lock:
            for fault in self.rules:
                if not fault.matches(method, path):
                    continue
                fault.seen += 1
                active = fault.times is None or fault.fired < fault.times
                if hit is None and fault.seen > fault.after and active:
                    fault.fired += 1
                    hit = fault
        return hit
