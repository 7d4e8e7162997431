"""The domain: check every named user, reinvite the pending ones in chunks, map the outcome back to messages.

It knows nothing of Lambda: it takes validated requests and a deadline and returns a report.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from reinviter.deadline import Deadline
from reinviter.errors import DeadlineReached, PermanentWickrError, WickrAccessError, WickrError
from reinviter.intake import Request
from reinviter.ledger import Claim, Ledger, NoLedger
from reinviter.models import MAX_USERS_PER_REINVITE, UserKey, UserOutcome, UserState, Verdict
from reinviter.observability import Metric, logger
from reinviter.wickr import WickrGateway

T = TypeVar("T")
R = TypeVar("R")

ADMIT_ROUNDS = 3  # each round drops refused users, so a second round almost always settles the plan
SKIP_REASONS = {
    UserState.ACTIVE: "active",
    UserState.SUSPENDED: "suspended",
    UserState.NOT_FOUND: "not found",
    UserState.OTHER: "unknown status",
}


@dataclass(slots=True)
class BatchReport:
    """What one batch came to: the messages to report as failures, per-user outcomes and the metric counts."""

    failed_message_ids: list[str] = field(default_factory=list)
    outcomes: dict[UserKey, UserOutcome] = field(default_factory=dict)
    counts: Counter[Metric] = field(default_factory=Counter)


def chunks(items: list[T], size: int = MAX_USERS_PER_REINVITE) -> Iterator[list[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def client_token(network_id: str, user_ids: Iterable[str], salt: Iterable[str]) -> str:
    """A deterministic X-Client-Token: the same chunk for the same requests gets the same token.

    So Wickr answers a redelivered batch once; the salt (the requesting message ids) keeps a later,
    genuine reinvite distinct.
    """
    digest = hashlib.sha256()
    digest.update(network_id.encode())
    for part in ("|", *sorted(user_ids), "|", *sorted(salt)):
        digest.update(part.encode() + b",")
    return digest.hexdigest()  # 64 characters of [0-9a-f]: inside the model's 1-64 [a-zA-Z0-9-_:] pattern


class ReinviteService:
    """Resends invitations for the pending users named by a batch of requests."""

    def __init__(
        self,
        gateway: WickrGateway,
        pool: ThreadPoolExecutor,
        *,
        dry_run: bool = False,
        ledger: Ledger | None = None,
    ) -> None:
        self._gateway = gateway
        self._pool = pool
        self._dry_run = dry_run
        self._ledger: Ledger = ledger if ledger is not None and not dry_run else NoLedger()
        # With a ledger, a call that may have been sent is replayed from its stored claim, so a redelivery may take a
        # new token; it must: Wickr answers a token it has seen with its first answer, per-user failures included,
        # and the same token would fail that user on every delivery. Without a ledger the token must survive
        # redelivery, since it is then the only guard against sending twice.
        self._token_per_delivery = ledger is not None and not dry_run

    def process(self, requests: list[Request], deadline: Deadline) -> BatchReport:
        """Check, reinvite and report; never raises for a Wickr failure (it becomes a failed message instead)."""
        report = BatchReport()
        users = list(dict.fromkeys(UserKey(r.network_id, uid) for r in requests for uid in r.user_ids))
        eligible = self._check(users, deadline, report)
        if self._dry_run:
            self._record_dry_run(eligible, report)
        else:
            requesters: dict[UserKey, set[str]] = defaultdict(set)
            for request in requests:
                for user_id in request.user_ids:
                    requesters[UserKey(request.network_id, user_id)].add(self._requester(request))
            self._reinvite(eligible, requesters, deadline, report)
        for request in requests:
            self._settle(request, report)
        return report

    # -- GetUser ------------------------------------------------------------------------------------------------
    def _check(self, users: list[UserKey], deadline: Deadline, report: BatchReport) -> list[UserKey]:
        circuit = _Circuit()

        def check(key: UserKey) -> UserState:
            circuit.raise_if_open(key.network_id)
            try:
                return self._gateway.user_state(key.network_id, key.user_id, deadline)
            except WickrError as error:
                circuit.trip(key.network_id, error)
                raise

        eligible: list[UserKey] = []
        for key, future in self._map(check, users):
            try:
                state = future.result()
            except DeadlineReached:
                report.outcomes[key] = UserOutcome(Verdict.UNFINISHED, "deadline reached before GetUser")
                continue
            except WickrError as error:
                report.outcomes[key] = UserOutcome(Verdict.FAILED, f"GetUser: {error.code or error}")
                continue
            report.counts[Metric.USERS_CHECKED] += 1
            if state is UserState.PENDING:
                eligible.append(key)
            else:
                report.outcomes[key] = UserOutcome(Verdict.SKIPPED, SKIP_REASONS[state])
        circuit.log_open()
        return eligible

    # -- BatchReinviteUser --------------------------------------------------------------------------------------
    def _reinvite(
        self, eligible: list[UserKey], requesters: dict[UserKey, set[str]], deadline: Deadline, report: BatchReport
    ) -> None:
        calls = self._admit(eligible, requesters, deadline, report)
        circuit = _Circuit()

        def send(claim: Claim) -> None:
            circuit.raise_if_open(claim.network_id)
            try:
                receipt = self._gateway.reinvite(claim.network_id, list(claim.user_ids), claim.token, deadline)
            except WickrError as error:
                circuit.trip(claim.network_id, error)
                raise
            self._ledger.settle(claim, receipt)
            for user_id in claim.user_ids:
                key = UserKey(claim.network_id, user_id)
                if user_id in receipt.successful:
                    report.outcomes[key] = UserOutcome(Verdict.REINVITED, "reinvited")
                else:
                    reason = receipt.failed.get(user_id, "missing from the answer")
                    report.outcomes[key] = UserOutcome(Verdict.FAILED, f"BatchReinviteUser: {reason}")

        for claim, future in self._map(send, calls):
            error = future.exception()
            if error is None:
                continue
            if not isinstance(error, WickrError):
                raise error
            if not error.maybe_sent:
                self._ledger.release(claim)  # else the claim stays: its replay after the lease resends nothing
            verdict = Verdict.UNFINISHED if isinstance(error, DeadlineReached) else Verdict.FAILED
            for key in claim.users():
                report.outcomes.setdefault(key, UserOutcome(verdict, f"BatchReinviteUser: {error.code or error}"))
        circuit.log_open()

    def _admit(
        self, eligible: list[UserKey], requesters: dict[UserKey, set[str]], deadline: Deadline, report: BatchReport
    ) -> list[Claim]:
        """Plan the calls and claim their users; users whose call lost a neighbour to a refusal are planned again."""
        calls: list[Claim] = []
        pending = eligible
        for _ in range(ADMIT_ROUNDS):
            if not pending:
                break
            admission = self._ledger.admit(self._plan(pending, requesters), deadline)
            calls += admission.ready + admission.replays
            for key, reason in admission.skipped.items():
                report.outcomes[key] = UserOutcome(Verdict.SKIPPED, reason)
            for key, reason in admission.failed.items():
                report.outcomes[key] = UserOutcome(Verdict.FAILED, reason)
            report.counts[Metric.USERS_GIVEN_UP] += len(admission.given_up)
            for key in admission.given_up:
                logger.warning("user given up", network_id=key.network_id, user_id=key.user_id)
            for replay in admission.replays:
                for key in replay.users():
                    report.outcomes.setdefault(key, UserOutcome(Verdict.UNFINISHED, "replaying a stale claim"))
            pending = admission.retry
        for key in pending:
            report.outcomes[key] = UserOutcome(Verdict.UNFINISHED, "contended: claimed elsewhere meanwhile")
        return calls

    def _requester(self, request: Request) -> str:
        """What of a request goes into its chunks' tokens (see `_token_per_delivery`)."""
        if self._token_per_delivery:
            return f"{request.message_id}#{request.receive_count}"
        return request.message_id

    def _plan(self, claimed: list[UserKey], requesters: dict[UserKey, set[str]]) -> list[Claim]:
        """Group users across all messages by network, 50 to a call, each call with its deterministic token."""
        by_network: dict[str, list[str]] = defaultdict(list)
        for key in claimed:
            by_network[key.network_id].append(key.user_id)
        plan: list[Claim] = []
        for network_id, user_ids in sorted(by_network.items()):
            for chunk in chunks(sorted(user_ids, key=lambda uid: (len(uid), uid))):
                keys = [UserKey(network_id, uid) for uid in chunk]
                chunk_salt = {message_id for key in keys for message_id in requesters.get(key, ())}
                plan.append(Claim(network_id, tuple(chunk), client_token(network_id, chunk, chunk_salt)))
        return plan

    def _record_dry_run(self, eligible: list[UserKey], report: BatchReport) -> None:
        for key in eligible:
            report.outcomes[key] = UserOutcome(Verdict.WOULD_REINVITE, "dry run")
        by_network: dict[str, list[str]] = defaultdict(list)
        for key in eligible:
            by_network[key.network_id].append(key.user_id)
        for network_id, user_ids in sorted(by_network.items()):
            logger.info("dry run: would reinvite", network_id=network_id, count=len(user_ids), user_ids=user_ids)

    # -- outcome per message ------------------------------------------------------------------------------------
    def _settle(self, request: Request, report: BatchReport) -> None:
        verdicts: Counter[Verdict] = Counter()
        problems: dict[str, str] = {}
        for user_id in request.user_ids:
            outcome = report.outcomes[UserKey(request.network_id, user_id)]
            verdicts[outcome.verdict] += 1
            if outcome.verdict in (Verdict.FAILED, Verdict.UNFINISHED):
                problems[user_id] = outcome.reason
        failed = bool(problems)
        if failed:
            report.failed_message_ids.append(request.message_id)
        log = logger.warning if failed else logger.info
        log(
            "message failed, left for redelivery" if failed else "message done",
            message_id=request.message_id,
            network_id=request.network_id,
            users=len(request.user_ids),
            verdicts={verdict.value: count for verdict, count in verdicts.items()},
            problems=problems or None,
        )

    def _map(self, work: Callable[[T], R], items: list[T]) -> list[tuple[T, Future[R]]]:
        """Run `work` over `items` on the container's pool; results come back in the items' order."""
        futures = [(item, self._pool.submit(work, item)) for item in items]
        for _, future in futures:
            future.exception()  # wait for every one: nothing half-done is reported
        return futures


class _Circuit:
    """Per invocation and network: after an access error or exhausted retries, stop calling that network at once.

    A misconfigured role (401/403) or a network answering 500 would otherwise cost every remaining user its own
    round of retries; its messages fail and come back later instead.
    """

    def __init__(self) -> None:
        self._open: dict[str, WickrError] = {}

    def trip(self, network_id: str, error: WickrError) -> None:
        if isinstance(error, DeadlineReached):
            return
        if isinstance(error, PermanentWickrError) and not isinstance(error, WickrAccessError):
            return  # about this request only (400/422): other users of the network may be fine
        self._open.setdefault(network_id, error)

    def raise_if_open(self, network_id: str) -> None:
        error = self._open.get(network_id)
        if error is not None:
            raise type(error)(f"not called: network failed earlier ({error})", code=error.code, status=error.status)

    def log_open(self) -> None:
        for network_id, error in self._open.items():
            log = logger.error if isinstance(error, WickrAccessError) else logger.warning
            log("network unavailable", network_id=network_id, error=str(error), code=error.code, status=error.status)
