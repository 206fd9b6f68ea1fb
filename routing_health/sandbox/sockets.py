"""Socket helpers shared by the local emulators."""

from __future__ import annotations

import socket
import struct
from http.server import BaseHTTPRequestHandler


def reset_connection(handler: BaseHTTPRequestHandler) -> None:
    """Drop the handler's connection unanswered, with a TCP RST instead of a FIN: the client
    sees "connection reset by peer", not a clean close."""
    handler.close_connection = True
    try:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
    except OSError:
        pass
