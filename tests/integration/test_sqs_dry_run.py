"""DRY_RUN=true: every check runs, nothing is sent, and the answer says who would have been reinvited."""

from __future__ import annotations

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
from wickr_emulator import WickrEmulator


def test_dry_run_checks_everyone_and_sends_nothing(
    emulator: WickrEmulator,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reinviter.handler import lambda_handler

    monkeypatch.setenv("DRY_RUN", "true")
    event = sqs_event(
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002", "1003", "1008", "1011"]}, message_id="a"),
        sqs_record({"networkId": OTHER_NETWORK, "userIds": ["2001", "2003"]}, message_id="b"),
    )

    response = lambda_handler(event, lambda_context)

    assert failed_ids(response) == set()
    assert response["dryRun"]["wouldReinvite"] == [
        f"{DEMO_NETWORK}/1001",
        f"{DEMO_NETWORK}/1002",
        f"{OTHER_NETWORK}/2001",
        f"{OTHER_NETWORK}/2003",
    ]
    assert emulator.calls("BatchReinviteUser") == 0
    assert emulator.calls("GetUser") == 7
    assert emulator.total_invites_sent() == 0
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["UsersChecked"] == 7
    assert metrics["UsersReinvited"] == 0
    assert metrics["UsersSkipped"] == 3


def test_without_dry_run_the_answer_has_no_dry_run_section(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext
) -> None:
    from reinviter.handler import lambda_handler

    response = lambda_handler(sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]})), lambda_context)

    assert "dryRun" not in response
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
