"""The Salesforce emulator's HTTPS plumbing: the threaded TLS server, its request handler,
and the requests adapter that sends Salesforce's login hosts to the emulator."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from .auth import JSON_TYPE, LOGIN_HOSTS

if TYPE_CHECKING:
    from .server import SalesforceEmulator

log = logging.getLogger("routing_health.sandbox.server")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_version = "SalesforceEmulator"
    sys_version = ""
    timeout = 120
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.server.emulator._handle(self)

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, content_type: str | None, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type or JSON_TYPE)
            self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if status != 204 and self.command != "HEAD":
            self.wfile.write(body)



class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: SalesforceEmulator,
                 context: ssl.SSLContext):
        self.emulator = emulator
        self.context = context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # skip HTTPServer's getfqdn(): a DNS lookup we don't need
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS handshake here, in the connection's thread, so a slow client can't stall accept().
        request.settimeout(30)
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with self.connections_lock:
            self.connections.add(conn)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ConnectionError, ssl.SSLError, TimeoutError):
            pass
        finally:
            with self.connections_lock:
                self.connections.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("emulator connection error", exc_info=True)  # quiet: no stderr per request

    def close_connections(self) -> None:
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _EmulatorAdapter(HTTPAdapter):
    """Sends requests for the Salesforce login hosts (and any *.my.salesforce.com) to the
    emulator, keeping the original `Host` header; verifies TLS against the emulator CA."""

    def __init__(self, netloc: str, ca_path: str):
        super().__init__()
        self.netloc, self.ca_path = netloc, ca_path

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        host = parts.hostname or ""
        emulated = host in LOGIN_HOSTS or host.endswith(".my.salesforce.com")
        if emulated or parts.netloc == self.netloc:
            if emulated:
                request.headers["Host"] = parts.netloc
                request.url = urlunsplit(parts._replace(netloc=self.netloc))
            kwargs["verify"] = self.ca_path
            kwargs["proxies"] = {}
        return super().send(request, **kwargs)
