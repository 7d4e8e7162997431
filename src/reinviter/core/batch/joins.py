"""Joins: a user the ledger shows reinvited whom a check now sees active has joined (the conversion we exist for)."""

from __future__ import annotations

from collections.abc import Callable

from reinviter.core.errors import LedgerUnavailable
from reinviter.core.logs import logger
from reinviter.core.model import Join, UserKey, Verdict
from reinviter.core.outcomes import Outcomes
from reinviter.core.policy import LedgerRecord


class Joins:
    """The joins one batch saw, until the ledger records them; counted only by the run whose write succeeded."""

    def __init__(self, outcomes: Outcomes, clock: Callable[[], float]) -> None:
        self._outcomes = outcomes
        self._clock = clock
        self._pending: list[tuple[UserKey, LedgerRecord]] = []

    def seen(self, key: UserKey, record: LedgerRecord) -> None:
        """A check saw this user active; a join if the record shows a reinvite and no join yet."""
        if record.attempts >= 1 and record.joined_at is None:
            self._pending.append((key, record))

    def take(self) -> list[tuple[UserKey, LedgerRecord]]:
        """The joins seen since the last call, each with its record as read (the condition of its write)."""
        pending, self._pending = self._pending, []
        return pending

    def recorded(self, key: UserKey, seen: LedgerRecord, answer: bool | LedgerUnavailable) -> None:
        """The ledger answered a join's write: counted if this run wrote it; a failure leaves it to a later check."""
        if isinstance(answer, LedgerUnavailable):
            logger.warning("join not recorded", network_id=key.network_id, user_id=key.user_id, error=str(answer))
        elif answer:
            self._outcomes.joined(join_of(key, seen, self._clock()))

    def unpublished(self, key: UserKey) -> None:
        """The join's event was not published: not recorded either, so the retried message's check sees it again."""
        reason = "User Joined event not published: the join is left for the next check"
        self._outcomes.record([key], Verdict.FAILED, reason)


def join_of(key: UserKey, record: LedgerRecord, now: float) -> Join:
    """The join of a user whose record (as read before the join's write) was seen active at `now`."""
    return Join.seen(key, record.attempts, record.first_reinvited_at, record.last_reinvited_at, now)
