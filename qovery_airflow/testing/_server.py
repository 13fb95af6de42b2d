"""The socket side of the fake: a threading HTTP/1.1 server from the standard library.

`http.server` is used rather than an ASGI server because fault injection needs control of
the socket itself: a connection reset (SO_LINGER 0, then close) and a body cut short
after its headers announced more are things ASGI servers deliberately hide.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from qovery_airflow.testing._app import FakeApp, Reply

log = logging.getLogger("qovery_airflow.testing")


class FakeHTTPServer(ThreadingHTTPServer):
    """One thread per connection; connections are tracked so that stopping closes them."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: FakeApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """End idle keep-alive connections, so no client talks to a stopped fake."""
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-request are normal in fault tests; keep stderr quiet.
        log.debug("Connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeHTTPServer
    # Idle keep-alive connections give up after this long.
    timeout = 120
    # Headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK of the headers, adding ~40 ms to every answer.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        # The app already logs one line per request with its outcome.
        log.debug("%s " + format, self.address_string(), *args)

    def _dispatch(self) -> None:
        raw = self._read_body()
        headers = dict(self.headers.items())
        reply = self.server.app.handle(self.command, self.path, headers, raw)
        if reply.mode == "reset":
            self._reset()
        else:
            self._write(reply)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, reply: Reply) -> None:
        body = reply.body
        sent = body
        if reply.mode == "truncated":
            # Announce the whole body, send half of it, then hang up.
            sent = body[: len(body) // 2]
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if sent:
            self.wfile.write(sent)
        if reply.mode == "truncated":
            self.wfile.flush()
            self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection: SO_LINGER 0 makes close() send RST instead of FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The stream objects hold references to the socket; close them all so the
        # descriptor is released now and the kernel sends the RST.
        with contextlib.suppress(OSError):
            self.rfile.close()
        with contextlib.suppress(OSError):
            self.wfile.close()
        with contextlib.suppress(OSError):
            self.connection.close()
