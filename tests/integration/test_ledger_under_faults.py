"""The ledger under load and faults, through the real handler against the emulator and moto over HTTP.

A full batch, 429s on a replay, claim, settle and take-over answers lost, a DynamoDB that never answers, and the
no-ledger mode's redelivery: each failed on the first version's core (one pool shared by Wickr and DynamoDB calls).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devkit.dynamodb_proxy import Faults, dynamodb_proxy
from tests.conftest import DEMO_NETWORK, FakeLambdaContext, Logs, emitted_metrics, failed_ids, sqs_event, sqs_record
from tests.integration.conftest import table_items, told
from wickr_emulator import SeedUser, WickrEmulator

BATCH_SIZE = 10  # the template's largest SqsBatchSize
USERS_PER_MESSAGE = 50  # what the sweep queues in one message
RECEIVES = 5  # deliveries of a message before the dead-letter queue (the template's default MaxReceiveCount)


@pytest.fixture
def proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    """The function's DynamoDB client goes through the fault proxy; the test's own client talks to moto directly."""
    with dynamodb_proxy(aws) as (url, faults):
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", url)
        yield faults


def _invoke(records: list[dict[str, Any]], remaining_ms: int = 60_000) -> dict[str, Any]:
    from reinviter.handler import lambda_handler

    return lambda_handler(sqs_event(*records), FakeLambdaContext(remaining_ms=remaining_ms))


def _full_batch(emulator: WickrEmulator) -> tuple[list[dict[str, Any]], list[str]]:
    user_ids = [str(700_000 + n) for n in range(BATCH_SIZE * USERS_PER_MESSAGE)]
    emulator.add_users(DEMO_NETWORK, [SeedUser(user_id=uid) for uid in user_ids])
    records = [
        sqs_record({"networkId": DEMO_NETWORK, "userIds": user_ids[start : start + USERS_PER_MESSAGE]})
        for start in range(0, len(user_ids), USERS_PER_MESSAGE)
    ]
    return records, user_ids


def _deliver_until_done(records: list[dict[str, Any]], clock: list[float]) -> list[dict[str, Any]]:
    """Invoke with the batch, then redeliver what failed as SQS would: alone, after its visibility timeout."""
    from reinviter.core.policy import CLAIM_LEASE_S

    responses = [_invoke(records)]
    for _ in range(RECEIVES - 1):
        failed = failed_ids(responses[-1])
        if not failed:
            break
        clock[0] += CLAIM_LEASE_S + 1  # the template's visibility timeout is longer than the lease
        responses.append(_invoke([record for record in records if record["messageId"] in failed]))
    return responses


@pytest.mark.parametrize("concurrency", ["16", "1"])
def test_a_full_batch_with_the_ledger_reinvites_each_user_once(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    proxy: Faults,
    clock: list[float],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    logs: Logs,
    concurrency: str,
    outcomes: str,
    sqs: Any,
) -> None:
    monkeypatch.setenv("WICKR_MAX_CONCURRENCY", concurrency)
    records, user_ids = _full_batch(emulator)

    responses = _deliver_until_done(records, clock)

    assert failed_ids(responses[-1]) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in user_ids] == [1] * len(user_ids)
    # One token a 50-user call, whatever was redelivered: a call whose answer is unknown is replayed, never re-sent.
    tokens = {entry.client_token for entry in emulator.journal if entry.operation == "BatchReinviteUser"}
    assert len(tokens) == BATCH_SIZE
    items = table_items(dynamodb, ledger_table)
    assert all(items[f"user#{DEMO_NETWORK}#{uid}"]["attempts"] == {"N": "1"} for uid in user_ids)
    assert not any("claim_token" in item for item in items.values())
    assert emitted_metrics(capsys.readouterr().out)["UsersReinvited"] == len(user_ids)
    # Deployed, every invitation is told: one `User Reinvited` per user, a replay repeating its id, never a new one.
    reinvited = [e["detail"] for e in told(sqs, outcomes) if e["detail-type"] == "User Reinvited"]
    assert {d["userId"] for d in reinvited} == set(user_ids)
    assert len({d["eventId"] for d in reinvited}) == len(user_ids)
    # moto spends about a second on a 50-update transaction, close to the ledger's 2 s read timeout: on a loaded
    # machine a request times out and is retried (logged), and three in a row fail the message, which SQS
    # redelivers. The only failure allowed is that one; the cost is pinned when the first delivery was clean.
    lines = logs()
    problems = [line["problems"] for line in lines if line["message"] == "message failed, left for redelivery"]
    assert all("ledger" in reason for found in problems for reason in found.values()), problems
    retried = [line for line in lines if line["message"] == "ledger request retried"]
    assert proxy.seen["BatchGetItem"] >= 5 + sum(line["step"] == "read" for line in retried)
    if len(responses) == 1:  # 5 reads of 100 keys, one claim and one settle per 50-user call: 0.05 a user
        assert proxy.seen["BatchGetItem"] == 5 + sum(line["step"] == "read" for line in retried)
        assert proxy.seen["TransactWriteItems"] == 2 * BATCH_SIZE + sum(line["step"] != "read" for line in retried)
    assert set(proxy.seen) == {"BatchGetItem", "TransactWriteItems"}  # PutEvents goes to EventBridge, not here


def test_a_replay_refused_by_429s_is_never_released(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, clock: list[float], crash_in_next_settle: None
) -> None:
    from reinviter.core.policy import CLAIM_LEASE_S

    with pytest.raises(RuntimeError, match="injected"):
        _invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="m-1")])
    token = table_items(dynamodb, ledger_table)[f"user#{DEMO_NETWORK}#1001"]["claim_token"]["S"]

    clock[0] += CLAIM_LEASE_S + 1
    emulator.faults.fail_next(429, count=3, operation="BatchReinviteUser")  # every attempt of the replay refused
    replay = _invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="m-2")])

    assert failed_ids(replay) == {"m-2"}
    item = table_items(dynamodb, ledger_table)[f"user#{DEMO_NETWORK}#1001"]
    assert item["claim_token"] == {"S": token}  # kept: the first call may have reached Wickr
    # Inside the renewed lease nobody may claim the user with a new token; after it, the same token is replayed.
    assert failed_ids(_invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="m-3")]))
    clock[0] += CLAIM_LEASE_S + 1
    assert (
        failed_ids(_invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="m-4")])) == set()
    )
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    tokens = {entry.client_token for entry in emulator.journal if entry.operation == "BatchReinviteUser"}
    assert tokens == {token}


def test_a_claim_whose_answer_was_lost_is_recognised_as_its_own(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, proxy: Faults
) -> None:
    proxy.lose_answer["TransactWriteItems"] = 1  # the claim is applied by DynamoDB, its answer never arrives

    response = _invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="m-1")])

    assert failed_ids(response) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002")] == [1, 1]
    items = table_items(dynamodb, ledger_table)
    for uid in ("1001", "1002"):
        assert items[f"user#{DEMO_NETWORK}#{uid}"]["attempts"] == {"N": "1"}
        assert "claim_token" not in items[f"user#{DEMO_NETWORK}#{uid}"]


def test_a_settle_whose_answer_was_lost_counts_the_attempt_once(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, proxy: Faults, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "1")
    claim_then_settle = 2
    proxy.lose_answer["TransactWriteItems"] = claim_then_settle  # the claim's and the settle's answers both lost

    response = _invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="m-1")])

    assert failed_ids(response) == set()
    item = table_items(dynamodb, ledger_table)[f"user#{DEMO_NETWORK}#1001"]
    assert (item["attempts"], item["given_up"], "claim_token" in item) == ({"N": "1"}, {"S": DEMO_NETWORK}, False)


def test_a_dynamodb_that_never_answers_cannot_hold_the_invocation(
    emulator: WickrEmulator, ledger_table: str, proxy: Faults, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.adapters.dynamodb.requests import CALL_BUDGET_S

    proxy.hang["BatchGetItem"] = None
    remaining_ms = 3_000 + int(CALL_BUDGET_S * 1000) + 1_000  # the margin, one attempt's budget, and a second

    response = _invoke(
        [sqs_record({"networkId": DEMO_NETWORK, "userIds": [str(1001 + n)]}, message_id=f"m-{n}") for n in range(20)],
        remaining_ms=remaining_ms,
    )

    assert failed_ids(response) == {f"m-{n}" for n in range(20)}
    assert proxy.seen["BatchGetItem"] == 1  # one attempt fit before the deadline; a second would not have
    assert emulator.calls("GetUser") == 0  # nothing is sent while the ledger cannot say who may be
    assert emitted_metrics(capsys.readouterr().out)["MessagesFailed"] == 20


def test_without_a_ledger_a_message_redelivered_alone_repeats_its_token(
    emulator: WickrEmulator,
) -> None:
    first = _invoke(
        [
            sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="a"),
            sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1004"]}, message_id="b"),
        ]
    )
    again = _invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="a")])

    assert failed_ids(first) == failed_ids(again) == set()
    calls = [entry for entry in emulator.journal if entry.operation == "BatchReinviteUser"]
    assert sorted(call.user_ids for call in calls) == [("1001", "1002"), ("1001", "1002"), ("1004",)]
    by_users: dict[tuple[str, ...], set[str | None]] = {}
    for call in calls:
        by_users.setdefault(call.user_ids, set()).add(call.client_token)
    assert len(by_users[("1001", "1002")]) == 1
    assert [call.replayed for call in calls if call.user_ids == ("1001", "1002")] == [False, True]
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002", "1004")] == [1, 1, 1]


def test_a_take_over_whose_answer_was_lost_still_replays_once(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    clock: list[float],
    crash_in_next_settle: None,
    proxy: Faults,
) -> None:
    from reinviter.core.policy import CLAIM_LEASE_S

    with pytest.raises(RuntimeError, match="injected"):
        _invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="m-1")])
    clock[0] += CLAIM_LEASE_S + 1
    proxy.lose_answer["TransactWriteItems"] = 1  # the take-over is applied, its answer lost; the retry is ours

    response = _invoke([sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="m-2")])

    assert failed_ids(response) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002")] == [1, 1]
    last = [entry for entry in emulator.journal if entry.operation == "BatchReinviteUser"][-1]
    assert (last.user_ids, last.replayed) == (("1001", "1002"), True)
    items = table_items(dynamodb, ledger_table)
    assert all(items[f"user#{DEMO_NETWORK}#{uid}"]["attempts"] == {"N": "1"} for uid in ("1001", "1002"))
