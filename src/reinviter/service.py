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
from typing import Any

from reinviter.batch import BatchRun
from reinviter.clock import current_time
from reinviter.deadline import Deadline
from reinviter.errors import DeadlineReached, LedgerUnavailable, UsernameTooBroad, WickrError, WickrNetworkNotFound
from reinviter.listing import ListingSeal
from reinviter.models import ListedUser, ReinviteReceipt, Request, UserKey, UserOutcome, UserState, Verdict
from reinviter.observability import Metric, logger
from reinviter.outcomes import BatchReport, Outcomes
from reinviter.planning import ReinviteCall
from reinviter.policy import Policy
from reinviter.ports import Ledger, NameCache, NoLedger, NoNameCache, WickrPort
from reinviter.resolution import Found, NameKey, Resolutions, match, normalise


@dataclass(frozen=True, slots=True)
class _Check:
    key: UserKey


@dataclass(frozen=True, slots=True)
class _Recheck:
    key: UserKey


@dataclass(frozen=True, slots=True)
class _Send:
    chunk: ReinviteCall


@dataclass(frozen=True, slots=True)
class _Ledger:
    step: str  # "claim", "settle" or "release"
    chunk: ReinviteCall


_Job = _Check | _Recheck | _Send | _Ledger


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
        names: NameCache | None = None,
        seal: ListingSeal | None = None,
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
        self._names: NameCache = names if names is not None else NoNameCache()
        self._seal = seal

    def process(self, requests: Sequence[Request], deadline: Deadline) -> BatchReport:
        """Resolve, check, reinvite and report; never raises for a Wickr or ledger failure (the message is retried)."""
        outcomes = Outcomes()
        directory = Resolutions()
        remembering = self._resolve(Resolutions.keys(requests), directory, outcomes, deadline)
        fresh = self._seal.fresh(requests, deadline) if self._seal is not None else set()
        run = BatchRun(
            requests,
            self._ledger,
            self._policy,
            self._clock,
            use_ledger=self._use_ledger,
            dry_run=self._dry_run,
            directory=directory,
            outcomes=outcomes,
            fresh_listings=frozenset(fresh),
        )
        to_check, replays = run.admit(deadline)
        batch = _Scheduler(self, run, deadline)
        batch.sends.extend(replays)
        for key in to_check:
            state = run.known.get(key)
            if state is None:
                batch.checks.append(key)
            else:  # ListUsers (or the GetUser that confirmed a cached name) already said: no GetUser
                batch.claim(run.checked(key, state))
        batch.drive()
        for write in remembering:
            write.result()  # its failures are logged by `_remember`; anything else is a bug
        return outcomes.finish(requests, directory)

    def _resolve(
        self, keys: Sequence[NameKey], directory: Resolutions, outcomes: Outcomes, deadline: Deadline
    ) -> list[Future[Any]]:
        """Resolve usernames: a cached id GetUser confirms, else ListUsers. Returns the cache writes under way.

        A cached id is trusted only when GetUser's answer for it still carries the username (Wickr's UpdateUser can
        rename a user, with no 404 to tell): that answer is then also the user's check. An entry GetUser does not
        confirm is dropped and the name looked up again, once, in this invocation.
        """
        if not keys:
            return []
        hits: dict[NameKey, str] = {}
        try:
            hits = self._names.read(keys, deadline)
        except LedgerUnavailable as error:
            logger.warning("resolution cache unavailable, every name is looked up", error=str(error))
        confirmations = {
            self._pool.submit(self._gateway.user, key.network_id, user_id, deadline): key
            for key, user_id in hits.items()
        }
        lookups = self._look_up([key for key in keys if key not in hits], deadline)
        stale: list[NameKey] = []
        confirmed = 0
        for confirmation, key in confirmations.items():
            failure = confirmation.exception()
            if failure is not None:
                directory.resolutions[key] = self._failed("GetUser", key, failure, outcomes)
                continue
            user = confirmation.result()
            if user is None or normalise(user.username) != key.username:
                stale.append(key)
                continue
            directory.resolutions[key] = Found(user.user_id, user.state)
            confirmed += 1
        outcomes.count(Metric.USERNAME_CACHE_HITS, confirmed)
        if stale:
            logger.info("cached resolutions out of date, looked up again", entries=len(stale))
            self._forget(stale, deadline.for_cleanup())
            lookups |= self._look_up(stale, deadline)
        outcomes.count(Metric.USERNAME_LOOKUPS, len(lookups))
        for future, key in lookups.items():
            failure = future.exception()
            if failure is not None:
                directory.resolutions[key] = self._failed("ListUsers", key, failure, outcomes)
                continue
            listed = future.result()
            resolution = directory.resolutions[key] = match(listed, key)
            logger.debug(
                "name looked up",
                network_id=key.network_id,
                listed=len(listed),  # partial matches included
                user_id=resolution.user_id if isinstance(resolution, Found) else None,
                outcome=resolution.reason if isinstance(resolution, UserOutcome) else "found",
            )
        resolved = {
            key: found.user_id for key in lookups.values() if isinstance(found := directory.resolutions[key], Found)
        }
        if not resolved or self._dry_run:
            return []
        return [self._ledger_pool.submit(self._remember, resolved, deadline.for_cleanup())]

    def _look_up(self, keys: Sequence[NameKey], deadline: Deadline) -> dict[Future[list[ListedUser]], NameKey]:
        return {
            self._pool.submit(self._gateway.users_by_username, key.network_id, key.query or key.username, deadline): key
            for key in keys
        }

    @staticmethod
    def _failed(operation: str, key: NameKey, failure: BaseException, outcomes: Outcomes) -> UserOutcome:
        if not isinstance(failure, WickrError):
            raise failure  # a bug, not a Wickr answer
        if isinstance(failure, WickrNetworkNotFound):
            outcomes.network_not_found(key.network_id, failure)
        return _lookup_failed(operation, failure)

    def _forget(self, outdated: list[NameKey], deadline: Deadline) -> None:
        if self._dry_run:
            return  # a dry run writes nothing: the lookup resolves these names again anyway
        try:
            self._names.forget(outdated, deadline)
        except LedgerUnavailable as error:  # the lookup writes the entries again if it finds anyone
            logger.warning("resolution cache entries not dropped", entries=len(outdated), error=str(error))

    def _remember(self, resolved: dict[NameKey, str], deadline: Deadline) -> None:
        try:
            self._names.remember(resolved, deadline)
        except LedgerUnavailable as error:  # costs a lookup next time, nothing else
            logger.warning("resolution cache not written", entries=len(resolved), error=str(error))


