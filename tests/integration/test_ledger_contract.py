"""The ledger port's contract, run against DynamoLedger (moto's server over HTTP) and the in-memory fake alike.

The model-based test trusts InMemoryLedger to behave as the DynamoDB adapter does; these scenarios keep it honest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devkit.fakes import InMemoryLedger
from devkit.ledger_table import create_ledger_table
from reinviter.core.deadline import Deadline
from reinviter.core.model import ReinviteReceipt, UserKey
from reinviter.core.planning import ReinviteCall
from reinviter.core.policy import LedgerRecord, Policy, Status, decide
from reinviter.core.ports import Ledger

NETWORK = "12345678"
POLICY = Policy(cooldown_s=3600.0, max_attempts=2, lease_s=600.0)
NEVER = Deadline.never()
A, B, C = (UserKey(NETWORK, uid) for uid in ("1001", "1002", "1003"))


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["dynamodb", "in-memory"])
def ledger(request: pytest.FixtureRequest) -> Iterator[tuple[Ledger, Clock]]:
    clock = Clock()
    if request.param == "in-memory":
        yield InMemoryLedger(POLICY, clock), clock
        return
    from reinviter.adapters.dynamodb.ledger import DynamoLedger

    dynamodb: Any = request.getfixturevalue("dynamodb")
    table = f"contract-{uuid.uuid4().hex[:10]}"
    create_ledger_table(dynamodb, table)
    yield DynamoLedger(dynamodb, table, POLICY, clock=clock), clock


def _chunk(token: str, *keys: UserKey) -> ReinviteCall:
    return ReinviteCall(NETWORK, tuple(key.user_id for key in keys), token)


def _ok(*keys: UserKey) -> ReinviteReceipt:
    return ReinviteReceipt(frozenset(key.user_id for key in keys))


def _status(ledger: Ledger, clock: Clock, key: UserKey) -> Status:
    return decide(ledger.read([key], NEVER).get(key), clock.now, POLICY).status


Scenario = Callable[[Ledger, Clock], None]


def test_a_claim_is_all_or_nothing_and_names_who_refused(ledger: tuple[Ledger, Clock]) -> None:
    store, _ = ledger
    assert store.claim(_chunk("t1", A), {}, NEVER) == {}

    refused = store.claim(_chunk("t2", A, B), {}, NEVER)

    assert list(refused) == [A]
    assert refused[A] is not None
    assert refused[A].claim_token == "t1"
    assert B not in store.read([B], NEVER)  # B was not claimed by the refused call
    assert store.claim(_chunk("t1", A), {}, NEVER) == {}  # a call's own claim, written again, is its own


def test_settle_counts_attempts_starts_cooldown_and_reports_the_cap_once(ledger: tuple[Ledger, Clock]) -> None:
    store, clock = ledger
    store.claim(_chunk("t1", A, B), {}, NEVER)
    assert store.settle(_chunk("t1", A, B), _ok(A), {}, NEVER) == []
    records = store.read([A, B], NEVER)
    assert (records[A].attempts, records[A].claim_token, records[B].claim_token) == (1, None, None)
    assert records[B].attempts == 0  # a failed user just lost the claim
    assert _status(store, clock, A) is Status.COOLDOWN

    clock.now += POLICY.cooldown_s + 1
    assert store.claim(_chunk("t2", A), {A: records[A]}, NEVER) == {}
    assert store.settle(_chunk("t2", A), _ok(A), {A: 1}, NEVER) == [A]
    assert store.settle(_chunk("t2", A), _ok(A), {A: 1}, NEVER) == [A]  # a lost answer's retry: still counted once
    clock.now += POLICY.cooldown_s + 1
    assert _status(store, clock, A) is Status.GIVEN_UP


def test_a_claim_expects_the_attempts_it_saw(ledger: tuple[Ledger, Clock]) -> None:
    store, _ = ledger
    store.claim(_chunk("t1", A), {}, NEVER)
    store.settle(_chunk("t1", A), _ok(A), {}, NEVER)
    stale_view = {A: LedgerRecord()}

    refused = store.claim(_chunk("t2", A), stale_view, NEVER)

    assert A in refused


def test_a_stale_claim_is_taken_over_by_one_taker(ledger: tuple[Ledger, Clock]) -> None:
    store, clock = ledger
    store.claim(_chunk("t1", A, B), {}, NEVER)
    assert not store.take_over(_chunk("t1", A, B), NEVER)  # still leased, even at the very instant of the claim
    clock.now += POLICY.lease_s + 1

    assert store.take_over(_chunk("t1", A, B), NEVER)
    assert not store.take_over(_chunk("t1", A, B), NEVER)  # a second taker: leased anew by the first
    assert _status(store, clock, A) is Status.CLAIMED


def test_release_frees_only_the_calls_own_claim(ledger: tuple[Ledger, Clock]) -> None:
    store, clock = ledger
    store.claim(_chunk("t1", A), {}, NEVER)
    store.release(_chunk("t2", A), NEVER)  # not its claim: nothing happens
    assert _status(store, clock, A) is Status.CLAIMED

    store.release(_chunk("t1", A), NEVER)

    assert _status(store, clock, A) is Status.ELIGIBLE
    assert store.claim(_chunk("t3", A, C), {}, NEVER) == {}


def test_a_join_is_written_once_keeps_the_first_reinvite_and_refuses_every_later_claim(
    ledger: tuple[Ledger, Clock],
) -> None:
    store, clock = ledger
    store.claim(_chunk("t1", A), {}, NEVER)
    store.settle(_chunk("t1", A), _ok(A), {}, NEVER)
    first = clock.now
    clock.now += 2 * POLICY.cooldown_s
    seen = store.read([A], NEVER)[A]
    store.claim(_chunk("t2", A), {A: seen}, NEVER)
    store.settle(_chunk("t2", A), _ok(A), {A: 1}, NEVER)
    record = store.read([A], NEVER)[A]
    assert (record.first_reinvited_at, record.last_reinvited_at) == (first, clock.now)
    clock.now += 2 * POLICY.cooldown_s

    assert store.record_join(A, record, NEVER) is True
    assert store.record_join(A, record, NEVER) is False  # a second observer of the same join counts nothing

    joined = store.read([A], NEVER)[A]
    assert joined.joined_at == clock.now
    assert _status(store, clock, A) is Status.JOINED
    clock.now += 10 * POLICY.cooldown_s
    assert store.claim(_chunk("t3", A), {A: joined}, NEVER) == {A: joined}  # never reinvited again


def test_a_join_is_refused_when_the_record_moved_since_it_was_read(ledger: tuple[Ledger, Clock]) -> None:
    store, clock = ledger
    store.claim(_chunk("t1", A), {}, NEVER)
    store.settle(_chunk("t1", A), _ok(A), {}, NEVER)
    seen = store.read([A], NEVER)[A]
    clock.now += 2 * POLICY.cooldown_s
    store.claim(_chunk("t2", A), {A: seen}, NEVER)  # another invocation claimed the user meanwhile

    assert store.record_join(A, seen, NEVER) is False
    assert store.read([A], NEVER)[A].joined_at is None
