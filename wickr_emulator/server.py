"""The emulator: its networks and faults, the journal of calls, and the routing of one request to its operation.

The HTTP transport is `transport.py`; the operations are `operations.py`, their wire parts `wire.py`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from email.message import Message
from os import PathLike
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs

from wickr_emulator import model, sigv4
from wickr_emulator.echo import echo_usernames, requested_ids
from wickr_emulator.echo import injected as injected_answer
from wickr_emulator.faults import Faults
from wickr_emulator.journal import Journal, JournalEntry
from wickr_emulator.operations import Service
from wickr_emulator.state import Network, SeedUser, User, UserState, check_network_id, parse_seed
from wickr_emulator.transport import POLL_INTERVAL_S, Server
from wickr_emulator.wire import Answer, Call, error_answer

DEFAULT_CREDENTIALS: Mapping[str, str] = {"testing": "testing"}


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
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Listen and serve in a background thread.

        Returns:
            The emulator.

        Raises:
            RuntimeError: If it is already serving.
        """
        if self._server is not None:
            raise RuntimeError("the Wickr emulator is already running")
        server = Server((self.host, self._requested_port), self)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, name="wickr-emulator", daemon=True
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
        """Count invitations sent, in one network (or, None, in all)."""
        with self._service.lock:
            networks = self._service.networks.values() if network_id is None else [self._service.networks[network_id]]
            return sum(user.invites_sent for network in networks for user in network.ordered)

    def listing_scans(self, network_id: str) -> int:
        """Count the users ListUsers has examined in a network (to show a full listing is linear)."""
        with self._service.lock:
            return self._service.networks[network_id].scanned

    @property
    def journal(self) -> list[JournalEntry]:
        """A copy of every answered call, oldest first."""
        return self._journal.entries()

    def calls(self, operation: str | None = None) -> int:
        """Count answered calls (of `operation` only, when given)."""
        return self._journal.count(operation)

    def reset_journal(self) -> None:
        """Forget every journaled call."""
        self._journal.clear()

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
                answer = self._service.call(call) if injected is None else injected_answer(injected)
                if self.faults.echo_usernames:
                    answer = echo_usernames(self._service, call, answer)
        self._journal.append(
            JournalEntry(
                operation="Unknown" if call is None else call.operation,
                network_id=None if call is None else call.network_id,
                user_ids=answer.user_ids or (() if call is None else requested_ids(call)),
                client_token=headers.get("X-Client-Token"),
                status=answer.status,
                error=answer.error,
                replayed=answer.replayed,
                at=time.time(),
                latency_ms=latency_ms,
            )
        )
        return answer
