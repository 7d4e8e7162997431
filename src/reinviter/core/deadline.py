"""The invocation's time budget, so no work starts that cannot finish before Lambda stops us."""

from __future__ import annotations

import time
from dataclasses import dataclass

# What a cleanup write (a ledger settle or release) leaves free before Lambda's own end: enough to answer and flush.
CLEANUP_RESERVE_S = 0.5


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point on the monotonic clock after which no new work starts, and Lambda's own end behind it.

    The gap between the two (DEADLINE_MARGIN_MS) belongs to cleanup: recording what a call that already ran did is
    worth more than starting another call.
    """

    at: float
    end: float = float("inf")

    @classmethod
    def after(cls, remaining_ms: int | float, margin_ms: int | float) -> Deadline:
        """A deadline `margin_ms` before the end of the `remaining_ms` Lambda gives us."""
        now = time.monotonic()
        return cls(now + (remaining_ms - margin_ms) / 1000.0, now + remaining_ms / 1000.0)

    @classmethod
    def never(cls) -> Deadline:
        """No deadline (local tools and tests that are not about time)."""
        return cls(float("inf"))

    def earlier(self, seconds: float) -> Deadline:
        """The same end, with `seconds` more kept free before it (for work that must be followed by more)."""
        return Deadline(self.at - seconds, self.end)

    def for_cleanup(self) -> Deadline:
        """The budget of a write that records work already done: the margin too, less a last reserve."""
        return Deadline(max(self.at, self.end - CLEANUP_RESERVE_S), self.end)

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once passed)."""
        return self.at - time.monotonic()

    def expired(self) -> bool:
        """Whether new work must no longer start."""
        return self.remaining() <= 0

    def allows(self, seconds: float) -> bool:
        """Whether `seconds` of waiting still ends before the deadline."""
        return self.remaining() > seconds
