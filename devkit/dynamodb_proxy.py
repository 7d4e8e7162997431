"""A DynamoDB fault proxy on 127.0.0.1: forwards to moto's server, and on command loses answers or never answers.

Faults are armed per operation (the `X-Amz-Target` header, e.g. "TransactWriteItems"):
- `lose_answer`: the request reaches moto and is applied, then the connection is closed without an answer (what a
  client sees when a network path breaks after DynamoDB committed the write);
- `hang`: the request is accepted and never answered (a DynamoDB that takes connections but does not respond);
- `fail`: answered 500 without reaching moto.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Faults:
    """Armed faults (operation -> how many requests still get it; None = every one) and what was seen."""

    lose_answer: dict[str, int | None] = field(default_factory=dict)
    hang: dict[str, int | None] = field(default_factory=dict)
    fail: dict[str, int | None] = field(default_factory=dict)
    seen: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, kind: dict[str, Any], operation: str) -> bool:
        """Whether this request of `operation` gets the fault `kind` (and count it off)."""
        return take_armed(kind, operation, self.lock) is not None


def take_armed(kind: dict[str, Any], operation: str, lock: threading.Lock) -> Any:
    """The armed fault of `operation` in `kind` (its count, or a (value, count) pair), counted off; None if unarmed.

    A count of None arms every request; a number arms that many, then the fault is disarmed.
    """
    with lock:
        if operation not in kind:
            return None
        armed = kind[operation]
        value, left = armed if isinstance(armed, tuple) else (True, armed)
        if left is not None:
            if left <= 1:
                del kind[operation]
            else:
                kind[operation] = (value, left - 1) if isinstance(armed, tuple) else left - 1
        return value


@contextmanager
def dynamodb_proxy(target_url: str) -> Iterator[tuple[str, Faults]]:
    """Serve the proxy; yields its URL and the faults to arm."""
    target = urlsplit(target_url)
    faults = Faults()
    released = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
            with faults.lock:
                faults.seen[operation] += 1
            if faults.take(faults.hang, operation):
                released.wait()  # until the proxy shuts down: the client's read timeout ends it first
                self.close_connection = True
                return
            if faults.take(faults.fail, operation):
                payload = b'{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected"}'
                self._answer(500, [("Content-Type", "application/x-amz-json-1.0")], payload)
                return
            upstream = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
            headers = {key: value for key, value in self.headers.items() if key.lower() != "host"}
            upstream.request("POST", self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
            upstream.close()
            if faults.take(faults.lose_answer, operation):
                self.close_connection = True  # applied upstream, never answered here
                return
            passed = [(k, v) for k, v in answer.getheaders() if k.lower() not in {"content-length", "connection"}]
            self._answer(answer.status, passed, payload)

        def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return

    with serving(Handler, released) as url:
        yield url, faults


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], released: threading.Event) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 in a thread; yields its URL. On exit, `released` frees any held request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        released.set()
        server.shutdown()
        server.server_close()
        thread.join()
