"""Small hand-written fakes of our own ports, for unit and model-based tests of the core (no sockets, no mocks).

`InMemoryLedger` keeps the DynamoDB ledger's semantics (one atomic transaction per call, the same conditions);
tests/integration/test_ledger_contract.py runs the same scenarios against both, so the fake stays honest.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable, RetryableWickrError, WickrError
from reinviter.core.events import OutcomeEvent
from reinviter.core.model import ListedUser, ReinviteReceipt, UserKey, UserState
from reinviter.core.planning import ReinviteCall
from reinviter.core.policy import LedgerRecord, Policy
from reinviter.core.usernames import NameKey

# A fault for the next ledger call: "fail" (not applied, the caller sees an error) or "lose" (applied, its answer
# lost: the caller sees the same error). None: answered.
LedgerFault = Callable[[str], str | None]


@dataclass
class InMemoryLedger:
    """The ledger port over a dict, with the DynamoDB adapter's conditions, and faults on demand."""

    policy: Policy
    clock: Callable[[], float]
    records: dict[UserKey, LedgerRecord] = field(default_factory=dict)
    given_up: set[UserKey] = field(default_factory=set)
    fault: LedgerFault = lambda step: None
    calls: int = 0
    durable = True

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        self._before("read")
        return {key: self.records[key] for key in keys if key in self.records}

    def claim(
        self, chunk: ReinviteCall, seen: Mapping[UserKey, LedgerRecord | None], deadline: Deadline
    ) -> dict[UserKey, LedgerRecord | None]:
        fault = self._before("claim")
        now = self.clock()
        refused: dict[UserKey, LedgerRecord | None] = {}
        for key in chunk.users():
            record = self.records.get(key)
            expected = seen.get(key)
            unclaimed = record is None or record.claim_token in (None, chunk.token)
            same_attempts = (record.attempts if record else 0) == (expected.attempts if expected else 0)
            rested = (
                record is None
                or record.last_reinvited_at is None
                or (record.last_reinvited_at <= now - self.policy.wait_after(record.attempts))
            )
            joined = record is not None and record.joined_at is not None
            if not (unclaimed and same_attempts and rested) or joined:
                refused[key] = record
        if refused:
            self._after(fault)
            return refused
        for key in chunk.users():
            record = self.records.get(key) or LedgerRecord()
            self.records[key] = replace(
                record,
                claim_token=chunk.token,
                claim_members=chunk.user_ids,
                claim_expires_at=now + self.policy.lease_s,
            )
        self._after(fault)
        return {}

    def take_over(self, chunk: ReinviteCall, deadline: Deadline) -> bool:
        fault = self._before("take over")
        now = self.clock()
        taken = all(
            (record := self.records.get(key)) is not None
            and record.claim_token == chunk.token
            and record.claim_expires_at <= now
            for key in chunk.users()
        )
        if taken:
            for key in chunk.users():
                self.records[key] = replace(self.records[key], claim_expires_at=now + self.policy.lease_s)
        self._after(fault)  # a lost answer here is a failed take-over for the caller: the claim stays leased
        return taken

    def settle(
        self, chunk: ReinviteCall, receipt: ReinviteReceipt, attempts: Mapping[UserKey, int], deadline: Deadline
    ) -> list[UserKey]:
        fault = self._before("settle")
        now = self.clock()
        counts = {key: attempts.get(key, 0) + 1 for key in chunk.users() if key.user_id in receipt.successful}
        reached = [key for key, count in counts.items() if count >= self.policy.max_attempts]
        if any(self._token(key) != chunk.token for key in chunk.users()):
            applied = {
                key
                for key in chunk.users()
                if (record := self.records.get(key)) is not None
                and record.claim_token is None
                and (key not in counts or record.attempts == counts[key])
            }
            self._after(fault)
            return [key for key in reached if key in applied]
        for key in chunk.users():
            unclaimed = replace(self.records[key], claim_token=None, claim_members=(), claim_expires_at=0.0)
            if key in counts:
                first = unclaimed.first_reinvited_at if unclaimed.first_reinvited_at is not None else now
                unclaimed = replace(unclaimed, attempts=counts[key], last_reinvited_at=now, first_reinvited_at=first)
            self.records[key] = unclaimed
        self.given_up.update(reached)
        self.given_up -= set(counts) - set(reached)
        self._after(fault)
        return reached

    def release(self, chunk: ReinviteCall, deadline: Deadline) -> None:
        fault = self._before("release")
        if all(self._token(key) == chunk.token for key in chunk.users()):
            for key in chunk.users():
                self.records[key] = replace(self.records[key], claim_token=None, claim_members=(), claim_expires_at=0.0)
        self._after(fault)

    def record_join(self, key: UserKey, seen: LedgerRecord, deadline: Deadline) -> bool:
        fault = self._before("join")
        record = self.records.get(key)
        if record is None or record.attempts != seen.attempts or record.claim_token or record.joined_at is not None:
            self._after(fault)  # a lost answer of a refused write: the caller sees an error, as it would
            return False
        self.records[key] = replace(record, joined_at=self.clock())
        self.given_up.discard(key)
        self._after(fault)
        return True

    def _token(self, key: UserKey) -> str | None:
        record = self.records.get(key)
        return record.claim_token if record else None

    def _before(self, step: str) -> str | None:
        self.calls += 1
        fault = self.fault(step)
        if fault == "fail":
            raise LedgerUnavailable(f"{step}: injected failure")
        return fault

    @staticmethod
    def _after(fault: str | None) -> None:
        if fault == "lose":
            raise LedgerUnavailable("injected: applied, answer lost")


