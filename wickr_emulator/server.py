"""The HTTP side: a threading HTTP/1.1 server that speaks the Wickr Admin API's rest-json wire format."""

from __future__ import annotations

import contextlib
import http
import io
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from os import PathLike
from types import TracebackType
from typing import Any, BinaryIO, Self
from urllib.parse import parse_qs, unquote

from wickr_emulator import model, sigv4
from wickr_emulator.faults import Faults
from wickr_emulator.journal import Journal, JournalEntry
from wickr_emulator.operations import Answer, Call, Service, error_answer, error_name
from wickr_emulator.state import Network, SeedUser, User, UserState, check_network_id, parse_seed

logger = logging.getLogger(__name__)
_MAX_BODY = 1 << 20  # far above any 50-user batch; refuses runaway bodies
_POLL_INTERVAL_S = 0.01  # how often serve_forever looks for shutdown: bounds the cost of stop(), not of a call
DEFAULT_CREDENTIALS: Mapping[str, str] = {"testing": "testing"}


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


def _requested_ids(call: Call) -> tuple[str, ...]:
    if "userId" in call.labels:
        return (unquote(call.labels["userId"]),)
    if call.operation == "BatchReinviteUser":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            data = json.loads(call.body or b"{}")
            ids = data.get("userIds") if isinstance(data, dict) else None
            if isinstance(ids, list):
                return tuple(str(user_id) for user_id in ids)
    return ()


