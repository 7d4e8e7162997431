"""A sweep message's seal, the proof of its listing: when its ListUsers page was read, sealed with the stack's key.

The sweep queues only users its ListUsers page listed as pending and not suspended. A message that carries a valid
seal younger than SWEEP_FRESHNESS_SECONDS needs no GetUser for its users: the page was the check. The seal is an
HMAC-SHA256, with the seals' subkey of the stack's key (the `UsernameHashKey` secret, whose resource policy lets only
the function's role read it; `core.keys`), over the network, the time the page was read and the user ids, each a
length-prefixed field (so no list of ids reads as another). An onboarding system
may send to the queue but cannot read the key, so it cannot make a seal; an old sealed message replayed is older than
the window and checked as any other; one replayed inside the window names users who were pending minutes ago, and the
ledger (cooldown, claims) applies to them as to anyone. A seal that does not verify (a replaced key, a tampered body)
only costs the GetUser it would have saved.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Sequence

from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable
from reinviter.core.keys import mac
from reinviter.core.model import HashKey, Request, Seal

CLOCK_SKEW_S = 60.0  # a listing time this far ahead of our clock is still believed (clocks of two containers)


def listing_mac(seal_key: bytes, network_id: str, listed_at_ms: int, user_ids: Iterable[str]) -> str:
    """The seal's HMAC over exactly what the freshness rule relies on (`HashKey.seals` is the key)."""
    return mac(seal_key, [network_id, str(listed_at_ms), *user_ids])


class ListingSeal:
    """Seals the sweep's messages and tells which requests carry a fresh, valid seal."""

    def __init__(self, key: Callable[[Deadline], HashKey], clock: Callable[[], float], max_age_s: float) -> None:
        self._key = key
        self._clock = clock
        self._max_age_s = max_age_s

    def now_ms(self) -> int:
        """The time to seal a page with: taken before the page is asked for, so a seal never flatters it."""
        return int(self._clock() * 1000)

    def seal(self, network_id: str, user_ids: Sequence[str], listed_at_ms: int, deadline: Deadline) -> Seal:
        """The seal of one message.

        Raises:
            LedgerUnavailable: The key could not be read (the sweep then queues the message unsealed).
        """
        key = self._key(deadline)
        return Seal(listed_at_ms, key.version, listing_mac(key.seals, network_id, listed_at_ms, user_ids))

    def fresh(self, requests: Sequence[Request], deadline: Deadline) -> set[int]:
        """The positions of the requests whose seal verifies and whose listing is younger than the window.

        A key that cannot be read makes no request fresh: every user is checked with GetUser, nothing else changes.
        """
        sealed = [(position, request) for position, request in enumerate(requests) if request.seal is not None]
        if not sealed or self._max_age_s <= 0:
            return set()
        try:
            key = self._key(deadline)
        except LedgerUnavailable:
            return set()
        now_ms = self.now_ms()
        fresh = set()
        for position, request in sealed:
            seal = request.seal
            assert seal is not None  # noqa: S101 - filtered above; narrows the type
            age_s = (now_ms - seal.listed_at_ms) / 1000.0
            if seal.key_version != key.version or not -CLOCK_SKEW_S <= age_s < self._max_age_s:
                continue
            expected = listing_mac(key.seals, request.network_id, seal.listed_at_ms, request.user_ids)
            if hmac.compare_digest(expected, seal.mac):
                fresh.add(position)
        return fresh
