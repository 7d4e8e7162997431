"""What Wickr answered, counted across threads: the calls and the 429s the handler reports as metrics."""

from __future__ import annotations

import threading


class CallCounter:
    """Thread-safe counts of what the API answered, read by the handler as metrics after each invocation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rate_limited = 0
        self._calls = 0

    def record(self, *, rate_limited: bool) -> None:
        """Count one HTTP answer."""
        with self._lock:
            self._calls += 1
            self._rate_limited += int(rate_limited)

    def snapshot(self) -> tuple[int, int]:
        """(calls, 429 answers) so far."""
        with self._lock:
            return self._calls, self._rate_limited
