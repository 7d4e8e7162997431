"""The one retry rule of every adapter (Wickr, DynamoDB, SQS): full-jitter backoff, the deadline checked first.

SDK retries are off wherever this rule retries (a retry inside botocore would neither see the deadline nor count).
Which errors are worth retrying is each adapter's to say (Wickr's statuses, DynamoDB's and SQS's codes); when to
try again, and whether there is time for it, is said here once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from reinviter.core.deadline import Deadline


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter (sleep a uniform time in [0, min(cap, base * 2**retry)])."""

    base_s: float = 0.2
    cap_s: float = 5.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """The sleep before retry number `retry` (0-based)."""
        return rng.uniform(0.0, min(self.cap_s, self.base_s * (2**retry)))


class Attempts:
    """Attempt numbers (0, 1, ...), sleeping the backoff between them, while an attempt can end before the deadline.

    An attempt starts only if its backoff plus `budget_s` (the call's own timeouts) fits before the deadline; when
    that is what stopped the attempts, `out_of_time` is True (else they were all spent).
    """

    def __init__(
        self,
        deadline: Deadline,
        *,
        budget_s: float,
        max_attempts: int,
        backoff: Backoff,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._deadline = deadline
        self._budget_s = budget_s
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.out_of_time = False

    def __iter__(self) -> Iterator[int]:
        for attempt in range(self._max_attempts):
            delay = self._backoff.delay(attempt - 1, self._rng) if attempt else 0.0
            if not self._deadline.allows(delay + self._budget_s):
                self.out_of_time = True
                return
            if delay:
                self._sleep(delay)
            yield attempt
