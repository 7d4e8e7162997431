"""Users of every record of a batch share BatchReinviteUser calls, and a redelivered batch repeats its tokens."""

from __future__ import annotations

import re

import pytest

from tests.conftest import (
    DEMO_NETWORK,
    OTHER_NETWORK,
    FakeLambdaContext,
    emitted_metrics,
    failed_ids,
    sqs_event,
    sqs_record,
)
from wickr_emulator import SeedUser, WickrEmulator

TOKEN = re.compile(r"^[a-zA-Z0-9\-_:]{1,64}$")


def _reinvites(emulator: WickrEmulator) -> list[tuple[str, ...]]:
    return [entry.user_ids for entry in emulator.journal if entry.operation == "BatchReinviteUser"]


def test_with_the_ledger_120_users_in_10_messages_cost_3_calls(
    emulator: WickrEmulator, ledger_table: str, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.handler import lambda_handler

    user_ids = [str(5000 + n) for n in range(120)]
    emulator.add_users(DEMO_NETWORK, [SeedUser(user_id=uid) for uid in user_ids])
    records = [
        sqs_record({"networkId": DEMO_NETWORK, "userIds": user_ids[start : start + 12]}) for start in range(0, 120, 12)
    ]

    response = lambda_handler(sqs_event(*records), lambda_context)

    assert failed_ids(response) == set()
    calls = _reinvites(emulator)
    assert sorted(len(ids) for ids in calls) == [20, 50, 50]
    assert sorted(uid for ids in calls for uid in ids) == sorted(user_ids)
    assert all(emulator.invites_sent(DEMO_NETWORK, uid) == 1 for uid in user_ids)
    assert emulator.calls("GetUser") == 120
    tokens = [entry.client_token or "" for entry in emulator.journal if entry.operation == "BatchReinviteUser"]
    assert all(TOKEN.match(token) for token in tokens)
    assert len(set(tokens)) == 3
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["UsersReinvited"] == 120
    assert metrics["UsersChecked"] == 120


def test_user_named_by_two_records_is_checked_and_reinvited_once(
    emulator: WickrEmulator, ledger_table: str, lambda_context: FakeLambdaContext
) -> None:
    from reinviter.handler import lambda_handler

    event = sqs_event(
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="a"),
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1002", "1004", "1002"]}, message_id="b"),
        sqs_record({"networkId": OTHER_NETWORK, "userIds": ["2001"]}, message_id="c"),
    )

    response = lambda_handler(event, lambda_context)

    assert failed_ids(response) == set()
    assert emulator.calls("GetUser") == 4
    assert sorted(_reinvites(emulator)) == [("1001", "1002", "1004"), ("2001",)]
    assert emulator.invites_sent(DEMO_NETWORK, "1002") == 1


def test_redelivered_batch_repeats_its_tokens_and_sends_nothing_twice(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext
) -> None:
    from reinviter.handler import lambda_handler

    event = sqs_event(
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="first"),
        sqs_record({"networkId": OTHER_NETWORK, "userIds": ["2001"]}, message_id="second"),
    )

    assert failed_ids(lambda_handler(event, lambda_context)) == set()
    first = [entry for entry in emulator.journal if entry.operation == "BatchReinviteUser"]
    emulator.reset_journal()
    assert failed_ids(lambda_handler(event, lambda_context)) == set()
    second = [entry for entry in emulator.journal if entry.operation == "BatchReinviteUser"]

    assert len(first) == len(second) == 2
    assert not any(entry.replayed for entry in first)
    assert all(entry.replayed for entry in second)
    assert sorted(e.client_token or "" for e in first) == sorted(e.client_token or "" for e in second)
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002")] == [1, 1]
    assert emulator.invites_sent(OTHER_NETWORK, "2001") == 1


def test_new_message_for_the_same_users_gets_a_new_token(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext
) -> None:
    from reinviter.handler import lambda_handler

    body = {"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}
    lambda_handler(sqs_event(sqs_record(body, message_id="monday")), lambda_context)
    lambda_handler(sqs_event(sqs_record(body, message_id="tuesday")), lambda_context)

    tokens = [entry.client_token for entry in emulator.journal if entry.operation == "BatchReinviteUser"]
    assert len(tokens) == 2
    assert tokens[0] != tokens[1]
    assert not any(entry.replayed for entry in emulator.journal)
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002")] == [2, 2]
