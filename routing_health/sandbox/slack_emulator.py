"""A local Slack Web API emulator for tests and the demo.

Speaks enough of the Web API for `slack_sdk.WebClient`: `auth.test`, `chat.postMessage`,
`chat.update` and `conversations.info`, with JSON or form bodies, bearer-token auth and Slack's
habit of answering API errors with HTTP 200 and `{"ok": false, "error": "..."}`. It checks
messages against Slack's Block Kit limits and rejects them as Slack does (`invalid_blocks`,
`msg_too_long`, …), records every accepted message, and injects faults on demand::

    with SlackEmulator(valid_tokens={"xoxb-test"}) as slack:
        slack.faults.add(kind="ratelimited", times=3, retry_after=1)
        WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(...)
        slack.messages  # what was accepted

Fault kinds: "ratelimited" (429 + Retry-After), "server_error" (500/503, an HTML body), "error"
(HTTP 200 with Slack error `error`), "timeout" (answer only after `delay` seconds: the client
may give up while the message still gets posted, as with Slack), "down" (reset connections).
A fault applies `times` times, or until `faults.clear()` when `times` is None.

Plain HTTP on 127.0.0.1 (port 0 = any free port), thread-safe and quiet. No Django, no slack_sdk.
To click a recorded message's Acknowledge / Snooze button (a signed POST to the app), use
`routing_health.sandbox.slack_clicks.click_button`.
Run `python -m routing_health.sandbox.slack_emulator` to watch alerts arrive in a terminal.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from routing_health.sandbox.slack_limits import DEFAULT_BLOCKS_TEXT_LIMIT, validate_message
from routing_health.sandbox.slack_state import (
    EmulatedChannel,
    Fault,
    FaultInjector,
    RecordedCall,
    RecordedMessage,
    _ApiError,
    _Handler,
    _Server,
    _whole_seconds,
    _wire,
    request_params,
    send_response,
)

from .sockets import reset_connection

DEFAULT_TOKEN = "xoxb-emulator-token"
DEFAULT_CHANNEL_ID = "C0ROUTING01"
DEFAULT_CHANNEL_NAME = "routing-alerts"


# --------------------------------------------------------------------------------------------
# The emulator


class SlackEmulator:
    """A Slack Web API on `api_url` ("http://127.0.0.1:PORT/api/"); a context manager.

    - `valid_tokens`: bearer tokens accepted (a mutable set: discard one to revoke it).
    - `channels`: channel names (given IDs C0000001…) or `EmulatedChannel`s; by default one
      channel "#routing-alerts" with ID C0ROUTING01. Also `add_channel()`.
    - `messages`, `calls`: snapshots of what was accepted and of every request.
    - `on_message`: called with each accepted message (from a server thread).
    """

    def __init__(
        self,
        *,
        valid_tokens: Iterable[str] = (DEFAULT_TOKEN,),
        channels: Iterable[EmulatedChannel | str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        blocks_text_limit: int | None = DEFAULT_BLOCKS_TEXT_LIMIT,
        strict_threads: bool = True,
        on_message: Callable[[RecordedMessage], None] | None = None,
    ):
        self.valid_tokens: set[str] = set(valid_tokens)
        self.host = host
        self.port = port
        self.blocks_text_limit = blocks_text_limit
        # Slack's behaviour for an unknown thread_ts is loosely documented; by default we reject
        # it (thread_not_found) so a bug threading replies on the wrong ts shows up in tests.
        self.strict_threads = strict_threads
        self.on_message = on_message
        self.faults = FaultInjector()
        self.channels: dict[str, EmulatedChannel] = {}
        self._lock = threading.RLock()
        self._messages: list[RecordedMessage] = []
        self._calls: list[RecordedCall] = []
        self._last_ts = 0.0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for item in [DEFAULT_CHANNEL_NAME] if channels is None else channels:
            if isinstance(item, EmulatedChannel):
                self.channels[item.id] = item
            elif channels is None:
                self.add_channel(item, id=DEFAULT_CHANNEL_ID)
            else:
                self.add_channel(item)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"slack-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a "timeout" fault
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Slack emulator is not running; call start() first")
        return f"http://{self.host}:{self.port}/api/"

    # -- state -------------------------------------------------------------------------------

    def add_channel(
        self, name: str, *, id: str | None = None, archived: bool = False, member: bool = True
    ) -> EmulatedChannel:
        with self._lock:
            channel_id = id or f"C{len(self.channels) + 1:08d}"
            channel = EmulatedChannel(channel_id, name.lstrip("#"), archived, member)
            self.channels[channel_id] = channel
            return channel

    @property
    def messages(self) -> list[RecordedMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def reset(self) -> None:
        """Forget messages, calls and faults (channels and tokens stay)."""
        with self._lock:
            self._messages.clear()
            self._calls.clear()
        self.faults.clear()

    def _record_call(self, method: str, status: int, error: str | None) -> None:
        with self._lock:
            self._calls.append(RecordedCall(method, status, error))

    def _next_ts(self) -> str:
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    # -- HTTP --------------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        if not url.path.startswith("/api/"):
            send_response(handler, 404, b"Not Found", content_type="text/plain")
            return
        method = url.path[len("/api/") :]
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length > 0 else b""

        fault = self.faults.take(method)
        if fault is not None and self._apply_fault(handler, method, fault):
            return

        status, body = 200, {"ok": True}
        try:
            params = request_params(handler, url.query, raw)
            self._authenticate(handler, params)
            body = self._dispatch(method, params)
        except _ApiError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
        self._record_call(method, status, None if body.get("ok") else body.get("error"))
        send_response(handler, status, body)

    def _apply_fault(self, handler: _Handler, method: str, fault: Fault) -> bool:
        """Act out a fault; True when the request has been answered (or dropped)."""
        if fault.kind == "timeout":
            self._stopping.wait(fault.delay)
            return False  # then answer normally, late
        if fault.kind == "down":
            self._record_call(method, 0, "connection_reset")
            reset_connection(handler)
            return True
        if fault.kind == "ratelimited":
            retry_after = 1 if fault.retry_after is None else fault.retry_after
            self._record_call(method, 429, "ratelimited")
            send_response(
                handler,
                429,
                {"ok": False, "error": "ratelimited"},
                headers={"Retry-After": _whole_seconds(retry_after)},
            )
            return True
        if fault.kind == "server_error":
            status = fault.status or 500
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = _whole_seconds(fault.retry_after)
            self._record_call(method, status, f"http_{status}")
            page = f"<html><body><h1>{status} Server Error</h1></body></html>".encode()
            send_response(handler, status, page, content_type="text/html", headers=headers)
            return True
        # kind == "error": a Slack API error, HTTP 200 like every Slack API error
        self._record_call(method, 200, fault.error)
        send_response(handler, 200, {"ok": False, "error": fault.error})
        return True

    def _authenticate(self, handler: _Handler, params: Mapping[str, Any]) -> None:
        authorization = handler.headers.get("Authorization") or ""
        token = None
        if authorization.lower().startswith("bearer "):
            token = authorization[len("bearer ") :].strip()
        token = token or params.get("token")
        if not token:
            raise _ApiError("not_authed")
        with self._lock:
            if token not in self.valid_tokens:
                raise _ApiError("invalid_auth")

    # -- API methods -------------------------------------------------------------------------

    def _dispatch(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://routing-health-emulated.slack.com/",
                "team": "Routing Health (emulated)",
                "user": "routing-health",
                "team_id": "T0EMULATED",
                "user_id": "U0ROUTING",
                "bot_id": "B0ROUTING",
            }
        if method == "conversations.info":
            channel = self._channel(params.get("channel"), by_name=False)
            return {
                "ok": True,
                "channel": {
                    "id": channel.id,
                    "name": channel.name,
                    "is_channel": True,
                    "is_archived": channel.is_archived,
                    "is_member": channel.is_member,
                },
            }
        if method == "chat.postMessage":
            return self._post_message(params)
        if method == "chat.update":
            return self._update_message(params)
        raise _ApiError("unknown_method")

    def _channel(self, value: Any, *, by_name: bool) -> EmulatedChannel:
        with self._lock:
            if isinstance(value, str) and value:
                if value in self.channels:
                    return self.channels[value]
                if by_name:  # chat.postMessage takes "#name" or "name"; the others need an ID
                    for channel in self.channels.values():
                        if channel.name == value.lstrip("#"):
                            return channel
        raise _ApiError("channel_not_found")

    def _writable_channel(self, value: Any, *, by_name: bool) -> EmulatedChannel:
        channel = self._channel(value, by_name=by_name)
        if channel.is_archived:
            raise _ApiError("is_archived")
        if not channel.is_member:
            raise _ApiError("not_in_channel")
        return channel

    def _content(self, params: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text = params.get("text")
        blocks = params.get("blocks")
        if isinstance(blocks, str):  # form bodies carry blocks as a JSON string
            try:
                blocks = json.loads(blocks)
            except ValueError:
                raise _ApiError("invalid_blocks_format") from None
        problem = validate_message(text, blocks, blocks_text_limit=self.blocks_text_limit)
        if problem is not None:
            error, details = problem
            extra = {"errors": details, "response_metadata": {"messages": details}}
            raise _ApiError(error, **(extra if details else {}))
        return text or "", list(blocks or [])

    def _post_message(self, params: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._writable_channel(params.get("channel"), by_name=True)
        text, blocks = self._content(params)
        thread_ts = params.get("thread_ts") or None
        with self._lock:
            if thread_ts is not None and self.strict_threads:
                if not any(
                    m.channel == channel.id and m.ts == thread_ts and m.thread_ts is None
                    for m in self._messages
                ):
                    raise _ApiError("thread_not_found")
            message = RecordedMessage(channel.id, self._next_ts(), thread_ts, text, blocks)
            self._messages.append(message)
        if self.on_message is not None:
            self.on_message(message)
        return {"ok": True, "channel": channel.id, "ts": message.ts, "message": _wire(message)}

    def _update_message(self, params: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._writable_channel(params.get("channel"), by_name=False)
        ts = params.get("ts")
        if not ts:
            raise _ApiError("message_not_found")
        text, blocks = self._content(params)
        with self._lock:
            for message in self._messages:
                if message.channel == channel.id and message.ts == ts:
                    message.text, message.blocks = text, blocks
                    message.updated = True
                    message.update_count += 1
                    return {
                        "ok": True,
                        "channel": channel.id,
                        "ts": ts,
                        "text": text,
                        "message": _wire(message),
                    }
        raise _ApiError("message_not_found")


def main(argv: list[str] | None = None) -> None:
    """Run the emulator in the foreground and print each message it accepts."""
    parser = argparse.ArgumentParser(description="Local Slack Web API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args(argv)

    def show(message: RecordedMessage) -> None:
        channel = emulator.channels.get(message.channel)
        name = channel.name if channel else message.channel
        where = f" (thread {message.thread_ts})" if message.thread_ts else ""
        print(f"[{message.ts}] #{name}{where}: {message.text}", flush=True)

    emulator = SlackEmulator(
        valid_tokens={args.token}, host=args.host, port=args.port, on_message=show
    )
    with emulator:
        print(
            f"Slack emulator on {emulator.api_url}\n"
            f"  SLACK_API_URL={emulator.api_url} SLACK_BOT_TOKEN={args.token} "
            f"SLACK_CHANNEL={DEFAULT_CHANNEL_ID}",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
