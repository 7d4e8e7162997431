"""The sweep's join check: reinvited users its listing no longer shows get one GetUser each, and their outcome.

A user the ledger awaits (reinvited, no outcome yet: the sparse AwaitingIndex) who is missing from the network's
pending listing has accepted, been deleted or been suspended; one GetUser says which (a user still pending, listed
on a page an earlier run read, stays awaited). A join's `User Joined` event is published before the join is
recorded, as on the request path. Users the listing shows cost nothing but their key in the index's page, so the
cost grows with the users reinvited and gone, never with the table. A page's GetUser calls run on the Wickr pool
(the sweep's own thread is not one of its workers, so it never waits on itself); their outcomes are taken in the
page's order on the sweep's thread. Progress is kept per page in a cursor of its own, so a check cut short by the
deadline continues on the next sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import closing
from dataclasses import dataclass, field

from reinviter.core import events
from reinviter.core.batch.joins import join_of
from reinviter.core.deadline import Deadline
from reinviter.core.errors import DeadlineReached, EventsUnpublished, LedgerUnavailable, WickrError
from reinviter.core.logs import logger
from reinviter.core.model import Join, UserKey, UserState
from reinviter.core.outcomes import log_join
from reinviter.core.policy import LedgerRecord
from reinviter.core.ports import AwaitingOutcomes, Cursors, NoPublisher, OutcomePublisher, WickrPort

GONE = {UserState.NOT_FOUND: "deleted", UserState.SUSPENDED: "suspended"}
PAGE_BUDGET_S = 6.0  # a page needs its Query, a read and the cursor's write: started only if this much time is left


def cursor_name(network_id: str) -> str:
    """The check's own cursor, beside the listing's (`sweep#<network>/awaiting`)."""
    return f"{network_id}/awaiting"


@dataclass(slots=True)
class AwaitingCheck:
    """What one run's check of one network found."""

    checked: int = 0  # GetUser calls made
    joins: list[Join] = field(default_factory=list)  # recorded by this run (so counted by it alone)
    gone: int = 0  # deleted or suspended, recorded
    finished: bool = False
    error: str | None = None


class AwaitingChecker:
    """Checks a network's awaited users that its listing did not show."""

    def __init__(
        self,
        awaiting: AwaitingOutcomes,
        wickr: WickrPort,
        cursors: Cursors,
        clock: Callable[[], float],
        publisher: OutcomePublisher | None = None,
        *,
        pool: Executor | None = None,
    ) -> None:
        self._awaiting = awaiting
        self._pool = pool  # None: one GetUser after another, on the calling thread
        self._wickr = wickr
        self._cursors = cursors
        self._clock = clock
        self._publisher: OutcomePublisher = publisher if publisher is not None else NoPublisher()

    def check(self, network_id: str, listed: set[str], deadline: Deadline) -> AwaitingCheck:
        """Page through the network's awaited users until done or the deadline; a failure ends this run's check."""
        result = AwaitingCheck()
        name = cursor_name(network_id)
        try:
            after = self._cursors.load(name)
            while deadline.allows(PAGE_BUDGET_S + self._cursors.budget_s):
                user_ids, after = self._awaiting.page(network_id, after, deadline)
                missing = [UserKey(network_id, user_id) for user_id in user_ids if user_id not in listed]
                records = self._awaiting.read(missing, deadline) if missing else {}
                due = list(_awaiting_outcome(missing, records))
                with closing(self._states([key for key, _ in due], deadline)) as states:
                    for (key, record), state in zip(due, states, strict=False):
                        self._outcome(key, record, state, deadline, result)
                if after is None:
                    self._cursors.delete(name)
                    result.finished = True
                    break
                self._cursors.save(name, after)  # every user of the page has its outcome or is still pending
        except DeadlineReached:
            logger.info("awaiting check deadline reached, will resume", network_id=network_id)
        except (WickrError, LedgerUnavailable, EventsUnpublished) as error:  # the cursor stays: the page is rechecked
            result.error = f"{type(error).__name__}: {error}"
            logger.warning("awaiting check stopped", network_id=network_id, error=str(error))
        return result

    def _states(self, keys: Sequence[UserKey], deadline: Deadline) -> Generator[UserState]:
        """Each key's GetUser answer, in order; the first failure ends the page (calls not started are cancelled)."""
        if self._pool is None:
            return (self._wickr.user_state(key.network_id, key.user_id, deadline) for key in keys)
        pool = self._pool
        return _in_order([pool.submit(self._wickr.user_state, key.network_id, key.user_id, deadline) for key in keys])

    def _outcome(
        self, key: UserKey, record: LedgerRecord, state: UserState, deadline: Deadline, result: AwaitingCheck
    ) -> None:
        result.checked += 1
        if state is UserState.ACTIVE:
            now = self._clock()
            join = join_of(key, record, now)
            if self._publisher.enabled:  # published before the join is recorded: a failure leaves it to the next check
                event = events.joined(join, record.first_reinvited_at, now, None)
                if self._publisher.publish([event], deadline):
                    raise EventsUnpublished(f"User Joined of user {key.user_id}")
            if self._awaiting.record_join(key, record, deadline):
                result.joins.append(join)
                log_join(join, "sweep")
        elif state in GONE and self._awaiting.record_gone(key, record, GONE[state], deadline):
            result.gone += 1
            logger.info("reinvited user gone", network_id=key.network_id, user_id=key.user_id, outcome=GONE[state])


def _awaiting_outcome(
    keys: list[UserKey], records: dict[UserKey, LedgerRecord]
) -> Iterator[tuple[UserKey, LedgerRecord]]:
    """The keys whose record still says reinvited and not joined (a key the read did not find is skipped)."""
    for key in keys:
        record = records.get(key)
        if record is not None and record.attempts >= 1 and record.joined_at is None:
            yield key, record


def _in_order(futures: list[Future[UserState]]) -> Generator[UserState]:
    try:
        for future in futures:
            yield future.result()
    finally:  # a failed answer, or the caller stopped early: nothing more is asked
        for future in futures:
            future.cancel()
