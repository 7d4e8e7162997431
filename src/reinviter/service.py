"""The orchestrator: drives a `BatchRun` over the worker pool, keeping Wickr busy while there is work.

Only Wickr calls run on the pool, and each is a leaf (it waits for nothing queued there). The invocation's own
thread reads and writes the ledger and hands out calls, at most `concurrency` in flight, a ready BatchReinviteUser
before any further GetUser: a 50-user call goes out while the rest of the batch is still being checked.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Protocol

from reinviter.batch import BatchRun
from reinviter.deadline import Deadline
from reinviter.errors import WickrError
from reinviter.intake import Request
from reinviter.ledger import Ledger, NoLedger, Policy, current_time
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
        dry_run: bool = False,
        clock: Callable[[], float] = current_time,
    ) -> None:
        self._gateway = gateway
        self._pool = pool
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
        checks = deque(to_check)
        sends = deque(replays)
        inflight: dict[Future[object], _Check | _Send] = {}
        checking = True
        while True:
            while len(inflight) < self._concurrency and (sends or checks):
                job: _Check | _Send = _Send(sends.popleft()) if sends else _Check(checks.popleft())
                network_id = job.chunk.network_id if isinstance(job, _Send) else job.key.network_id
                blocked = run.blocked(network_id)
                if blocked is not None:
                    sends.extend(self._answer(run, job, blocked, deadline))
                    continue
                inflight[self._submit(job, deadline)] = job
            if checking and not checks and not any(isinstance(job, _Check) for job in inflight.values()):
                checking = False
                sends.extend(run.flush(deadline))  # every check is in: the partly filled calls go out now
                continue
            if not inflight:
                break
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for future in done:
                sends.extend(self._answer(run, inflight.pop(future), future, deadline))
        return run.finish()

    def _submit(self, job: _Check | _Send, deadline: Deadline) -> Future[object]:
        if isinstance(job, _Check):
            return self._pool.submit(self._gateway.user_state, job.key.network_id, job.key.user_id, deadline)
        chunk = job.chunk
        return self._pool.submit(self._gateway.reinvite, chunk.network_id, list(chunk.user_ids), chunk.token, deadline)

    @staticmethod
    def _answer(
        run: BatchRun, job: _Check | _Send, answer: Future[object] | WickrError, deadline: Deadline
    ) -> list[Chunk]:
        """Hand a call's answer (or the error that stands for it) to the run; returns calls that became ready."""
        error = answer if isinstance(answer, WickrError) else answer.exception()
        if error is not None and not isinstance(error, WickrError):
            raise error  # a bug, not a Wickr answer: let the invocation fail loudly
        if isinstance(job, _Check):
            if error is not None:
                return run.check_failed(job.key, error, deadline)
            state = answer.result() if isinstance(answer, Future) else None
            assert isinstance(state, UserState)  # noqa: S101 - the gateway's contract; narrows the type
            return run.checked(job.key, state, deadline)
        if error is not None:
            run.send_failed(job.chunk, error, deadline)
            return []
        receipt = answer.result() if isinstance(answer, Future) else None
        assert isinstance(receipt, ReinviteReceipt)  # noqa: S101 - the gateway's contract; narrows the type
        run.sent(job.chunk, receipt, deadline)
        return []