def _injected(status: int) -> Answer:
    message = "Rate exceeded" if status == 429 else f"Injected {error_name(status) or status}"
    return error_answer(status, message)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an idle keep-alive connection must not keep the process (or stop()) waiting

    def __init__(self, address: tuple[str, int], emulator: WickrEmulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
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
    server: _Server

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


class WickrEmulator:
    """An in-process Wickr Admin API over real HTTP, with fault injection and a journal of calls.

    Point boto3 at it with `AWS_ENDPOINT_URL_WICKR=emulator.url`. Usable as a context manager (start/stop).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = 100,
        credentials: Mapping[str, str] | None = None,
        seed: int | None = 0,
        *,
        accept_any_key: bool = False,
        verbose: bool = False,
    ) -> None:
        """Configure the emulator (nothing listens until start()).

        Args:
            host: The address to listen on.
            port: The port to listen on (0: any free port; read it back from `url` or `port`).
            page_size: ListUsers' largest page (the model's is 100; a smaller one makes tests page sooner).
            credentials: Access key id -> secret key whose signatures are verified (default testing/testing).
            seed: Seeds the fault RNG (None: unseeded).
            accept_any_key: Accept requests signed with an unknown access key (signature not verified).
            verbose: Log each request to stderr, as http.server does by default.
        """
        self.host = host
        self._requested_port = port
        self.faults = Faults(seed)
        self.verbose = verbose
        self._credentials = dict(DEFAULT_CREDENTIALS if credentials is None else credentials)
        self._accept_any_key = accept_any_key
        self._service = Service(self.faults, page_size)
        self._journal = Journal()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen and serve in a background thread.

        Returns:
            The emulator.

        Raises:
            RuntimeError: If it is already serving.
        """
        if self._server is not None:
            raise RuntimeError("the Wickr emulator is already running")
        server = _Server((self.host, self._requested_port), self)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": _POLL_INTERVAL_S}, name="wickr-emulator", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (a no-op when not serving)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        """Start serving unless already serving.

        Returns:
            The emulator.
        """
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        """Stop serving."""
        self.stop()

    @property
    def port(self) -> int:
        """The port being served.

        Raises:
            RuntimeError: When not serving.
        """
        if self._server is None:
            raise RuntimeError("the Wickr emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The endpoint URL, e.g. `http://127.0.0.1:8787`, for AWS_ENDPOINT_URL_WICKR."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def page_size(self) -> int:
        """ListUsers' default and largest page."""
        return self._service.page_size

    # --- seeding and inspection ------------------------------------------------------------------------------

    def add_network(self, network_id: str) -> None:
        """Create an empty network (no-op if it exists).

        Args:
            network_id: An 8-digit network id.
        """
        check_network_id(network_id)
        with self._service.lock:
            self._service.networks.setdefault(network_id, Network(network_id))

    def add_user(self, network_id: str, user: SeedUser) -> None:
        """Add one user, creating the network if needed.

        Args:
            network_id: An 8-digit network id.
            user: The user.
        """
        self.add_users(network_id, (user,))

    def add_users(self, network_id: str, users: Iterable[SeedUser]) -> int:
        """Add users in order (all or none), creating the network if needed.

        Args:
            network_id: An 8-digit network id.
            users: The users.

        Returns:
            How many were added.

        Raises:
            ValueError: If an id is already in the network or repeated among `users`.
        """
        check_network_id(network_id)
        records = [User.from_seed(user) for user in users]
        with self._service.lock:
            network = self._service.networks.setdefault(network_id, Network(network_id))
            seen: set[str] = set()
            for record in records:
                if record.user_id in network.by_id or record.user_id in seen:
                    raise ValueError(f"user {record.user_id} already exists in network {network_id}")
                seen.add(record.user_id)
            for record in records:
                network.add(record)
        return len(records)

    def remove_user(self, network_id: str, user_id: str) -> None:
        """Delete a user (as an administrator's BatchDeleteUser would): Wickr no longer knows its id.

        Args:
            network_id: The network.
            user_id: The user.

        Raises:
            KeyError: If there is no such user.
        """
        with self._service.lock:
            network = self._service.networks.get(network_id)
            if network is None:
                raise KeyError(f"no network {network_id}")
            network.remove(user_id)

    def load_seed(self, source: str | PathLike[str] | Mapping[str, Any]) -> None:
        """Add the networks and users of a seed file (see `state.parse_seed` for the format).

        Args:
            source: A path to the JSON file, or its parsed content.
        """
        for network_id, users in list(parse_seed(source)):
            self.add_network(network_id)
            self.add_users(network_id, users)

    def network_ids(self) -> list[str]:
        """List the networks.

        Returns:
            Their ids, in creation order.
        """
        with self._service.lock:
            return list(self._service.networks)

    def _record(self, network_id: str, user_id: str) -> User:
        network = self._service.networks.get(network_id)
        user = None if network is None else network.by_id.get(user_id)
        if user is None:
            raise KeyError(f"no user {user_id} in network {network_id}")
        return user

    def user(self, network_id: str, user_id: str) -> UserState:
        """Snapshot one user's current state.

        Args:
            network_id: The network.
            user_id: The user.

        Returns:
            The snapshot.

        Raises:
            KeyError: If there is no such user.
        """
        with self._service.lock:
            return self._record(network_id, user_id).snapshot()

    def users(self, network_id: str) -> list[UserState]:
        """Snapshot every user of a network.

        Args:
            network_id: The network.

        Returns:
            The snapshots, in insertion order.

        Raises:
            KeyError: If there is no such network.
        """
        with self._service.lock:
            return [user.snapshot() for user in self._service.networks[network_id].ordered]

    def update_user(
        self,
        network_id: str,
        user_id: str,
        *,
        status: int | None = None,
        suspended: bool | None = None,
        is_invite_expired: bool | None = None,
    ) -> UserState:
        """Change a user as the outside world would (accepting an invitation, being suspended, ...).

        Args:
            network_id: The network.
            user_id: The user.
            status: 1 (pending) or 2 (active).
            suspended: Whether the user is suspended.
            is_invite_expired: Whether the invitation code has expired.

        Returns:
            The user's new state.

        Raises:
            ValueError: On an unknown status.
        """
        if status is not None and status not in (1, 2):
            raise ValueError(f"status must be 1 or 2, got {status}")
        with self._service.lock:
            user = self._record(network_id, user_id)
            if status is not None:
                user.status = status
            if suspended is not None:
                user.suspended = suspended
            if is_invite_expired is not None:
                user.is_invite_expired = is_invite_expired
            return user.snapshot()

    def invites_sent(self, network_id: str, user_id: str) -> int:
        """Count the invitations BatchReinviteUser actually sent to a user (replays excluded).

        Args:
            network_id: The network.
            user_id: The user.

        Returns:
            The count.

        Raises:
            KeyError: If there is no such user.
        """
        with self._service.lock:
            return self._record(network_id, user_id).invites_sent

    def total_invites_sent(self, network_id: str | None = None) -> int:
        """Count invitations sent, in one network or in all.

        Args:
            network_id: The network (None: all).

        Returns:
            The count.
        """
        with self._service.lock:
            networks = self._service.networks.values() if network_id is None else [self._service.networks[network_id]]
            return sum(user.invites_sent for network in networks for user in network.ordered)

    def listing_scans(self, network_id: str) -> int:
        """Count the users ListUsers has examined in a network (to show a full listing is linear).

        Args:
            network_id: The network.

        Returns:
            The count.
        """
        with self._service.lock:
            return self._service.networks[network_id].scanned

    @property
    def journal(self) -> list[JournalEntry]:
        """A copy of every answered call, oldest first."""
        return self._journal.entries()

    def calls(self, operation: str | None = None) -> int:
        """Count answered calls.

        Args:
            operation: Count only this operation's calls.

        Returns:
            The count.
        """
        return self._journal.count(operation)

    def reset_journal(self) -> None:
        """Forget every journaled call."""
        self._journal.clear()

    # --- serving ---------------------------------------------------------------------------------------------

    def _echo_usernames(self, call: Call, answer: Answer) -> Answer:
        """The answer with the usernames of the call in its error message, its `reasons` and its failed items."""
        with self._service.lock:
            network = self._service.networks.get(call.network_id or "")
            known = network.by_id if network is not None else {}
            names = {uid: known[uid].username for uid in _requested_ids(call) if uid in known}
        query = call.query.get("username", [])
        echo = ", ".join([*query, *names.values()]) or "nobody"
        body = dict(answer.body)
        if answer.status >= 300:
            body["message"] = f"{body.get('message', '')} (usernames: {echo})"
            if "reasons" in body:
                body["reasons"] = [{**reason, "reason": f"{reason['reason']} for {echo}"} for reason in body["reasons"]]
        elif "failed" in body:
            body["failed"] = [
                {**item, "reason": f"{item.get('reason', '')}: {names.get(item['userId'], echo)}"}
                for item in body["failed"]
            ]
        return replace(answer, body=body)

    def answer(self, method: str, target: str, headers: Message, body: bytes) -> Answer:
        """Answer one HTTP request and journal it (called by the HTTP handler; usable without a socket).

        Args:
            method: The HTTP method.
            target: The request target as received (path and query).
            headers: The request headers.
            body: The request body.

        Returns:
            The answer.
        """
        latency_ms = self.faults.latency_ms
        if latency_ms > 0:
            time.sleep(latency_ms / 1000)  # outside every lock: a slow call must not slow the others
        path, _, query = target.partition("?")
        routed = model.match_route(method, path)
        call = None
        if routed is not None:
            route, labels = routed
            call = Call(
                route.operation, labels, parse_qs(query, keep_blank_values=True), headers.get("X-Client-Token"), body
            )
        try:
            sigv4.verify(method, target, headers, body, self._credentials, accept_any_key=self._accept_any_key)
        except sigv4.AuthError as error:
            answer = error_answer(401, str(error))
        else:
            if call is None:
                answer = error_answer(404, f"No Wickr Admin API operation matches {method} {path}")
            else:
                injected = self.faults.call_fault(call.operation, call.network_id)
                answer = self._service.call(call) if injected is None else _injected(injected)
                if self.faults.echo_usernames:
                    answer = self._echo_usernames(call, answer)
        self._journal.append(
            JournalEntry(
                operation="Unknown" if call is None else call.operation,
                network_id=None if call is None else call.network_id,
                user_ids=answer.user_ids or (() if call is None else _requested_ids(call)),
                client_token=headers.get("X-Client-Token"),
                status=answer.status,
                error=answer.error,
                replayed=answer.replayed,
                at=time.time(),
                latency_ms=latency_ms,
            )
        )
        return answer
