"""Fault injection: latency, throttling, errors and per-user failures, all changeable while the emulator serves."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

DEFAULT_USER_REASON = "Injected failure"


def _check_status(status: int) -> int:
    if not 400 <= status <= 599:
        raise ValueError(f"an injected error needs a 4xx or 5xx status, got {status}")
    return status


def _check_share(name: str, share: float) -> float:
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {share}")
    return share


@dataclass
class _NextFault:
    status: int
    remaining: int
    operation: str | None


@dataclass
class _UserFault:
    reason: str
    remaining: int | None


class Faults:
    """The faults the emulator injects; every property may be changed at any time from any thread.

    Checks run in this order and the first that fires answers the call: `fail_network`, `fail_next`, the
    `rate_limit_rps` token bucket, `rate_limit_share`, `error_share`. `latency_ms` applies to every call.
    """

    def __init__(self, seed: int | None = 0) -> None:
        """Start with no faults.

        Args:
            seed: Seeds the RNG behind every share, so a sequential run injects the same faults each time.
        """
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._latency_ms = 0.0
        self._rate_limit_share = 0.0
        self._error_share: dict[int, float] = {}
        self._user_failure_share = 0.0
        self._rps: float | None = None
        self._burst: float | None = None
        self._tokens = 0.0
        self._refilled_at = 0.0
        self._networks: dict[str, int] = {}
        self._next: list[_NextFault] = []
        self._users: dict[tuple[str, str], _UserFault] = {}
        # Every error message and per-user failure reason names the usernames the call concerns, as a careless
        # service might: the function must let none of that text reach its logs or traces.
        self.echo_usernames = False

    @property
    def latency_ms(self) -> float:
        """Milliseconds added to every call before it is answered."""
        return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, latency_ms: float) -> None:
        if latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, got {latency_ms}")
        self._latency_ms = float(latency_ms)

    @property
    def rate_limit_share(self) -> float:
        """The share of calls that answer 429 RateLimitError (drawn from the seeded RNG)."""
        return self._rate_limit_share

    @rate_limit_share.setter
    def rate_limit_share(self, share: float) -> None:
        self._rate_limit_share = _check_share("rate_limit_share", share)

    @property
    def error_share(self) -> dict[int, float]:
        """HTTP status -> share of calls answering that error, e.g. `{500: 0.02}`; may be changed in place."""
        return self._error_share

    @error_share.setter
    def error_share(self, shares: dict[int, float]) -> None:
        checked = {_check_status(status): _check_share("error_share", share) for status, share in shares.items()}
        self._error_share = checked

    @property
    def user_failure_share(self) -> float:
        """The share of otherwise reinvitable users that BatchReinviteUser lists in `failed`."""
        return self._user_failure_share

    @user_failure_share.setter
    def user_failure_share(self, share: float) -> None:
        self._user_failure_share = _check_share("user_failure_share", share)

    @property
    def rate_limit_rps(self) -> float | None:
        """A token bucket's sustained rate; calls beyond it answer 429 (None: no bucket). Setting it refills it."""
        return self._rps

    @rate_limit_rps.setter
    def rate_limit_rps(self, rps: float | None) -> None:
        if rps is not None and rps <= 0:
            raise ValueError(f"rate_limit_rps must be positive, got {rps}")
        with self._lock:
            self._rps = rps
            self._refill_full()

    @property
    def rate_limit_burst(self) -> float | None:
        """The token bucket's capacity (None: `max(1, rate_limit_rps)`). Setting it refills the bucket."""
        return self._burst

    @rate_limit_burst.setter
    def rate_limit_burst(self, burst: float | None) -> None:
        if burst is not None and burst < 1:
            raise ValueError(f"rate_limit_burst must be at least 1, got {burst}")
        with self._lock:
            self._burst = burst
            self._refill_full()

    def _capacity(self) -> float:
        if self._burst is not None:
            return self._burst
        return max(1.0, self._rps or 0.0)

    def _refill_full(self) -> None:
        self._tokens = self._capacity()
        self._refilled_at = time.monotonic()

    def fail_network(self, network_id: str, status: int = 500) -> None:
        """Answer every call for a network with an error until `clear_network`.

        Args:
            network_id: The network.
            status: The HTTP status to answer.
        """
        with self._lock:
            self._networks[network_id] = _check_status(status)

    def clear_network(self, network_id: str) -> None:
        """Undo `fail_network`.

        Args:
            network_id: The network.
        """
        with self._lock:
            self._networks.pop(network_id, None)

    def fail_next(self, status: int, count: int = 1, operation: str | None = None) -> None:
        """Answer the next `count` calls (of `operation`, or of any operation) with an error.

        Args:
            status: The HTTP status to answer.
            count: How many calls.
            operation: Only calls of this operation, e.g. "BatchReinviteUser".
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        with self._lock:
            self._next.append(_NextFault(_check_status(status), count, operation))

    def fail_user(
        self, network_id: str, user_id: str, reason: str = DEFAULT_USER_REASON, times: int | None = None
    ) -> None:
        """Make BatchReinviteUser list an otherwise reinvitable user in `failed`.

        Args:
            network_id: The user's network.
            user_id: The user.
            reason: The `reason` of the failed item.
            times: How many reinvitations fail before they succeed again (None: all of them).
        """
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        with self._lock:
            self._users[network_id, user_id] = _UserFault(reason, times)

    def clear_user(self, network_id: str, user_id: str) -> None:
        """Undo `fail_user`.

        Args:
            network_id: The user's network.
            user_id: The user.
        """
        with self._lock:
            self._users.pop((network_id, user_id), None)

    def clear(self) -> None:
        """Remove every fault (the RNG keeps its position)."""
        with self._lock:
            self._latency_ms = 0.0
            self._rate_limit_share = 0.0
            self._error_share = {}
            self._user_failure_share = 0.0
            self._rps = None
            self._burst = None
            self._networks.clear()
            self._next.clear()
            self._users.clear()
            self.echo_usernames = False

    def call_fault(self, operation: str, network_id: str | None) -> int | None:
        """Decide whether an authenticated call answers an injected error, consuming what it uses.

        Args:
            operation: The operation called.
            network_id: The network addressed, if any.

        Returns:
            The HTTP status to answer, or None to serve the call.
        """
        with self._lock:
            if network_id is not None and network_id in self._networks:
                return self._networks[network_id]
            for index, fault in enumerate(self._next):
                if fault.operation is None or fault.operation == operation:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        del self._next[index]
                    return fault.status
            if self._rps is not None and not self._take_token():
                return 429
            if self._rate_limit_share > 0 and self._rng.random() < self._rate_limit_share:
                return 429
            # A copy: a test may change the dict in place while a call reads it.
            for status, share in sorted(dict(self._error_share).items()):
                if 400 <= status <= 599 and share > 0 and self._rng.random() < share:
                    return status
            return None

    def _take_token(self) -> bool:
        now = time.monotonic()
        rps = self._rps or 0.0
        self._tokens = min(self._capacity(), self._tokens + (now - self._refilled_at) * rps)
        self._refilled_at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def user_fault(self, network_id: str, user_id: str) -> str | None:
        """Decide whether reinviting an otherwise reinvitable user fails, consuming what it uses.

        Args:
            network_id: The user's network.
            user_id: The user.

        Returns:
            The failure reason, or None to reinvite the user.
        """
        with self._lock:
            fault = self._users.get((network_id, user_id))
            if fault is not None:
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        del self._users[network_id, user_id]
                return fault.reason
            share = self._user_failure_share
            if share > 0 and self._rng.random() < share:
                return DEFAULT_USER_REASON
            return None
