"""One batch's way through the stages: ledger read, GetUser verdicts, claims, calls and settles.

A `BatchRun` makes every decision and holds every piece of state of one batch, and makes no call at all: it says
which ledger reads, Wickr calls and ledger writes to make (take-overs of stale claims included), and the scheduler
feeds it their answers as they complete (the model-based test feeds them in any order it likes, crashing runs in
between).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from reinviter.core.batch.announce import Announcer
from reinviter.core.batch.circuit import NetworkCircuit
from reinviter.core.batch.joins import Joins
from reinviter.core.batch.rechecks import Rechecks
from reinviter.core.batch.takeover import StaleClaim, TakeOvers
from reinviter.core.errors import LedgerUnavailable, WickrError
from reinviter.core.logs import logger
from reinviter.core.metric_names import Metric
from reinviter.core.model import (
    SKIP_OF_STATE,
    SKIP_REASONS,
    ReinviteReceipt,
    Request,
    SkipReason,
    UserKey,
    UserState,
    Verdict,
)
from reinviter.core.outcomes import Outcomes, error_verdict, ledger_failed
from reinviter.core.planning import CallPlanner, ReinviteCall, Requester
from reinviter.core.policy import Decision, LedgerRecord, Policy, Status, decide
from reinviter.core.usernames import Resolutions

FINAL = frozenset({Status.COOLDOWN, Status.GIVEN_UP, Status.JOINED})  # a refused claim's skips (no retry needed)
SKIP_OF_STATUS = {
    Status.JOINED: SkipReason.ACTIVE,
    Status.COOLDOWN: SkipReason.COOLDOWN,
    Status.GIVEN_UP: SkipReason.GIVEN_UP,
}
CLAIM_ROUNDS = 3  # each round drops the users whose record changed under us; a second round almost always claims


@dataclass(frozen=True, slots=True)
class Admission:
    """The ledger read's verdict: the users to check, and the stale claims to take over and replay."""

    to_check: list[UserKey]
    stale: list[StaleClaim]


@dataclass(frozen=True, slots=True)
class ClaimAnswer:
    """What a claim's answer leads to: the call to send (all its users claimed), or a smaller one to claim instead."""

    send: ReinviteCall | None = None
    claim_instead: ReinviteCall | None = None


