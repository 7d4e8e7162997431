"""Wickr failing: throttled, down for one network, refusing a user, refusing our credentials."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import (
    DEMO_NETWORK,
    OTHER_NETWORK,
    FakeLambdaContext,
    Logs,
    emitted_metrics,
    failed_ids,
    sqs_event,
    sqs_record,
)
from wickr_emulator import WickrEmulator


def _two_networks() -> dict[str, Any]:
    return sqs_event(
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="demo-a"),
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1004"]}, message_id="demo-b"),
        sqs_record({"networkId": OTHER_NETWORK, "userIds": ["2001", "2002"]}, message_id="other-a"),
        sqs_record({"networkId": OTHER_NETWORK, "userIds": ["2003"]}, message_id="other-b"),
    )


@pytest.mark.parametrize("operation", ["GetUser", "BatchReinviteUser"])
def test_429_is_retried_and_counted(
    emulator: WickrEmulator,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
) -> None:
    from reinviter.handler import lambda_handler

    # A ceiling, so the pacer halves to 50/s; unpaced, it would start from the rate seen in its first milliseconds.
    monkeypatch.setenv("WICKR_MAX_REQUESTS_PER_SECOND", "100")
    emulator.faults.fail_next(429, count=1, operation=operation)
    event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="m"))

    response = lambda_handler(event, lambda_context)

    assert failed_ids(response) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002")] == [1, 1]
    throttled = [entry for entry in emulator.journal if entry.status == 429]
    assert [entry.operation for entry in throttled] == [operation]
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["RateLimited"] == 1
    assert metrics["UsersReinvited"] == 2
    assert metrics["MessagesFailed"] == 0


def test_throttled_reinvite_is_retried_with_the_same_token(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reinviter.handler import lambda_handler

    monkeypatch.setenv("WICKR_MAX_REQUESTS_PER_SECOND", "100")
    emulator.faults.fail_next(429, count=1, operation="BatchReinviteUser")
    lambda_handler(sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]})), lambda_context)

    attempts = [entry for entry in emulator.journal if entry.operation == "BatchReinviteUser"]
    assert [entry.status for entry in attempts] == [429, 200]
    assert attempts[0].client_token == attempts[1].client_token


def test_500_fails_only_the_records_of_its_network(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.handler import lambda_handler

    emulator.faults.fail_network(OTHER_NETWORK, 500)

    response = lambda_handler(_two_networks(), lambda_context)

    assert failed_ids(response) == {"other-a", "other-b"}
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002", "1004")] == [1, 1, 1]
    assert emulator.total_invites_sent(OTHER_NETWORK) == 0
    # bounded: at most WICKR_RETRY_ATTEMPTS (3) attempts per user, and no reinvite tried for a network that is down
    assert emulator.calls("GetUser") <= 3 + 3 * 3
    assert not any(e.operation == "BatchReinviteUser" and e.network_id == OTHER_NETWORK for e in emulator.journal)
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["MessagesFailed"] == 2
    assert metrics["UsersReinvited"] == 3


def test_500_on_reinvite_fails_the_chunk_messages(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.handler import lambda_handler

    emulator.faults.fail_next(500, count=3, operation="BatchReinviteUser")  # every attempt of the first chunk
    event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="m"))

    response = lambda_handler(event, lambda_context)

    assert failed_ids(response) == {"m"}
    assert emulator.calls("BatchReinviteUser") == 3
    assert len({entry.client_token for entry in emulator.journal if entry.operation == "BatchReinviteUser"}) == 1
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["ReinviteFailed"] == 2
    assert metrics["MessagesFailed"] == 1


def test_failed_user_fails_only_the_records_that_name_it(
    emulator: WickrEmulator, ledger_table: str, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.handler import lambda_handler

    emulator.faults.fail_user(DEMO_NETWORK, "1002", times=None)

    response = lambda_handler(_two_networks(), lambda_context)

    assert failed_ids(response) == {"demo-a"}
    assert emulator.invites_sent(DEMO_NETWORK, "1002") == 0
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1004")] == [1, 1]
    assert emulator.calls("BatchReinviteUser") == 2  # a per-user failure is an answer, not an error to retry
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["ReinviteFailed"] == 1
    assert metrics["UsersReinvited"] == 5
    assert metrics["MessagesFailed"] == 1


def test_unknown_credentials_fail_every_record_without_a_storm(
    emulator: WickrEmulator,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    logs: Logs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3

    from reinviter.handler import lambda_handler

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # boto3's default session caches the first credentials
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    monkeypatch.setenv("WICKR_MAX_CONCURRENCY", "1")
    event = sqs_event(
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002", "1004"]}, message_id="a"),
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1005", "1007"]}, message_id="b"),
    )

    response = lambda_handler(event, lambda_context)

    assert failed_ids(response) == {"a", "b"}
    assert [entry.status for entry in emulator.journal] == [401]  # one GetUser; the circuit spares the rest
    assert emulator.total_invites_sent() == 0
    errors = [line for line in logs() if line["level"] == "ERROR"]
    assert any(line.get("status") == 401 and line.get("network_id") == DEMO_NETWORK for line in errors), errors
    assert emitted_metrics(capsys.readouterr().out)["MessagesFailed"] == 2
