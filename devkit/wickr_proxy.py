"""A Wickr fault proxy on 127.0.0.1: forwards to the emulator, and on command garbles, loses or withholds answers.

The function's client is pointed at the proxy (AWS_ENDPOINT_URL_WICKR), so signing, serialization and botocore's
response parsing are all real. Faults are armed per operation (GetUser, ListUsers, GetUsersCount, BatchReinviteUser)
with a count (None: every call):
- `truncate`: the 200 reaches the client cut to half its body, with a Content-Length that matches (a proxy that
  re-frames, a body lost midway): botocore parses what arrives, and a JSON it cannot read becomes `{"message": ...}`;
- `rewrite`: the 200's JSON passes through a function first (drop a field, drop a user from a list, ...);
- `reset`: the request reaches the emulator and takes effect, then the connection is closed without an answer;
- `stall`: the request is accepted and never answered (until the proxy shuts down): the client's read timeout ends it.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from devkit.dynamodb_proxy import serving, take_armed

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]
_ROUTES = (
    ("GET", re.compile(r"^/networks/[^/]+/users/count$"), "GetUsersCount"),
    ("PATCH", re.compile(r"^/networks/[^/]+/users/re-invite$"), "BatchReinviteUser"),
    ("GET", re.compile(r"^/networks/[^/]+/users/[^/]+$"), "GetUser"),
    ("GET", re.compile(r"^/networks/[^/]+/users$"), "ListUsers"),
)


def operation_of(method: str, path: str) -> str:
    """The Wickr operation an HTTP request is (by its method and path, as the model routes it)."""
    route = urlsplit(path).path
    for verb, pattern, operation in _ROUTES:
        if method == verb and pattern.match(route):
            return operation
    return f"{method} {route}"


@dataclass
class WickrFaults:
    """Armed faults (operation -> how many calls still get it; None: every one) and the calls seen."""

    truncate: dict[str, int | None] = field(default_factory=dict)
    reset: dict[str, int | None] = field(default_factory=dict)
    stall: dict[str, int | None] = field(default_factory=dict)
    rewrite: dict[str, tuple[Rewrite, int | None]] = field(default_factory=dict)
    seen: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, kind: dict[str, int | None], operation: str) -> bool:
        """Whether this call of `operation` gets the fault `kind` (and count it off)."""
        return take_armed(kind, operation, self.lock) is not None

    def take_rewrite(self, operation: str) -> Rewrite | None:
        """The rewrite armed for this call of `operation`, if any (counted off)."""
        rewrite: Rewrite | None = take_armed(self.rewrite, operation, self.lock)
        return rewrite

    def clear(self) -> None:
        with self.lock:
            for kind in (self.truncate, self.reset, self.stall, self.rewrite):
                kind.clear()


@contextmanager
def wickr_proxy(target_url: str) -> Iterator[tuple[str, WickrFaults]]:
    """Serve the proxy in front of `target_url`; yields its URL and the faults to arm."""
    target = urlsplit(target_url)
    faults = WickrFaults()
    released = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            operation = operation_of(self.command, self.path)
            with faults.lock:
                faults.seen[operation] += 1
            if faults.take(faults.stall, operation):
                released.wait()  # the client's read timeout ends the call first
                self.close_connection = True
                return
            upstream = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
            headers = dict(self.headers.items())  # Host included: SigV4 signed the proxy's address, as sent
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
            upstream.close()
            if faults.take(faults.reset, operation):
                self.close_connection = True  # took effect upstream, never answered here
                return
            if answer.status == 200:
                rewrite = faults.take_rewrite(operation)
                if rewrite is not None:
                    payload = json.dumps(rewrite(json.loads(payload))).encode()
                if faults.take(faults.truncate, operation):
                    payload = payload[: len(payload) // 2]
            passed = [(k, v) for k, v in answer.getheaders() if k.lower() not in {"content-length", "connection"}]
            self.send_response(answer.status)
            for key, value in passed:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PATCH = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: object) -> None:
            return

    with serving(Handler, released) as url:
        yield url, faults
