"""The record of every call the emulator answered, for tests and benchmarks to assert on."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class JournalEntry:
    """One answered call.

    Attributes:
        operation: The operation name ("GetUser", ...), or "Unknown" for a request that matched no operation.
        network_id: The network addressed, if any.
        user_ids: The users addressed: GetUser's user, BatchReinviteUser's requested ids, BatchCreateUser's
            created ids; empty for ListUsers.
        client_token: The X-Client-Token header, if sent.
        status: The HTTP status answered.
        error: The error name answered (e.g. "RateLimitError"), or None on success.
        replayed: True when an idempotency token replayed a stored answer (nothing was done again).
        at: When the call was answered (time.time()).
        latency_ms: The latency injected into this call.
    """

    operation: str
    network_id: str | None
    user_ids: tuple[str, ...]
    client_token: str | None
    status: int
    error: str | None
    replayed: bool
    at: float
    latency_ms: float = 0.0


class Journal:
    """An append-only, thread-safe list of JournalEntry."""

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._entries: list[JournalEntry] = []

    def append(self, entry: JournalEntry) -> None:
        """Record a call.

        Args:
            entry: The call.
        """
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[JournalEntry]:
        """Copy the entries.

        Returns:
            The entries, oldest first.
        """
        with self._lock:
            return list(self._entries)

    def count(self, operation: str | None = None) -> int:
        """Count entries.

        Args:
            operation: Count only this operation's calls.

        Returns:
            The count.
        """
        with self._lock:
            if operation is None:
                return len(self._entries)
            return sum(1 for entry in self._entries if entry.operation == operation)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
