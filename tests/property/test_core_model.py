"""Model-based test of the reinvite core: invocations interleaving reads, checks, claims, Wickr calls, settles,
releases, crashes, lost answers (Wickr's and DynamoDB's) and replays after the lease, on a fake clock.

It drives the real `BatchRun` (every decision the service makes) over `InMemoryLedger` (the DynamoDB adapter's
semantics, kept honest by tests/integration/test_ledger_contract.py) and a Wickr that remembers its tokens. After
every step: no user invited twice inside the cooldown, no claim leased past the lease. At every finished invocation:
no message reported done while one of its users was never invited. At the end, SQS keeps redelivering what is not
done, without faults: every message completes and every user was invited, so nothing is lost or blocked for good.
Messages name users by id or by username (resolved as ListUsers answers, so those users need no GetUser): a user named
both ways, in one message or by two invocations at once, is one user under the same invariants. (Seeded check: a
resolve stage that took ListUsers' "pending" for "active" is caught as "reported done, never invited".)
Users accept their invitation, or are deleted, at any step (GetUser and ListUsers say so from then on; Wickr
refuses to reinvite them): a join is recorded only for a user who accepted, never while a claim is held, counted at
most once, and its reinvites are the invitations Wickr sent; no reinvite names a user recorded as joined.
Outcome events are published as the scheduler publishes them (before the settle or the join's write they report,
the skips before the report), EventBridge failing them or losing its answer: an event id always names one outcome,
no invitation is told under two ids, and once SQS is done every invitation and every recorded join was told.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from devkit.fakes import FakeWickr, InMemoryLedger, retryable
from reinviter.core.batch import BatchRun
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable, WickrError
from reinviter.core.events import DetailType, OutcomeEvent
from reinviter.core.model import ReinviteReceipt, Request, UserKey, UserState
from reinviter.core.planning import ReinviteCall
from reinviter.core.policy import Policy
from reinviter.core.usernames import Found, Resolutions, name_key
from reinviter.telemetry.logger import logger

NETWORK = "12345678"
USERS = ["1001", "1002"]  # few users: invocations collide on them often
# A message names each of its users by id or by username (resolved as ListUsers would: pending, so no GetUser): a user
# named both ways, in one message or in two invocations at once, must still be one user.
USERNAMES = {"1001": "Ada.Quill@example.com", "1002": "bruno.vale@example.com"}
COOLDOWN_S = 3600.0
LEASE_S = 600.0
VISIBILITY_S = 1380.0  # the template's queue: longer than the lease
MAX_ATTEMPTS = 3
MAX_INVOCATIONS = 2  # at once; more adds little and dilutes the search
NEVER = Deadline.never()
LEDGER_FAULTS = st.sampled_from([None, None, None, "fail", "lose"])
BUS_FAULTS = st.sampled_from([None, None, None, "fail", "lose"])  # lose: put, but the answer never arrived


@dataclass
class Message:
    message_id: str
    user_ids: tuple[str, ...]  # every user it names, however it names them
    by_name: tuple[str, ...] = ()  # those it names by username
    receives: int = 0
    visible_at: float = 0.0
    in_flight: bool = False
    done: bool = False


@dataclass
class Invocation:
    """One invocation's BatchRun and the calls it asked for that have not been answered yet."""

    run: BatchRun
    messages: list[Message]
    checks: list[UserKey]
    ready: list[ReinviteCall] = field(default_factory=list)  # claimed, not yet called
    in_flight: list[tuple[ReinviteCall, ReinviteReceipt | WickrError]] = field(
        default_factory=list
    )  # called, unanswered
    ledger: list[tuple[str, ReinviteCall, Any]] = field(
        default_factory=list
    )  # writes asked for: claim, settle, release, join (its detail: the user and the record the check read)
    flushed: bool = False

    def idle(self) -> bool:
        return not (self.checks or not self.flushed or self.ready or self.in_flight or self.ledger)


class CoreModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        logger.setLevel("ERROR")  # thousands of runs: the per-message log lines would cost most of the time
        self.now = 1_800_000_000.0
        self.policy = Policy(cooldown_s=COOLDOWN_S, max_attempts=MAX_ATTEMPTS, lease_s=LEASE_S)
        self.next_fault: str | None = None
        self.ledger = InMemoryLedger(self.policy, self.clock, fault=self.take_fault)
        self.wickr = FakeWickr(clock=self.clock)
        self.messages: list[Message] = []
        self.invocations: dict[int, Invocation] = {}
        self.started = 0
        self.accepted: dict[UserKey, float] = {}  # users who accepted their invitation, and when
        self.deleted: set[UserKey] = set()  # users an administrator deleted (GetUser: not found)
        self.joins_counted: dict[UserKey, int] = {}
        self.told: list[OutcomeEvent] = []  # every event EventBridge accepted, repeats included

    def clock(self) -> float:
        return self.now

    def take_fault(self, step: str) -> str | None:
        fault, self.next_fault = self.next_fault, None
        return fault

    def available(self) -> list[Message]:
        return [m for m in self.messages if not m.done and not m.in_flight and m.visible_at <= self.now]

    def pick(self, data: st.DataObject, can: Callable[[Invocation], bool]) -> Invocation:
        return self.invocations[data.draw(st.sampled_from(sorted(k for k, i in self.invocations.items() if can(i))))]

    def any_inv(self, can: Callable[[Invocation], bool]) -> bool:
        return any(can(inv) for inv in self.invocations.values())

    # -- the world ----------------------------------------------------------------------------------------------
    @rule(
        users=st.lists(st.sampled_from(USERS), min_size=1, max_size=2, unique=True),
        by_name=st.sets(st.sampled_from(USERS)),
    )
    def onboarding_sends_a_message(self, users: list[str], by_name: Collection[str] = ()) -> None:
        named = tuple(user for user in users if user in by_name)
        self.messages.append(Message(f"m-{len(self.messages)}", tuple(users), named))

    @precondition(lambda self: any(not m.done for m in self.messages))
    @rule(data=st.data(), jump=st.integers(1, 3))
    def a_receive_count_jumps(self, data: st.DataObject, jump: int) -> None:
        """SQS's ApproximateReceiveCount is approximate: the next delivery of a message may skip counts."""
        message = data.draw(st.sampled_from([m for m in self.messages if not m.done]))
        message.receives += jump

    @rule(seconds=st.sampled_from([LEASE_S + 1, 1.0, VISIBILITY_S + 1, COOLDOWN_S + 1]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @rule(user=st.sampled_from(USERS))
    def a_user_accepts(self, user: str) -> None:
        """The user joins: GetUser and ListUsers say active from now on, and Wickr refuses to reinvite them."""
        key = UserKey(NETWORK, user)
        if key in self.deleted:
            return
        self.accepted.setdefault(key, self.now)
        self.wickr.states[key] = UserState.ACTIVE

    @rule(user=st.sampled_from(USERS))
    def a_user_is_deleted(self, user: str) -> None:
        """An administrator deletes the user: GetUser says not found, and Wickr refuses to reinvite them."""
        key = UserKey(NETWORK, user)
        if key not in self.accepted:  # a joined user stays joined in the model's history
            self.deleted.add(key)
            self.wickr.states[key] = UserState.NOT_FOUND

    @rule(user=st.sampled_from(USERS), failing=st.booleans())
    def wickr_fails_a_user_or_stops(self, user: str, failing: bool) -> None:
        key = UserKey(NETWORK, user)
        (self.wickr.failing_users.add if failing else self.wickr.failing_users.discard)(key)

    # -- an invocation's steps ----------------------------------------------------------------------------------
    @precondition(lambda self: self.available() and len(self.invocations) < MAX_INVOCATIONS)
    @rule(data=st.data())
    def sqs_delivers_a_batch(self, data: st.DataObject) -> None:
        batch = data.draw(st.lists(st.sampled_from(self.available()), min_size=1, max_size=2, unique_by=id))
        for message in batch:
            message.receives += 1
            message.in_flight = True
            message.visible_at = self.now + VISIBILITY_S
        run = self.new_run(batch)
        self.next_fault = data.draw(LEDGER_FAULTS)
        checks, replays = self.admit(run)
        inv = Invocation(run, batch, [key for key in checks if key not in run.known], ready=replays)
        for key in checks:
            if key in run.known:  # ListUsers said: claimed at once, as the service does
                self.ask_ledger(inv, run.checked(key, run.known[key]))
        self.invocations[self.started] = inv
        self.started += 1

    def new_run(self, batch: list[Message]) -> BatchRun:
        requests = [request_of(message) for message in batch]
        directory = Resolutions(
            {name_key(NETWORK, USERNAMES[uid]): Found(uid, self.state(uid)) for m in batch for uid in m.by_name}
        )
        return BatchRun(requests, self.policy, self.clock, use_ledger=True, directory=directory, announce=True)

    def publish(self, events: list[OutcomeEvent], fault: str | None) -> set[str]:
        """EventBridge: puts the events unless it fails them; a lost answer put them, yet reports none put."""
        if fault != "fail":
            self.told += events
        return {event.event_id for event in events} if fault else set()

    def state(self, user_id: str) -> UserState:
        return self.wickr.user_state(NETWORK, user_id, NEVER)

    @staticmethod
    def ask_ledger(inv: Invocation, claims: list[ReinviteCall]) -> None:
        """The writes a check leads to, as the scheduler asks for them: the joins it saw, the calls to claim."""
        inv.ledger += [("publish", None, ("join", seen)) for seen in inv.run.joins.take()]
        inv.ledger += [("claim", chunk, None) for chunk in claims]

    def admit(self, run: BatchRun) -> tuple[list[UserKey], list[ReinviteCall]]:
        """The scheduler's read stage, as it runs it: records, then each stale claim's members and its take-over."""
        try:
            records = self.ledger.read(run.users, NEVER)
        except LedgerUnavailable as error:
            run.read_failed(run.users, error)
            return [], []
        admission = run.admitted(records)
        replays = []
        for stale in admission.stale:
            try:
                members = self.ledger.read(stale.unread, NEVER) if stale.unread else {}
            except LedgerUnavailable as error:
                run.read_failed(stale.requested, error)
                continue
            call = run.take_over(stale, members)
            if call is None:
                continue
            answer: bool | LedgerUnavailable
            try:
                answer = self.ledger.take_over(call, NEVER)
            except LedgerUnavailable as error:
                answer = error
            replay = run.take_overs.answered(call, stale, answer)
            replays += [replay] if replay is not None else []
        return admission.to_check, replays

    @precondition(lambda self: self.available() and len(self.invocations) < MAX_INVOCATIONS)
    @rule(data=st.data())
    def an_invocation_runs_through(self, data: st.DataObject) -> None:
        """Deep states in one step: deliver, check, claim and call at once, then stop at a drawn point."""
        self.sqs_delivers_a_batch(data)
        number = self.started - 1
        inv = self.invocations[number]
        stop = data.draw(st.sampled_from(["crashes after the calls", "completes", "crashes after the claims"]))
        while inv.checks:
            self.answer_check(inv, data)
        self.flush(inv)
        while inv.ledger:
            self.answer_ledger(inv, data)
        if stop == "crashes after the claims":
            self.crash(number)
            return
        while inv.ready:
            self.call_wickr(inv, data)
        if stop == "crashes after the calls":
            self.crash(number)
            return
        while inv.in_flight or inv.ledger:
            if inv.in_flight:
                self.answer_call(inv, data)
            else:
                self.answer_ledger(inv, data)
        self.report(self.invocations.pop(number))

    @precondition(lambda self: self.any_inv(lambda inv: bool(inv.checks)))
    @rule(data=st.data())
    def getuser_answers(self, data: st.DataObject) -> None:
        self.answer_check(self.pick(data, lambda inv: bool(inv.checks)), data)

    def answer_check(self, inv: Invocation, data: st.DataObject) -> None:
        answered = data.draw(st.sampled_from([True, True, False]))
        key = inv.checks.pop(data.draw(st.integers(0, len(inv.checks) - 1)))
        if answered:
            claims = inv.run.checked(key, self.state(key.user_id))
        else:
            claims = inv.run.check_failed(key, retryable(500, maybe_sent=False))
        self.ask_ledger(inv, claims)

    @precondition(lambda self: self.any_inv(lambda inv: not inv.checks and not inv.flushed))
    @rule(data=st.data())
    def checks_are_done(self, data: st.DataObject) -> None:
        self.flush(self.pick(data, lambda inv: not inv.checks and not inv.flushed))

    @staticmethod
    def flush(inv: Invocation) -> None:
        inv.ledger += [("claim", chunk, None) for chunk in inv.run.flush()]
        inv.flushed = True

    @precondition(lambda self: self.any_inv(lambda inv: bool(inv.ledger)))
    @rule(data=st.data())
    def the_ledger_answers(self, data: st.DataObject) -> None:
        self.answer_ledger(self.pick(data, lambda inv: bool(inv.ledger)), data)

    def answer_ledger(self, inv: Invocation, data: st.DataObject) -> None:
        step, chunk, detail = inv.ledger.pop(data.draw(st.integers(0, len(inv.ledger) - 1)))
        if step == "publish":  # the events first; the write they report only once they were put
            self.publish_then(inv, chunk, detail, data.draw(BUS_FAULTS))
            return
        self.next_fault = data.draw(LEDGER_FAULTS)
        try:
            if step == "claim":
                answer: Any = self.ledger.claim(chunk, inv.run.seen(chunk), NEVER)
            elif step == "settle":
                answer = self.ledger.settle(chunk, detail[0], detail[1], NEVER)
            elif step == "join":
                answer = self.ledger.record_join(detail[0], detail[1], NEVER)
            else:
                self.ledger.release(chunk, NEVER)
                answer = None
        except LedgerUnavailable as error:
            answer = error
        if step == "claim":
            claimed = inv.run.claimed(chunk, answer)
            inv.ready += [claimed.send] if claimed.send is not None else []
            inv.ledger += [("claim", claimed.claim_instead, None)] if claimed.claim_instead is not None else []
        elif step == "settle":
            inv.run.settled(chunk, answer)
        elif step == "join":
            inv.run.joins.recorded(detail[0], detail[1], answer)
        # a release's answer changes nothing in the run (a failed one only delays the users until the lease ends)

    def publish_then(self, inv: Invocation, chunk: ReinviteCall | None, detail: Any, fault: str | None) -> None:
        then, payload = detail
        announce = inv.run.announce
        events = announce.joined(*payload) if then == "join" else announce.sent(chunk, *payload)  # type: ignore[arg-type]
        if self.publish(events, fault):
            if then == "join":
                inv.run.joins.unpublished(payload[0])
            else:
                inv.run.announce.unpublished(chunk)  # type: ignore[arg-type]
            return
        inv.ledger.append((then, chunk, payload))

    @precondition(lambda self: self.any_inv(lambda inv: bool(inv.ready)))
    @rule(data=st.data())
    def wickr_is_called(self, data: st.DataObject) -> None:
        self.call_wickr(self.pick(data, lambda inv: bool(inv.ready)), data)

    def call_wickr(self, inv: Invocation, data: st.DataObject) -> None:
        outcome = data.draw(st.sampled_from(["refused", "answered", "answered", "answer lost", "answer garbled"]))
        chunk = inv.ready.pop(data.draw(st.integers(0, len(inv.ready) - 1)))
        joined = [key for key in chunk.users() if (r := self.ledger.records.get(key)) and r.joined_at is not None]
        assert not joined, f"a reinvite names users already joined: {joined}"
        if outcome == "refused":  # a 429 after every retry: never reached Wickr
            inv.in_flight.append((chunk, retryable(429, maybe_sent=False)))
            return
        receipt = self.wickr.reinvite(chunk.network_id, list(chunk.user_ids), chunk.token, NEVER)
        if outcome == "answer garbled":  # took effect; the answer that arrived does not account for one user
            dropped = chunk.user_ids[0]
            receipt = ReinviteReceipt(
                receipt.successful - {dropped}, {uid: why for uid, why in receipt.failed.items() if uid != dropped}
            )
        inv.in_flight.append((chunk, receipt if outcome != "answer lost" else retryable(500, maybe_sent=True)))

    @precondition(lambda self: self.any_inv(lambda inv: bool(inv.in_flight)))
    @rule(data=st.data())
    def the_answer_is_handled(self, data: st.DataObject) -> None:
        self.answer_call(self.pick(data, lambda inv: bool(inv.in_flight)), data)

    @staticmethod
    def answer_call(inv: Invocation, data: st.DataObject) -> None:
        chunk, answer = inv.in_flight.pop(data.draw(st.integers(0, len(inv.in_flight) - 1)))
        if isinstance(answer, ReinviteReceipt):
            attempts = inv.run.sent(chunk, answer)
            if attempts is not None:  # None: perhaps sent, nothing to settle (the claim stays for the replay)
                inv.ledger.append(("publish", chunk, ("settle", (answer, attempts))))
        elif inv.run.send_failed(chunk, answer):
            inv.ledger.append(("release", chunk, None))

    # Hypothesis orders rules by their number of arguments and draws the first ones most: the crash rule has three so
    # that it comes last, or it would end most invocations before they got anywhere interesting.
    @precondition(lambda self: bool(self.invocations))
    @rule(data=st.data(), _a=st.just(0), _b=st.just(0))
    def an_invocation_crashes(self, data: st.DataObject, _a: int, _b: int) -> None:
        self.crash(data.draw(st.sampled_from(sorted(self.invocations))))

    def crash(self, number: int) -> None:
        for message in self.invocations.pop(number).messages:
            message.in_flight = False  # back on the queue after its visibility timeout

    @precondition(lambda self: any(inv.idle() for inv in self.invocations.values()))
    @rule(data=st.data())
    def an_invocation_reports(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(sorted(k for k, inv in self.invocations.items() if inv.idle())))
        self.report(self.invocations.pop(number), data.draw(BUS_FAULTS))

    def report(self, inv: Invocation, bus_fault: str | None = None) -> None:
        skips = inv.run.announce.skipped()
        unpublished = self.publish([event for found in skips.values() for event in found], bus_fault)
        failing = {message_id for message_id, found in skips.items() if {e.event_id for e in found} & unpublished}
        report = inv.run.outcomes.finish(inv.run.requests, inv.run.directory, failing)
        for join in report.joins:
            self.joins_counted[join.key] = self.joins_counted.get(join.key, 0) + 1
            assert join.reinvites == len(self.wickr.sent.get(join.key, [])), join
        failed = set(report.failed_message_ids)
        for message in inv.messages:
            message.in_flight = False
            if message.message_id in failed:
                continue
            message.done = True
            never_invited = [uid for uid in message.user_ids if not self.invited_or_accepted(uid)]
            assert not never_invited, f"{message.message_id} reported done, never invited: {never_invited}"

    def invited_or_accepted(self, user_id: str) -> bool:
        """Done is true of a user who was invited, or who accepted or was deleted (there is nobody left to invite)."""
        key = UserKey(NETWORK, user_id)
        return bool(self.wickr.sent.get(key)) or key in self.accepted or key in self.deleted

    # -- invariants ---------------------------------------------------------------------------------------------
    @invariant()
    def a_join_is_true_counted_at_most_once_and_never_claimed(self) -> None:
        for key, record in self.ledger.records.items():
            if record.joined_at is not None:
                assert key in self.accepted, key  # never a false join
                assert record.joined_at >= self.accepted[key], key
                assert record.claim_token is None, key
        assert all(count == 1 for count in self.joins_counted.values()), self.joins_counted
        assert set(self.joins_counted) <= {k for k, r in self.ledger.records.items() if r.joined_at is not None}

    @invariant()
    def an_event_id_names_one_outcome_and_no_invitation_is_told_twice(self) -> None:
        outcome_of: dict[str, tuple[object, ...]] = {}
        for event in self.told:
            detail = event.detail
            said = (
                event.detail_type,
                detail.get("userId"),
                detail.get("entry"),
                detail.get("attempt"),
                detail.get("reason"),
            )
            assert outcome_of.setdefault(event.event_id, said) == said, event
        for key, times in self.wickr.sent.items():
            reinvites = self.told_ids(DetailType.REINVITED, key)
            assert len(reinvites) <= len(times), (key, reinvites, times)  # never one invitation under two ids
        for key in self.accepted:
            assert len(self.told_ids(DetailType.JOINED, key)) <= 1, key

    def told_ids(self, detail_type: DetailType, key: UserKey) -> set[str]:
        return {e.event_id for e in self.told if e.detail_type is detail_type and e.detail["userId"] == key.user_id}

    @invariant()
    def nobody_invited_twice_inside_the_cooldown(self) -> None:
        for key, times in self.wickr.sent.items():
            gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
            assert all(gap >= COOLDOWN_S for gap in gaps), f"{key.user_id} invited at {times}"

    @invariant()
    def no_claim_outlives_its_lease(self) -> None:
        for key, record in self.ledger.records.items():
            if record.claim_token is not None:
                assert record.claim_expires_at <= self.now + LEASE_S, key

    def teardown(self) -> None:
        """SQS redelivers until every message is done; no faults now. Nothing may be lost or blocked for good."""
        self.invocations.clear()
        self.wickr.failing_users.clear()
        for message in self.messages:
            message.in_flight = False
        for _ in range(4):
            self.now += VISIBILITY_S + LEASE_S + 1
            for message in [m for m in self.messages if not m.done]:
                self.sqs_delivers_alone(message)
        assert [m.message_id for m in self.messages if not m.done] == []
        named = {uid for message in self.messages for uid in message.user_ids}
        assert all(self.invited_or_accepted(uid) for uid in named)
        self.nobody_invited_twice_inside_the_cooldown()
        # Nothing lost: each invitation Wickr sent was told (once, under its own id), and so was each recorded join.
        for key, times in self.wickr.sent.items():
            assert len(self.told_ids(DetailType.REINVITED, key)) == len(times), key
        for key, record in self.ledger.records.items():
            if record.joined_at is not None:
                assert len(self.told_ids(DetailType.JOINED, key)) == 1, key
        logger.setLevel("INFO")

    def sqs_delivers_alone(self, message: Message) -> None:
        message.receives += 1
        inv = Invocation(self.new_run([message]), [message], [])
        inv.checks, inv.ready = self.admit(inv.run)
        while not inv.idle():
            if inv.checks:
                key = inv.checks.pop()
                self.ask_ledger(inv, inv.run.checked(key, self.state(key.user_id)))
            elif not inv.flushed:
                self.flush(inv)
            elif inv.ledger:
                self.answer_ledger(inv, Script(0, None))  # type: ignore[arg-type]
            elif inv.ready:
                self.call_wickr(inv, Script("answered", 0))  # type: ignore[arg-type]
            else:
                self.answer_call(inv, Script(0))  # type: ignore[arg-type]
        self.report(inv)


def request_of(message: Message) -> Request:
    """The message as intake reads it: ids in `userIds`, the others' usernames in `usernames`."""
    ids = tuple(uid for uid in message.user_ids if uid not in message.by_name)
    names = tuple(USERNAMES[uid] for uid in message.by_name)
    return Request(message.message_id, NETWORK, ids, message.receives, names)


CoreModel.TestCase.settings = settings(
    max_examples=400,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_core_model = CoreModel.TestCase


# -- scripted runs of the same model ---------------------------------------------------------------------------------
# Random search finds shallow interleavings quickly (a seeded "report done while claimed elsewhere" bug falls within a
# few hundred examples) but not every deep one: a replay released after a refusal needs five invocations' worth of
# steps and was not found at 4,000 examples. Those paths are scripted here, through the same model and invariants.


class Script:
    """Stands in for hypothesis' data object: hands out the given choices in order."""

    def __init__(self, *choices: object) -> None:
        self.choices = list(choices)

    def draw(self, strategy: object) -> object:
        return self.choices.pop(0)


def _run(model: CoreModel, *steps: tuple[str, tuple[object, ...]]) -> None:
    for name, args in steps:
        if name == "message":
            model.onboarding_sends_a_message(list(args))  # type: ignore[arg-type]
        elif name == "time":
            model.time_passes(float(args[0]))  # type: ignore[arg-type]
        else:
            message = model.messages[args[0]]  # type: ignore[index]
            model.an_invocation_runs_through(Script([message], *args[1:]))  # type: ignore[arg-type]
        model.nobody_invited_twice_inside_the_cooldown()
        model.no_claim_outlives_its_lease()
    model.teardown()


# an_invocation_runs_through draws, for one user: the batch, the read's fault, where it stops, the check (answered,
# index), the claim (index, fault), the call (outcome, index), its answer (index), the events' publication (index,
# fault), the settle or release (index, fault).
def test_a_replay_refused_by_wickr_keeps_its_claim_so_a_later_request_cannot_send_again() -> None:
    _run(
        CoreModel(),
        ("message", ("1001",)),
        ("run", (0, None, "crashes after the calls", True, 0, 0, None, "answered", 0)),  # sent, never recorded
        ("time", (LEASE_S + 1,)),
        ("message", ("1001",)),
        ("run", (1, None, "completes", "refused", 0, 0, 0, None)),  # the replay: every attempt answered 429
        ("message", ("1001",)),
        # Choices for a user that is free again; the claim kept by the replay leaves them unused.
        ("run", (2, None, "completes", True, 0, 0, None, "answered", 0, 0, 0, None)),
    )


def test_a_claim_whose_answer_was_lost_is_replayed_not_doubled() -> None:
    _run(
        CoreModel(),
        ("message", ("1001", "1002")),
        ("run", (0, None, "completes", True, 0, True, 0, 0, "lose")),  # the claim applied, its answer lost
        ("time", (VISIBILITY_S + 1,)),
        ("run", (0, None, "completes", "answered", 0, 0, 0, None, 0, None)),  # the redelivery replays the orphan claim
    )


def test_a_lost_settle_is_replayed_and_counted_once() -> None:
    model = CoreModel()
    _run(
        model,
        ("message", ("1001",)),
        ("run", (0, None, "completes", True, 0, 0, None, "answered", 0, 0, 0, None, 0, "fail")),  # settle never written
        ("time", (LEASE_S + 1,)),
        ("message", ("1001",)),
        ("run", (1, None, "completes", "answered", 0, 0, 0, None, 0, None)),  # replayed: Wickr answers from memory
    )
    assert model.ledger.records[UserKey(NETWORK, "1001")].attempts == 1


def test_two_invocations_that_see_the_same_join_count_it_once() -> None:
    """Both read the record before either wrote the join: the ledger's condition lets one count it."""
    model = CoreModel()
    model.onboarding_sends_a_message(["1001"])
    first = model.messages[0]
    choices = (None, "completes", True, 0, 0, None, "answered", 0, 0, 0, None, 0, None)
    model.an_invocation_runs_through(Script([first], *choices))
    model.time_passes(COOLDOWN_S + 1)
    model.a_user_accepts("1001")
    model.onboarding_sends_a_message(["1001"])
    model.onboarding_sends_a_message(["1001"])
    model.sqs_delivers_a_batch(Script([model.messages[1]], None))  # type: ignore[arg-type]
    model.sqs_delivers_a_batch(Script([model.messages[2]], None))  # type: ignore[arg-type]
    invocations = [model.invocations[1], model.invocations[2]]
    for inv in invocations:
        model.answer_check(inv, Script(True, 0))  # type: ignore[arg-type]
    for inv in invocations:  # both tell the join (the same id), then both write it
        assert [step for step, _, _ in inv.ledger] == ["publish"]
        model.answer_ledger(inv, Script(0, None))  # type: ignore[arg-type]
    for inv in invocations:
        assert [step for step, _, _ in inv.ledger] == ["join"]
        model.answer_ledger(inv, Script(0, None))  # type: ignore[arg-type]
    for number in (1, 2):
        model.flush(model.invocations[number])
        model.report(model.invocations.pop(number))

    assert model.joins_counted == {UserKey(NETWORK, "1001"): 1}
    model.a_join_is_true_counted_at_most_once_and_never_claimed()
    model.teardown()