class BatchRun:
    """The decisions of one batch. `use_ledger=False` is the no-table mode (see `planning`)."""

    def __init__(
        self,
        requests: Sequence[Request],
        policy: Policy,
        clock: Callable[[], float],
        *,
        use_ledger: bool,
        dry_run: bool = False,
        directory: Resolutions | None = None,
        outcomes: Outcomes | None = None,
        fresh_listings: frozenset[int] = frozenset(),
        announce: bool = False,
    ) -> None:
        self.requests = list(requests)
        self.directory = directory if directory is not None else Resolutions()
        self.outcomes = outcomes if outcomes is not None else Outcomes()
        self._policy = policy
        self._clock = clock
        self._dry_run = dry_run
        requesters, owners = _index(self.requests, self.directory, use_ledger=use_ledger)
        self.users = list(requesters)
        self._requested = set(self.users)
        salts = {str(position): request.message_id for position, request in enumerate(self.requests)}
        self._planner = CallPlanner(requesters, per_message=not use_ledger, owners=owners, salts=salts)
        self._records: dict[UserKey, LedgerRecord] = {}
        self.take_overs = TakeOvers(self.outcomes, dry_run=dry_run)
        self._claim_rounds: dict[str, int] = {}
        self.circuit = NetworkCircuit(self.outcomes)
        self.known = {key: state for key, state in self.directory.known_states().items() if key in self._requested}
        # A user any other message names (an onboarding request, an old or unsealed listing) is checked with GetUser;
        # a username's resolution is a check of its own. A dry run sends nothing that could notice a change since the
        # listing, so there the listing is no check: its users get their GetUser (the preview must be true).
        listed = set() if dry_run else _listed_only(self.requests, fresh_listings) - set(self.known)
        self.known |= dict.fromkeys(listed, UserState.PENDING)
        self.rechecks = Rechecks(listed, self.outcomes, is_replay=self.take_overs.is_replay)
        self.joins = Joins(self.outcomes, self._clock)
        enabled = announce and not dry_run
        self.announce = Announcer(
            self.requests, self.directory, policy, clock, outcomes=self.outcomes, records=self._records, enabled=enabled
        )

    # -- ledger read --------------------------------------------------------------------------------------------
    def admitted(self, records: Mapping[UserKey, LedgerRecord]) -> Admission:
        """The records of every user, read before any Wickr call: who to check, which stale claims to replay."""
        self._records.clear()  # in place: the announcer reads the same records
        self._records.update(records)
        now = self._clock()
        to_check: list[UserKey] = []
        stale: dict[str, list[UserKey]] = defaultdict(list)
        for key in self.users:
            record = self._records.get(key)
            decision = decide(record, now, self._policy)
            if decision.status is Status.ELIGIBLE:
                to_check.append(key)
            elif decision.status is Status.STALE_CLAIM and record is not None and record.claim_token:
                stale[record.claim_token].append(key)
            else:  # claimed: its holder reports it; if the holder dies, this message's redelivery finds it stale
                _refused(self.outcomes, key, decision, record)
        return Admission(to_check, [self._stale(token, requested) for token, requested in stale.items()])

    def _stale(self, token: str, requested: list[UserKey]) -> StaleClaim:
        network_id = requested[0].network_id
        members = [UserKey(network_id, user_id) for user_id in self._records[requested[0]].claim_members] or requested
        return StaleClaim(token, requested, members, [key for key in members if key not in self._records])

    def read_failed(self, keys: Iterable[UserKey], error: LedgerUnavailable) -> None:
        """A ledger read gave no answer: these users fail (their messages are retried); nothing is sent for them."""
        ledger_failed(self.outcomes, keys, "read", error)

    def take_over(self, stale: StaleClaim, members: Mapping[UserKey, LedgerRecord]) -> ReinviteCall | None:
        """The call to take over (the members still holding the token, read now), or None (a dry run replays none)."""
        self._records |= members
        return self.take_overs.plan(stale, self._records)

    # -- GetUser answers ----------------------------------------------------------------------------------------
    def checked(self, key: UserKey, state: UserState) -> list[ReinviteCall]:
        """GetUser (or ListUsers, for a username) answered: the calls that became full because of it, to claim."""
        self.outcomes.count(Metric.USERS_CHECKED)
        if state is UserState.PENDING:
            return self._to_claim(self._planner.confirmed(key))
        self.outcomes.record([key], Verdict.SKIPPED, SKIP_REASONS[state], SKIP_OF_STATE[state])
        if state is UserState.ACTIVE and (record := self._records.get(key)) and not self._dry_run:
            self.joins.seen(key, record)  # reinvited and now active: joined (a dry run writes nothing)
        return self._to_claim(self._planner.settled(key, spoils=False))

    def check_failed(self, key: UserKey, error: WickrError) -> list[ReinviteCall]:
        """GetUser gave no answer: the user fails (its message is retried)."""
        self.circuit.trip(key.network_id, error)
        self.outcomes.record([key], error_verdict(error), f"GetUser: {error.code or error}")
        return self._to_claim(self._planner.settled(key, spoils=True))

    def flush(self) -> list[ReinviteCall]:
        """Every check is in: the partly filled calls, to claim."""
        held_back = self._planner.spoiled()
        self.outcomes.record(held_back, Verdict.UNFINISHED, "held back: another user of its message was not checked")
        return self._to_claim(self._planner.flush())

    # -- claims -------------------------------------------------------------------------------------------------
    def _to_claim(self, plan: list[ReinviteCall]) -> list[ReinviteCall]:
        if not self._dry_run:
            return plan
        for call in plan:
            self.outcomes.record(call.users(), Verdict.WOULD_REINVITE, "dry run")
            logger.info(
                "dry run: would reinvite",
                network_id=call.network_id,
                count=len(call.user_ids),
                user_ids=call.user_ids,
            )
        return []

    def seen(self, call: ReinviteCall) -> dict[UserKey, LedgerRecord | None]:
        """The records a claim of this call expects (as read, or as a refusal showed them)."""
        return {key: self._records.get(key) for key in call.users()}

    def claimed(
        self, call: ReinviteCall, answer: Mapping[UserKey, LedgerRecord | None] | LedgerUnavailable
    ) -> ClaimAnswer:
        """The ledger answered a claim: the call to send, or a smaller call to claim instead, or neither."""
        if isinstance(answer, LedgerUnavailable):
            # Perhaps applied: then the claim holds this call's token and is replayed after the lease.
            ledger_failed(self.outcomes, call.users(), "claim", answer)
            return ClaimAnswer()
        if not answer:
            return ClaimAnswer(send=call)
        now = self._clock()
        retry: list[UserKey] = []
        for key in call.users():
            if key in answer:
                record = answer[key]
                self._records.pop(key, None)
                if record is not None:
                    self._records[key] = record
                decision = decide(record, now, self._policy)
                if decision.status is not Status.ELIGIBLE:
                    _refused(self.outcomes, key, decision, record)
                    continue
            retry.append(key)
        if not retry:
            return ClaimAnswer()
        rounds = self._claim_rounds.pop(call.token, 1)
        if rounds >= CLAIM_ROUNDS:
            self.outcomes.record(retry, Verdict.UNFINISHED, "contended: records kept changing")
            return ClaimAnswer()
        smaller = self._planner.call_for(retry)  # fewer users: a new call with a new token (nothing was sent)
        self._claim_rounds[smaller.token] = rounds + 1
        return ClaimAnswer(claim_instead=smaller)

    # -- BatchReinviteUser answers ------------------------------------------------------------------------------
    def sent(self, call: ReinviteCall, receipt: ReinviteReceipt) -> dict[UserKey, int] | None:
        """Wickr answered the call: report the requested users; returns the attempt counts its settle needs.

        None: the answer does not account for every member (the gateway refuses such answers; this guards the
        rule here too). Then nobody is settled: the claim stays whole, for an exact replay.
        """
        if not receipt.accounts_for(call.user_ids):
            self._maybe_sent(call, "BatchReinviteUser: the answer does not account for every user")
            return None
        for key in call.users():
            if key not in self._requested:
                continue  # a replayed claim's other members: recorded in the ledger, reported by their own messages
            if key.user_id in receipt.successful:
                self.outcomes.record([key], Verdict.REINVITED, "reinvited")
            elif not self.rechecks.wanted(key, call.token, receipt.failed[key.user_id]):  # else: after a GetUser
                self.outcomes.record([key], Verdict.FAILED, f"BatchReinviteUser: {receipt.failed[key.user_id]}")
        return {key: record.attempts for key in call.users() if (record := self._records.get(key))}

    def settled(self, call: ReinviteCall, answer: list[UserKey] | LedgerUnavailable) -> None:
        """The ledger answered a settle: count and log who reached the attempt cap."""
        if isinstance(answer, LedgerUnavailable):
            # The claim stays; its replay after the lease gets Wickr's stored answer and settles it then.
            logger.warning("ledger settle failed, claim left for replay", network_id=call.network_id, error=str(answer))
            return
        self.outcomes.count(Metric.USERS_GIVEN_UP, len(answer))
        for key in answer:
            logger.warning("user given up", network_id=key.network_id, user_id=key.user_id)

    def send_failed(self, call: ReinviteCall, error: WickrError) -> bool:
        """The call gave no answer. True: release it (it certainly never reached Wickr, and it is not a replay)."""
        self.circuit.trip(call.network_id, error)
        if error.maybe_sent:
            self._maybe_sent(call, f"BatchReinviteUser: {error.code or 'no answer'}, perhaps sent")
            return False
        requested = [key for key in call.users() if key in self._requested]
        self.outcomes.record(requested, error_verdict(error), f"BatchReinviteUser: {error.code or error}")
        return not self.take_overs.is_replay(call.token)

    def _maybe_sent(self, call: ReinviteCall, reason: str) -> None:
        """Wickr may have invited these users: keep the claim, fail the messages; their retry replays the call."""
        self.outcomes.record([key for key in call.users() if key in self._requested], Verdict.MAYBE_SENT, reason)
        logger.warning(
            "reinvite perhaps sent, claim kept for an exact replay",
            network_id=call.network_id,
            users=len(call.user_ids),
            reason=reason,
        )


