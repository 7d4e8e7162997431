"""The wall clock the ledger, the seals and the caches compare across invocations, in one place a test can move."""

from __future__ import annotations

import time


def wall_clock() -> float:
    """Epoch seconds."""
    return time.time()


def current_time() -> float:
    """`wall_clock`, looked up at call time, so a test can move the clock of a container already built."""
    return wall_clock()
