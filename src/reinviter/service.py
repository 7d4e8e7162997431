"""The orchestrator: drives a `BatchRun`, keeping Wickr busy while there is work.

Wickr calls run on the worker pool, at most `concurrency` at once, a ready BatchReinviteUser before any further
GetUser, so a 50-user call goes out while the rest of the batch is still being checked. Ledger writes (claims,
settles, releases) run on a pool of their own, so Wickr is not idle while DynamoDB answers. Each job on either pool
is a leaf: it makes one call and waits for nothing queued on any pool. Only this thread touches the run's state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any, Protocol

from reinviter.batch import BatchRun
from reinviter.deadline import Deadline
from reinviter.errors import WickrError
from reinviter.intake import Request
from reinviter.ledger import Ledger, LedgerUnavailable, NoLedger, Policy, current_time
from reinviter.models import ReinviteReceipt, UserKey, UserState
from reinviter.outcomes import BatchReport
from reinviter.planning import Chunk


class WickrPort(Protocol):
    """The two Wickr calls the core makes (`wickr.WickrGateway` in production)."""

    def user_state(self, network_id: str, user_id: str, deadline: Deadline) -> UserState:
        """GetUser, reduced to what decides a reinvite."""

    def reinvite(self, network_id: str, user_ids: list[str], client_token: str, deadline: Deadline) -> ReinviteReceipt:
        """One BatchReinviteUser call."""


@dataclass(frozen=True, slots=True)
class _Check:
    key: UserKey


@dataclass(frozen=True, slots=True)
class _Send:
    chunk: Chunk


@dataclass(frozen=True, slots=True)
class _Ledger:
    step: str  # "claim", "settle" or "release"
    chunk: Chunk


_Job = _Check | _Send | _Ledger


class ReinviteService:
    """Resends invitations for the pending users named by a batch of requests."""

    def __init__(
        self,
        gateway: WickrPort,
        pool: Executor,
        *,
        concurrency: int,
        policy: Policy,
        ledger: Ledger | None = None,
        ledger_pool: Executor | None = None,
        dry_run: bool = False,
        clock: Callable[[], float] = current_time,
    ) -> None:
        self._gateway = gateway
        self._pool = pool
        self._ledger_pool = ledger_pool if ledger_pool is not None else pool
        self._concurrency = concurrency
        self._policy = policy
        self._ledger: Ledger = ledger if ledger is not None else NoLedger()
        self._use_ledger = ledger is not None
        self._dry_run = dry_run
        self._clock = clock

    def process(self, requests: Sequence[Request], deadline: Deadline) -> BatchReport:
        """Check, reinvite and report; never raises for a Wickr or ledger failure (the message is retried instead)."""
        run = BatchRun(
            requests, self._ledger, self._policy, self._clock, use_ledger=self._use_ledger, dry_run=self._dry_run
        )
        to_check, replays = run.admit(deadline)
        batch = _Batch(self, run, deadline)
        batch.checks.extend(to_check)
        batch.sends.extend(replays)
        batch.drive()
        return run.finish()


class _Batch:
    """One `process` call's queues and futures."""

    def __init__(self, service: ReinviteService, run: BatchRun, deadline: Deadline) -> None:
        self.service = service
        self.run = run
        self.deadline = deadline
        self.checks: deque[UserKey] = deque()
        self.sends: deque[Chunk] = deque()
        self.wickr: dict[Future[Any], _Check | _Send] = {}
        self.ledger: dict[Future[Any], _Ledger] = {}

    def drive(self) -> None:
        checking = True
        while True:
            self.fill()
            if checking and not self.checks and not any(isinstance(job, _Check) for job in self.wickr.values()):
                checking = False
                self.claim(self.run.flush())  # every check is in: the partly filled calls
                continue
            if not self.wickr and not self.ledger:
                return
            done, _ = wait([*self.wickr, *self.ledger], return_when=FIRST_COMPLETED)
            for future in done:
                if future in self.wickr:
                    self.on_wickr(self.wickr.pop(future), future)
                else:
                    self.on_ledger(self.ledger.pop(future), future)

    def fill(self) -> None:
        service, deadline = self.service, self.deadline
        while len(self.wickr) < service._concurrency and (self.sends or self.checks):
            job: _Check | _Send = _Send(self.sends.popleft()) if self.sends else _Check(self.checks.popleft())
            network_id = job.chunk.network_id if isinstance(job, _Send) else job.key.network_id
            blocked = self.run.blocked(network_id)
            if blocked is not None:
                self.on_wickr(job, blocked)
                continue
            future: Future[Any]
            if isinstance(job, _Check):
                future = service._pool.submit(service._gateway.user_state, network_id, job.key.user_id, deadline)
            else:
                chunk = job.chunk
                future = service._pool.submit(
                    service._gateway.reinvite, network_id, list(chunk.user_ids), chunk.token, deadline
                )
            self.wickr[future] = job

    def claim(self, chunks: list[Chunk]) -> None:
        for chunk in chunks:
            self.submit_ledger("claim", chunk, self.service._ledger.claim, chunk, self.run.seen(chunk), self.deadline)

    def submit_ledger(self, step: str, chunk: Chunk, call: Callable[..., object], *args: object) -> None:
        self.ledger[self.service._ledger_pool.submit(call, *args)] = _Ledger(step, chunk)

    def on_wickr(self, job: _Check | _Send, answer: Future[Any] | WickrError) -> None:
        """Hand a Wickr call's answer (or the error that stands for it) to the run."""
        error = answer if isinstance(answer, WickrError) else answer.exception()
        if error is not None and not isinstance(error, WickrError):
            raise error  # a bug, not a Wickr answer: let the invocation fail loudly
        if isinstance(job, _Check):
            if error is not None:
                self.claim(self.run.check_failed(job.key, error))
                return
            state = answer.result() if isinstance(answer, Future) else None
            assert isinstance(state, UserState)  # noqa: S101 - the gateway's contract; narrows the type
            self.claim(self.run.checked(job.key, state))
            return
        chunk, ledger, cleanup = job.chunk, self.service._ledger, self.deadline.for_cleanup()
        if error is not None:
            if self.run.send_failed(chunk, error):
                self.submit_ledger("release", chunk, ledger.release, chunk, cleanup)
            return
        receipt = answer.result() if isinstance(answer, Future) else None
        assert isinstance(receipt, ReinviteReceipt)  # noqa: S101 - the gateway's contract; narrows the type
        attempts = self.run.sent(chunk, receipt)
        self.submit_ledger("settle", chunk, ledger.settle, chunk, receipt, attempts, cleanup)

    def on_ledger(self, job: _Ledger, future: Future[Any]) -> None:
        """Hand a ledger write's answer to the run."""
        error = future.exception()
        if error is not None and not isinstance(error, LedgerUnavailable):
            raise error
        answer = error if error is not None else future.result()
        if job.step == "claim":
            send, again = self.run.claimed(job.chunk, answer)
            if send is not None:
                self.sends.append(send)
            if again is not None:
                self.claim([again])
        elif job.step == "settle":
            self.run.settled(job.chunk, answer)
        else:
            self.run.released(job.chunk, error)