@dataclass
class FakeWickr:
    """Wickr as the core sees it: GetUser states, and BatchReinviteUser with idempotent tokens and a send log."""

    clock: Callable[[], float] = lambda: 0.0
    states: dict[UserKey, UserState] = field(default_factory=dict)
    failing_users: set[UserKey] = field(default_factory=set)
    answers: dict[str, ReinviteReceipt] = field(default_factory=dict)  # by token: what Wickr remembers
    sent: dict[UserKey, list[float]] = field(default_factory=dict)  # real invitations, with their time
    calls: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    directory: dict[str, list[ListedUser]] = field(default_factory=dict)  # username filter -> what ListUsers lists
    lookup_errors: dict[str, WickrError] = field(default_factory=dict)  # username filter -> the error it raises
    lookups: list[str] = field(default_factory=list)
    usernames: dict[UserKey, str] = field(default_factory=dict)  # what GetUser says (else: from `directory`)
    confirmations: list[UserKey] = field(default_factory=list)  # GetUser calls made through `user`

    def user_state(self, network_id: str, user_id: str, deadline: Deadline) -> UserState:
        return self.states.get(UserKey(network_id, user_id), UserState.PENDING)

    def user(self, network_id: str, user_id: str, deadline: Deadline) -> ListedUser | None:
        key = UserKey(network_id, user_id)
        self.confirmations.append(key)
        state = self.user_state(network_id, user_id, deadline)
        if state is UserState.NOT_FOUND:
            return None
        listed = (user.username for users in self.directory.values() for user in users if user.user_id == user_id)
        return ListedUser(user_id, state, self.usernames.get(key) or next(listed, ""))

    def users_by_username(self, network_id: str, username: str, deadline: Deadline) -> list[ListedUser]:
        self.lookups.append(username)
        if username in self.lookup_errors:
            raise self.lookup_errors[username]
        return list(self.directory.get(username, []))

    def reinvite(self, network_id: str, user_ids: list[str], client_token: str, deadline: Deadline) -> ReinviteReceipt:
        self.calls.append((network_id, tuple(user_ids), client_token))
        if client_token in self.answers:
            return self.answers[client_token]
        successful = set()
        for user_id in user_ids:
            key = UserKey(network_id, user_id)
            if key in self.failing_users or self.states.get(key, UserState.PENDING) is not UserState.PENDING:
                continue
            successful.add(user_id)
            self.sent.setdefault(key, []).append(self.clock())
        failed = {
            user_id: "injected failure" if UserKey(network_id, user_id) in self.failing_users else "not pending"
            for user_id in user_ids
            if user_id not in successful
        }
        receipt = ReinviteReceipt(frozenset(successful), failed)
        self.answers[client_token] = receipt
        return receipt


@dataclass
class InMemoryNameCache:
    """The username cache as a dict (keys are what DynamoNameCache hashes)."""

    entries: dict[NameKey, str] = field(default_factory=dict)
    unavailable: bool = False

    def read(self, keys: Sequence[NameKey], deadline: Deadline) -> dict[NameKey, str]:
        if self.unavailable:
            raise LedgerUnavailable("name read: injected")
        return {key: self.entries[key] for key in keys if key in self.entries}

    def remember(self, resolved: dict[NameKey, str], deadline: Deadline) -> None:
        if self.unavailable:
            raise LedgerUnavailable("name write: injected")
        self.entries |= resolved

    def forget(self, keys: Sequence[NameKey], deadline: Deadline) -> None:
        for key in keys:
            self.entries.pop(key, None)


class AcceptingBus:
    """An event bus that puts every event at once, keeping them (the bench's "instant" run, unit tests)."""

    enabled = True

    def __init__(self) -> None:
        self.events: list[OutcomeEvent] = []

    def publish(self, events: Sequence[OutcomeEvent], deadline: Deadline) -> set[str]:
        """Every event put."""
        self.events += events
        return set()


def retryable(status: int = 500, *, maybe_sent: bool) -> WickrError:
    """A Wickr error as the gateway raises it after its retries."""
    error = RetryableWickrError(f"answered {status}", code=str(status), status=status)
    error.maybe_sent = maybe_sent
    return error
