"""The invocation's time budget, so no work starts that cannot finish before Lambda stops us."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point on the monotonic clock after which no new work starts."""

    at: float

    @classmethod
    def after(cls, remaining_ms: int | float, margin_ms: int | float) -> Deadline:
        """A deadline `margin_ms` before the end of the `remaining_ms` Lambda gives us."""
        return cls(time.monotonic() + (remaining_ms - margin_ms) / 1000.0)

    @classmethod
    def never(cls) -> Deadline:
        """No deadline (local tools and tests that are not about time)."""
        return cls(float("inf"))

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once passed)."""
        return self.at - time.monotonic()

    def expired(self) -> bool:
        """Whether new work must no longer start."""
        return self.remaining() <= 0

    def allows(self, seconds: float) -> bool:
        """Whether `seconds` of waiting still ends before the deadline."""
        return self.remaining() > seconds
