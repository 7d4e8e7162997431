"""The scheduler: runs the calls a `BatchRun` asks for, keeping Wickr busy while there is work.

Wickr calls run on the worker pool, at most `concurrency` at once, a ready BatchReinviteUser before any further
GetUser, so a 50-user call goes out while the rest of the batch is still being checked. Ledger writes (claims,
take-overs, settles, releases, joins) run on a pool of their own, so Wickr is not idle while DynamoDB answers.
Outcome events are published on the ledger pool too, each before the write that records its outcome. Every job is a
named class; each is a leaf: one call, waiting for nothing queued on any pool. Only this thread touches the run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any

from reinviter.core.batch import BatchRun
from reinviter.core.batch.takeover import StaleClaim
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable, WickrError
from reinviter.core.events import OutcomeEvent
from reinviter.core.logs import logger
from reinviter.core.model import ReinviteReceipt, UserKey, UserState
from reinviter.core.planning import ReinviteCall
from reinviter.core.policy import LedgerRecord
from reinviter.core.ports import Ledger, OutcomePublisher, WickrPort


@dataclass(frozen=True, slots=True)
class CheckJob:
    """GetUser for a user the batch must check before it is claimed."""

    key: UserKey


@dataclass(frozen=True, slots=True)
class RecheckJob:
    """GetUser for a listed user Wickr refused as no longer pending: a skip if it changed."""

    key: UserKey


@dataclass(frozen=True, slots=True)
class SendJob:
    """One BatchReinviteUser call of claimed users (or a stale claim's replay)."""

    call: ReinviteCall


@dataclass(frozen=True, slots=True)
class ClaimJob:
    """Claim a call's users in one transaction."""

    call: ReinviteCall


@dataclass(frozen=True, slots=True)
class TakeOverJob:
    """Extend a stale claim's lease before replaying its call."""

    call: ReinviteCall
    stale: StaleClaim


@dataclass(frozen=True, slots=True)
class SettleJob:
    """Record Wickr's answer to a call."""

    call: ReinviteCall
    receipt: ReinviteReceipt
    attempts: dict[UserKey, int]


@dataclass(frozen=True, slots=True)
class ReleaseJob:
    """Free the users of a call that certainly never reached Wickr."""

    call: ReinviteCall


@dataclass(frozen=True, slots=True)
class JoinJob:
    """Record that a reinvited user joined (a check saw them active)."""

    key: UserKey
    seen: LedgerRecord


@dataclass(frozen=True, slots=True)
class PublishJob:
    """Publish the events of an outcome, then record it (`then`): an unpublished outcome stays unrecorded."""

    events: list[OutcomeEvent]
    then: SettleJob | JoinJob


WickrJob = CheckJob | RecheckJob | SendJob
LedgerJob = ClaimJob | TakeOverJob | SettleJob | ReleaseJob | JoinJob | PublishJob


class Scheduler:
    """One batch's queues and futures, over its collaborators (passed in, never borrowed from a service)."""

    def __init__(
        self,
        run: BatchRun,
        *,
        wickr: WickrPort,
        ledger: Ledger,
        publisher: OutcomePublisher,
        wickr_pool: Executor,
        ledger_pool: Executor,
        concurrency: int,
        deadline: Deadline,
    ) -> None:
        self.run = run
        self._wickr = wickr
        self._ledger = ledger
        self._publisher = publisher
        self._wickr_pool = wickr_pool
        self._ledger_pool = ledger_pool
        self._concurrency = concurrency
        self.deadline = deadline
        self.checks: deque[UserKey] = deque()
        self.rechecks: deque[UserKey] = deque()
        self.sends: deque[ReinviteCall] = deque()
        self.wickr_jobs: dict[Future[Any], WickrJob] = {}
        self.ledger_jobs: dict[Future[Any], LedgerJob] = {}

    def read(self) -> None:
        """The read stage, before any Wickr call: every user's record, then the members of stale claims."""
        try:
            records = self._ledger.read(self.run.users, self.deadline)
        except LedgerUnavailable as error:
            self.run.read_failed(self.run.users, error)
            return
        admission = self.run.admitted(records)
        for stale in admission.stale:
            try:
                members = self._ledger.read(stale.unread, self.deadline) if stale.unread else {}
            except LedgerUnavailable as error:
                self.run.read_failed(stale.requested, error)
                continue
            call = self.run.take_over(stale, members)
            if call is not None:
                self._submit_ledger(TakeOverJob(call, stale), self._ledger.take_over, call, self.deadline)
        for key in admission.to_check:
            state = self.run.known.get(key)
            if state is None:
                self.checks.append(key)
            else:  # ListUsers, a confirming GetUser or a fresh listing already said: no GetUser
                self.claim(self.run.checked(key, state))

    def drive(self) -> None:
        """Run every job until none is left; the partly filled calls are claimed once every check is in."""
        checking = True
        while True:
            self._fill()
            if checking and not self.checks and not any(isinstance(job, CheckJob) for job in self.wickr_jobs.values()):
                checking = False
                self.claim(self.run.flush())
                continue
            if not self.wickr_jobs and not self.ledger_jobs:
                return
            done, _ = wait([*self.wickr_jobs, *self.ledger_jobs], return_when=FIRST_COMPLETED)
            for future in done:
                if future in self.wickr_jobs:
                    self._on_wickr(self.wickr_jobs.pop(future), future)
                else:
                    self._on_ledger(self.ledger_jobs.pop(future), future)

    def claim(self, calls: list[ReinviteCall]) -> None:
        """Ask the ledger to claim each call's users (and to record the joins the checks saw)."""
        for key, seen in self.run.joins.take():
            self._record(JoinJob(key, seen), self.run.announce.joined(key, seen))
        for call in calls:
            self._submit_ledger(ClaimJob(call), self._ledger.claim, call, self.run.seen(call), self.deadline)

    def _fill(self) -> None:
        while len(self.wickr_jobs) < self._concurrency and (self.sends or self.checks or self.rechecks):
            job: WickrJob
            if self.sends:
                job = SendJob(self.sends.popleft())
            elif self.rechecks:
                job = RecheckJob(self.rechecks.popleft())
            else:
                job = CheckJob(self.checks.popleft())
            network_id = job.call.network_id if isinstance(job, SendJob) else job.key.network_id
            blocked = self.run.circuit.blocked(network_id)
            if blocked is not None:
                self._on_wickr(job, blocked)
                continue
            future: Future[Any]
            if isinstance(job, SendJob):
                call = job.call
                args = (network_id, list(call.user_ids), call.token, self.deadline)
                future = self._wickr_pool.submit(self._wickr.reinvite, *args)
            else:
                future = self._wickr_pool.submit(self._wickr.user_state, network_id, job.key.user_id, self.deadline)
            self.wickr_jobs[future] = job

    def _submit_ledger(self, job: LedgerJob, request: Callable[..., object], *args: object) -> None:
        self.ledger_jobs[self._ledger_pool.submit(request, *args)] = job

    def _on_wickr(self, job: WickrJob, answer: Future[Any] | WickrError) -> None:
        """Hand a Wickr call's answer (or the error that stands for it) to the run."""
        error = answer if isinstance(answer, WickrError) else answer.exception()
        if error is not None and not isinstance(error, WickrError):
            raise error  # a bug, not a Wickr answer: let the invocation fail loudly
        result = answer.result() if error is None and isinstance(answer, Future) else None
        if isinstance(job, RecheckJob):
            self.run.rechecks.answered(job.key, error if error is not None else _state(result))
        elif isinstance(job, CheckJob):
            calls = (
                self.run.check_failed(job.key, error)
                if error is not None
                else self.run.checked(job.key, _state(result))
            )
            self.claim(calls)
        elif error is not None:
            if self.run.send_failed(job.call, error):
                self._submit_ledger(ReleaseJob(job.call), self._ledger.release, job.call, self.deadline.for_cleanup())
        else:
            self._sent(job.call, result)

    def _sent(self, call: ReinviteCall, receipt: object) -> None:
        assert isinstance(receipt, ReinviteReceipt)  # noqa: S101 - the gateway's contract; narrows the type
        attempts = self.run.sent(call, receipt)
        if attempts is None:
            return  # perhaps sent: the claim stays for an exact replay
        self.rechecks.extend(self.run.rechecks.take())
        self._record(SettleJob(call, receipt, attempts), self.run.announce.sent(call, receipt, attempts))

    def _record(self, job: SettleJob | JoinJob, events: list[OutcomeEvent]) -> None:
        """Record an outcome in the ledger, its events (if any) published first."""
        cleanup = self.deadline.for_cleanup()
        if events:
            self._submit_ledger(PublishJob(events, job), self._publisher.publish, events, cleanup)
        elif isinstance(job, SettleJob):
            self._submit_ledger(job, self._ledger.settle, job.call, job.receipt, job.attempts, cleanup)
        else:
            self._submit_ledger(job, self._ledger.record_join, job.key, job.seen, cleanup)

    def skip_events(self) -> set[str]:
        """Publish every asking message's `User Skipped` events; the ids of the messages whose events were not."""
        by_message = self.run.announce.skipped()
        unique = {event.event_id: event for found in by_message.values() for event in found}
        if not unique:
            return set()
        unpublished = self._publisher.publish(list(unique.values()), self.deadline.for_cleanup())
        return {
            message_id
            for message_id, found in by_message.items()
            if any(event.event_id in unpublished for event in found)
        }

    def _on_ledger(self, job: LedgerJob, future: Future[Any]) -> None:
        """Hand a ledger request's answer to the run."""
        error = future.exception()
        if error is not None and not isinstance(error, LedgerUnavailable):
            raise error
        answer = error if error is not None else future.result()
        if isinstance(job, ClaimJob):
            claimed = self.run.claimed(job.call, answer)
            if claimed.send is not None:
                self.sends.append(claimed.send)
            if claimed.claim_instead is not None:
                self.claim([claimed.claim_instead])
        elif isinstance(job, TakeOverJob):
            replay = self.run.take_overs.answered(job.call, job.stale, answer)
            if replay is not None:
                self.sends.append(replay)
        elif isinstance(job, SettleJob):
            self.run.settled(job.call, answer)
        elif isinstance(job, JoinJob):
            self.run.joins.recorded(job.key, job.seen, answer)
        elif isinstance(job, PublishJob):
            self._published(job, answer)
        elif error is not None:  # a failed release only delays the users until the lease ends
            logger.warning("ledger release failed", network_id=job.call.network_id, error=str(error))

    def _published(self, job: PublishJob, unpublished: object) -> None:
        assert isinstance(unpublished, set)  # noqa: S101 - the publisher's contract; narrows the type
        if not unpublished:
            self._record(job.then, [])
        elif isinstance(job.then, SettleJob):
            self.run.announce.unpublished(job.then.call)
        else:
            self.run.joins.unpublished(job.then.key)


def _state(result: object) -> UserState:
    assert isinstance(result, UserState)  # noqa: S101 - the gateway's contract; narrows the type
    return result
