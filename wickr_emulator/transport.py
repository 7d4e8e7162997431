"""The HTTP/1.1 transport: a threading server that reads each request whole and writes each answer in one piece."""

from __future__ import annotations

import contextlib
import http
import io
import json
import logging
import socket
import threading
import uuid
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, BinaryIO

from wickr_emulator.wire import Answer, error_answer, error_name

if TYPE_CHECKING:
    from wickr_emulator.server import WickrEmulator

logger = logging.getLogger("wickr_emulator.server")

_MAX_BODY = 1 << 20  # far above any 50-user batch; refuses runaway bodies
POLL_INTERVAL_S = 0.01  # how often serve_forever looks for shutdown: bounds the cost of stop(), not of a call


class _BadRequestError(Exception):
    """The bytes on the wire are not an HTTP request body we can read."""


def _read_chunked(rfile: BinaryIO | io.BufferedIOBase) -> bytes:
    parts: list[bytes] = []
    size_total = 0
    while True:
        line = rfile.readline(1024)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise _BadRequestError("malformed chunk size") from None
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers carry nothing the API uses
            return b"".join(parts)
        size_total += size
        if size_total > _MAX_BODY:
            raise _BadRequestError("request body too large")
        parts.append(rfile.read(size))
        rfile.readline(1024)


def _read_body(headers: Message, rfile: BinaryIO | io.BufferedIOBase) -> bytes:
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        return _read_chunked(rfile)
    raw_length = headers.get("Content-Length")
    if raw_length is None:
        return b""
    try:
        length = int(raw_length)
    except ValueError:
        raise _BadRequestError("malformed Content-Length") from None
    if not 0 <= length <= _MAX_BODY:
        raise _BadRequestError("request body too large")
    return rfile.read(length) if length else b""


class Server(ThreadingHTTPServer):
    """Serves one emulator, and tracks its connections so stop() can close idle keep-alive ones."""

    daemon_threads = True  # an idle keep-alive connection must not keep the process (or stop()) waiting

    def __init__(self, address: tuple[str, int], emulator: WickrEmulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket) -> None:
        """A connection was accepted."""
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """A connection was closed."""
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut every open connection down (stop() does, so no client waits on a dead server)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects
    # Sets TCP_NODELAY on each accepted socket: with Nagle on, a reply split over two segments waits ~40 ms for
    # the client's delayed ACK. _send() also writes each reply in one piece, so nothing waits either way.
    disable_nagle_algorithm = True
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def do_GET(self) -> None:  # http.server's naming
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        try:
            body = _read_body(self.headers, self.rfile)
        except _BadRequestError as error:
            self.close_connection = True  # the stream position is unknown: do not read another request from it
            self._send(error_answer(400, str(error)))
            return
        try:
            answer = self.server.emulator.answer(self.command, self.path, self.headers, body)
        except Exception:  # a bug in the emulator must still answer (and be seen), not hang the caller
            logger.exception("the Wickr emulator failed to answer %s %s", self.command, self.path)
            answer = error_answer(500, "The Wickr emulator failed; see its log")
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        payload = json.dumps(answer.body, separators=(",", ":")).encode()
        try:
            phrase = http.HTTPStatus(answer.status).phrase
        except ValueError:
            phrase = ""
        lines = [
            f"{self.protocol_version} {answer.status} {phrase}",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
            f"x-amzn-RequestId: {uuid.uuid4()}",
            f"Date: {formatdate(usegmt=True)}",
        ]
        if answer.error is not None and error_name(answer.status) is not None:
            lines.append(f"x-amzn-ErrorType: {answer.error}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write, one send: wfile is unbuffered (wbufsize 0), so this is a single sendall.
        self.wfile.write(head + payload)
        if self.server.emulator.verbose:
            self.log_request(answer.status, len(payload))

    def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
        if self.server.emulator.verbose:
            super().log_message(format, *args)
