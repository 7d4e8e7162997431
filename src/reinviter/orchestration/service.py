"""The reinvite core, stage by stage: resolve, read, check, claim, call, publish, settle, report.

`process` runs each stage once, in that order, for one SQS batch: the resolver turns usernames into users, the
seal tells which users a fresh sweep listing already checked, a `BatchRun` makes every decision and the scheduler
runs the calls it asks for. It never raises for a Wickr or ledger failure: the message is retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

from reinviter.core.batch import BatchRun
from reinviter.core.clock import current_time
from reinviter.core.deadline import Deadline
from reinviter.core.model import Request
from reinviter.core.outcomes import BatchReport, Outcomes
from reinviter.core.policy import Policy
from reinviter.core.ports import (
    Clock,
    Ledger,
    NameCache,
    NoLedger,
    NoNameCache,
    NoPublisher,
    OutcomePublisher,
    WickrPort,
)
from reinviter.core.seal import ListingSeal
from reinviter.core.usernames import Resolutions
from reinviter.orchestration.resolver import Resolver
from reinviter.orchestration.scheduler import Scheduler


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
        clock: Clock = current_time,
        names: NameCache | None = None,
        seal: ListingSeal | None = None,
        publisher: OutcomePublisher | None = None,
    ) -> None:
        self._gateway = gateway
        self._pool = pool
        self._ledger_pool = ledger_pool if ledger_pool is not None else pool
        self._concurrency = concurrency
        self._policy = policy
        self._ledger: Ledger = ledger if ledger is not None else NoLedger()  # the one "no ledger" mode
        self._dry_run = dry_run
        self._clock = clock
        self._seal = seal
        self._publisher: OutcomePublisher = publisher if publisher is not None else NoPublisher()
        names = names if names is not None else NoNameCache()
        self._resolver = Resolver(gateway, names, pool, self._ledger_pool, dry_run=dry_run)

    def process(self, requests: Sequence[Request], deadline: Deadline) -> BatchReport:
        """Resolve, read, check, claim, call, settle and report one batch."""
        outcomes = Outcomes()
        resolutions = Resolutions()
        remembering = self._resolver.resolve(Resolutions.keys(requests), resolutions, outcomes, deadline)
        fresh = self._seal.fresh(requests, deadline) if self._seal is not None else set()
        run = BatchRun(
            requests,
            self._policy,
            self._clock,
            use_ledger=self._ledger.durable,
            dry_run=self._dry_run,
            directory=resolutions,
            outcomes=outcomes,
            fresh_listings=frozenset(fresh),
            announce=self._publisher.enabled,
        )
        scheduler = Scheduler(
            run,
            wickr=self._gateway,
            ledger=self._ledger,
            publisher=self._publisher,
            wickr_pool=self._pool,
            ledger_pool=self._ledger_pool,
            concurrency=self._concurrency,
            deadline=deadline,
        )
        scheduler.read()
        scheduler.drive()
        unpublished = scheduler.skip_events()
        for write in remembering:
            write.result()  # its failures are logged by the resolver; anything else is a bug
        return outcomes.finish(requests, resolutions, unpublished)
