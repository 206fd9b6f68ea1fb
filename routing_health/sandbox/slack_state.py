"""The Slack emulator's records (channels, messages, calls), injected faults, and HTTP plumbing.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from routing_health.sandbox.slack_emulator import SlackEmulator


FAULT_KINDS = frozenset({"ratelimited", "server_error", "error", "timeout", "down"})


@dataclass
class EmulatedChannel:
    id: str
    name: str
    is_archived: bool = False
    is_member: bool = True


@dataclass
class RecordedMessage:
    """An accepted message; `updated` once chat.update changed it (`text`/`blocks` are current)."""

    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    updated: bool = False
    update_count: int = 0


@dataclass(frozen=True)
class RecordedCall:
    """One HTTP request: the API method, the HTTP status and the Slack error (None when ok)."""

    method: str
    status: int
    error: str | None


@dataclass
class Fault:
    kind: str
    times: int | None = None
    retry_after: float | None = None
    status: int | None = None
    error: str | None = None
    delay: float = 0.0
    methods: frozenset[str] | None = None


class FaultInjector:
    """Faults applied to the next requests, first added first (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        kind: str,
        *,
        times: int | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        error: str | None = None,
        delay: float = 0.0,
        method: str | Iterable[str] | None = None,
    ) -> Fault:
        """Inject a fault `times` times (None: until cleared), optionally only for `method`(s).

        ratelimited: HTTP 429, `Retry-After: retry_after` (default 1). server_error: `status`
        (default 500). error: HTTP 200 `{"ok": false, "error": error}`. timeout: wait `delay`
        seconds, then answer normally. down: reset the connection without answering.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
        if kind == "error" and not error:
            raise ValueError("an 'error' fault needs error=..., e.g. 'channel_not_found'")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None: until cleared)")
        methods = None
        if method is not None:
            methods = frozenset([method] if isinstance(method, str) else method)
        fault = Fault(kind, times, retry_after, status, error, delay, methods)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str) -> Fault | None:
        """The fault for this request (counting it down), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.methods is not None and method not in fault.methods:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None


def _whole_seconds(seconds: float) -> str:
    # Slack sends whole seconds, and slack_sdk's retry handler int()s the header.
    return str(max(0, math.ceil(seconds)))


def _wire(message: RecordedMessage) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "type": "message",
        "bot_id": "B0ROUTING",
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
    }
    if message.thread_ts:
        wire["thread_ts"] = message.thread_ts
    return wire


class _ApiError(Exception):
    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.extra = extra


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog of 5 drops bursts of concurrent clients

    def __init__(self, address: tuple[str, int], emulator: SlackEmulator):
        self.emulator = emulator
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out or are reset mid-answer are expected; stay quiet


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # avoid 40 ms delayed-ACK stalls between header and body
    server: _Server

    def do_POST(self) -> None:
        self.server.emulator._handle(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


def send_response(
    handler: _Handler,
    status: int,
    body: Mapping[str, Any] | bytes,
    *,
    content_type: str = "application/json; charset=utf-8",
    headers: Mapping[str, str] | None = None,
) -> None:
    """Answer ``handler``'s request: JSON (or raw bytes) with a status and headers."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
    except OSError:
        pass  # the client gave up (e.g. after a "timeout" fault)

def request_params(handler: _Handler, query: str, raw: bytes) -> dict[str, Any]:
    """A Web API call's arguments: the query string, then a JSON or form body."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    content_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "application/json" and raw:
        try:
            data = json.loads(raw)
        except ValueError:
            raise _ApiError("invalid_json") from None
        if not isinstance(data, dict):
            raise _ApiError("json_not_object")
        params.update(data)
    elif raw:
        try:
            params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise _ApiError("invalid_form_data") from None
    return params