def _lookup_failed(operation: str, error: WickrError) -> UserOutcome:
    if isinstance(error, DeadlineReached):
        return UserOutcome(Verdict.UNFINISHED, f"{operation}: no time left")
    if isinstance(error, UsernameTooBroad):
        return UserOutcome(Verdict.FAILED, f"{operation}: {error}")
    return UserOutcome(Verdict.FAILED, f"{operation}: {error.code or type(error).__name__}")


class _Scheduler:
    """One `process` call's queues and futures."""

    def __init__(self, service: ReinviteService, run: BatchRun, deadline: Deadline) -> None:
        self.service = service
        self.run = run
        self.deadline = deadline
        self.checks: deque[UserKey] = deque()
        self.rechecks: deque[UserKey] = deque()
        self.sends: deque[ReinviteCall] = deque()
        self.wickr: dict[Future[Any], _Check | _Recheck | _Send] = {}
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
        while len(self.wickr) < service._concurrency and (self.sends or self.checks or self.rechecks):
            job: _Check | _Recheck | _Send
            if self.sends:
                job = _Send(self.sends.popleft())
            elif self.rechecks:
                job = _Recheck(self.rechecks.popleft())
            else:
                job = _Check(self.checks.popleft())
            network_id = job.chunk.network_id if isinstance(job, _Send) else job.key.network_id
            blocked = self.run.blocked(network_id)
            if blocked is not None:
                self.on_wickr(job, blocked)
                continue
            future: Future[Any]
            if isinstance(job, _Check | _Recheck):
                future = service._pool.submit(service._gateway.user_state, network_id, job.key.user_id, deadline)
            else:
                chunk = job.chunk
                future = service._pool.submit(
                    service._gateway.reinvite, network_id, list(chunk.user_ids), chunk.token, deadline
                )
            self.wickr[future] = job

    def claim(self, chunks: list[ReinviteCall]) -> None:
        for chunk in chunks:
            self.submit_ledger("claim", chunk, self.service._ledger.claim, chunk, self.run.seen(chunk), self.deadline)

    def submit_ledger(self, step: str, chunk: ReinviteCall, call: Callable[..., object], *args: object) -> None:
        self.ledger[self.service._ledger_pool.submit(call, *args)] = _Ledger(step, chunk)

    def on_wickr(self, job: _Check | _Recheck | _Send, answer: Future[Any] | WickrError) -> None:
        """Hand a Wickr call's answer (or the error that stands for it) to the run."""
        error = answer if isinstance(answer, WickrError) else answer.exception()
        if error is not None and not isinstance(error, WickrError):
            raise error  # a bug, not a Wickr answer: let the invocation fail loudly
        if isinstance(job, _Recheck):
            if error is None:
                assert isinstance(answer, Future)  # noqa: S101 - an answer without error is a future; narrows the type
                error_or_state: WickrError | UserState = answer.result()
            else:
                error_or_state = error
            self.run.rechecked(job.key, error_or_state)
            return
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
        if attempts is None:
            return  # perhaps sent: the claim stays for an exact replay
        self.rechecks.extend(self.run.take_rechecks())
        self.submit_ledger("settle", chunk, ledger.settle, chunk, receipt, attempts, cleanup)

    def on_ledger(self, job: _Ledger, future: Future[Any]) -> None:
        """Hand a ledger write's answer to the run."""
        error = future.exception()
        if error is not None and not isinstance(error, LedgerUnavailable):
            raise error
        answer = error if error is not None else future.result()
        if job.step == "claim":
            claimed = self.run.claimed(job.chunk, answer)
            if claimed.send is not None:
                self.sends.append(claimed.send)
            if claimed.claim_instead is not None:
                self.claim([claimed.claim_instead])
        elif job.step == "settle":
            self.run.settled(job.chunk, answer)
        else:
            self.run.released(job.chunk, error)
