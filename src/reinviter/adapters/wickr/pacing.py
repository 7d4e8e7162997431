"""Client-side pacing of Wickr calls: a token bucket that adapts to 429 answers (the counts are in `calls.py`).

Wickr publishes no rate quota, so the pacer learns one: it starts at the configured ceiling (or unpaced), halves its
rate when 429s are at least a fifth of its recent calls (at most once per cool-down, so eight threads hitting the same
limit halve it once, not eight times), holds while any 429 is recent, and recovers slowly once calls succeed. Time spent
waiting here is time not spent on rejected calls.
The pacer lives as long as the container, so what one invocation learned paces the next.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from reinviter.core.deadline import Deadline

MIN_RATE = 1.0  # requests/s: never slower than this, so a burst of 429s cannot stall an invocation entirely
DECREASE_FACTOR = 0.5
DECREASE_COOLDOWN_S = 1.0  # one halving per second at most: concurrent 429s report the same overload
RECOVERY_SHARE_PER_S = 0.05  # recover 5% of the current rate (at least 0.5 request/s) per 429-free second
BURST_SECONDS = 0.25  # the bucket holds a quarter second of requests: smooth, but no stall at low rates
WINDOW_S = 1.0  # how far back the observed request rate (and the share of 429s) is measured
# Halve only when 429s are a real share of recent calls: a steady trickle of 429s that has nothing to do with our rate
# (10% random 429s, measured in bench/) otherwise drives the pacer to its floor and costs 50x the time.
THROTTLED_SHARE = 0.2


class RequestPacer:
    """A thread-safe, adaptive token bucket. `max_rate=0` means unpaced until the first 429."""

    def __init__(
        self,
        max_rate: float = 0.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ceiling = max_rate if max_rate > 0 else None
        self._rate: float | None = self._ceiling
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self._tokens = self._capacity()
        self._refilled_at = now
        self._adjusted_at = now
        self._decreased_at = float("-inf")
        self._recent: deque[float] = deque()
        self._throttled: deque[float] = deque()

    @property
    def rate(self) -> float | None:
        """The current rate in requests/s, or None while unpaced."""
        return self._rate

    def acquire(self, deadline: Deadline, budget_s: float = 0.0) -> bool:
        """Wait for a token; False (without waiting) unless the wait and then `budget_s` end before the deadline."""
        while True:
            with self._lock:
                now = self._clock()
                self._remember(now)
                if self._rate is None:
                    return True
                self._refill(now)
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return True
                wait = (1.0 - self._tokens) / self._rate
            if not deadline.allows(wait + budget_s):
                return False
            self._sleep(wait)

    def on_throttled(self) -> None:
        """A 429 came back: halve the rate (or, unpaced, start at half the rate just observed)."""
        with self._lock:
            now = self._clock()
            self._throttled.append(now)
            _trim(self._throttled, now)
            _trim(self._recent, now)
            calls = max(len(self._recent), len(self._throttled))  # no recent calls seen: every one was refused
            if len(self._throttled) < THROTTLED_SHARE * calls:
                return
            if now - self._decreased_at < DECREASE_COOLDOWN_S:
                return
            current = self._rate if self._rate is not None else self._observed_rate(now)
            self._rate = max(MIN_RATE, current * DECREASE_FACTOR)
            self._tokens = min(self._tokens, self._capacity())
            self._decreased_at = now
            self._adjusted_at = now

    def on_success(self) -> None:
        """A call went through: recover a little of the rate, never past the configured ceiling."""
        with self._lock:
            if self._rate is None:
                return
            now = self._clock()
            _trim(self._throttled, now)
            if self._throttled:  # still refused now and then: hold the rate (too few 429s to halve, too many to climb)
                self._adjusted_at = now
                return
            elapsed = now - self._adjusted_at
            if elapsed <= 0:
                return
            self._rate += max(0.5, self._rate * RECOVERY_SHARE_PER_S) * elapsed
            if self._ceiling is not None:
                self._rate = min(self._rate, self._ceiling)
            self._adjusted_at = now

    def _capacity(self) -> float:
        return max(1.0, (self._rate or 0.0) * BURST_SECONDS)

    def _refill(self, now: float) -> None:
        assert self._rate is not None  # noqa: S101 - callers check; narrows the type for mypy
        self._tokens = min(self._capacity(), self._tokens + (now - self._refilled_at) * self._rate)
        self._refilled_at = now

    def _remember(self, now: float) -> None:
        self._recent.append(now)
        _trim(self._recent, now)

    def _observed_rate(self, now: float) -> float:
        _trim(self._recent, now)
        return max(MIN_RATE, len(self._recent) / WINDOW_S)


def _trim(times: deque[float], now: float) -> None:
    while times and now - times[0] >= WINDOW_S:
        times.popleft()