def _refused(outcomes: Outcomes, key: UserKey, decision: Decision, record: LedgerRecord | None) -> None:
    """A user the ledger does not let this batch reinvite: skipped where that is final, else left for a retry."""
    reason = decision.reason(record)
    if decision.status not in FINAL:
        outcomes.record([key], Verdict.UNFINISHED, reason)
        return
    outcomes.record([key], Verdict.SKIPPED, reason, SKIP_OF_STATUS[decision.status])
    logger.info("reinvite skipped", reason=reason, network_id=key.network_id, user_id=key.user_id)


def _index(
    requests: Sequence[Request], directory: Resolutions, *, use_ledger: bool
) -> tuple[dict[UserKey, list[Requester]], dict[str, list[UserKey]]]:
    """Who asked for each user, and each request's users.

    Keyed by position: a batch that repeats a message id (as a hand-made event may) still keeps each request's own
    call; without a ledger, each request is one call.
    """
    requesters: dict[UserKey, list[Requester]] = defaultdict(list)
    owners: dict[str, list[UserKey]] = {}
    for position, request in enumerate(requests):
        owners[str(position)] = [UserKey(request.network_id, user_id) for user_id in directory.user_ids(request)]
        for key in owners[str(position)]:
            requesters[key].append(Requester(request.message_id, request.receive_count if use_ledger else None))
    return dict(requesters), owners


def _listed_only(requests: Sequence[Request], fresh_listings: frozenset[int]) -> set[UserKey]:
    """Users named (by id) only in requests whose sweep listing is fresh and sealed: the listing was their check."""
    named_by: dict[UserKey, set[int]] = defaultdict(set)
    for position, request in enumerate(requests):
        for user_id in request.user_ids:
            named_by[UserKey(request.network_id, user_id)].add(position)
    return {key for key, positions in named_by.items() if positions <= fresh_listings}
