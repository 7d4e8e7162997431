"""A network Wickr does not know is not "every user not found": its messages fail (to the DLQ), loudly, and counted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import DEMO_NETWORK, FakeLambdaContext, Logs, emitted_metrics, failed_ids, sqs_event, sqs_record
from wickr_emulator import WickrEmulator

UNKNOWN = "55556666"  # allowlisted here, unknown to the emulator


@pytest.fixture(autouse=True)
def allow_the_unknown_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WICKR_NETWORK_IDS", f"{DEMO_NETWORK},{UNKNOWN}")


def test_an_unknown_network_fails_its_messages_and_says_so(
    emulator: WickrEmulator, capsys: pytest.CaptureFixture[str], logs: Logs
) -> None:
    from reinviter.handler import lambda_handler

    event = sqs_event(
        sqs_record({"networkId": UNKNOWN, "userIds": ["1001", "1002", "1003"]}, message_id="lost"),
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "9999"]}, message_id="fine"),
    )

    response = lambda_handler(event, FakeLambdaContext())

    assert failed_ids(response) == {"lost"}  # "fine" has an unknown *user* (9999): a skip, as before
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["NetworksNotFound"], metrics["ReinviteFailed"], metrics["UsersSkipped"]) == (1, 3, 1)
    errors = [line for line in logs() if line["level"] == "ERROR" and line["message"] == "network unknown to Wickr"]
    assert [line["network_id"] for line in errors] == [UNKNOWN]
    # One ListUsers tells the network from a user, however many GetUsers were in flight; then the circuit is open.
    unknown_calls = [entry.operation for entry in emulator.journal if entry.network_id == UNKNOWN]
    assert unknown_calls.count("ListUsers") == 1
    assert 1 <= unknown_calls.count("GetUser") <= 3


def test_a_known_network_is_confirmed_once_per_container(emulator: WickrEmulator) -> None:
    from reinviter.handler import lambda_handler

    for message_id in ("a", "b"):
        event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["9998", "9999"]}, message_id=message_id))
        assert failed_ids(lambda_handler(event, FakeLambdaContext())) == set()

    assert emulator.calls("ListUsers") == 1


def test_a_sweep_of_an_unknown_network_fails_that_network_only(
    emulator: WickrEmulator, queue_url: str, sqs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.handler import lambda_handler

    summary = lambda_handler({}, FakeLambdaContext())

    assert summary["sweep"][UNKNOWN]["networkNotFound"] is True
    assert summary["sweep"][UNKNOWN]["finished"] is False
    assert summary["sweep"][DEMO_NETWORK]["finished"] is True
    assert emitted_metrics(capsys.readouterr().out)["NetworksNotFound"] == 1
