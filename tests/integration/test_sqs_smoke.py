from __future__ import annotations

import pytest

from tests.conftest import DEMO_NETWORK, FakeLambdaContext, emitted_metrics, failed_ids, sqs_event, sqs_record
from wickr_emulator import WickrEmulator


def test_pending_users_are_reinvited_and_others_skipped(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.handler import lambda_handler

    event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002", "1003", "1011", "9999"]}))
    response = lambda_handler(event, lambda_context)

    assert failed_ids(response) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002", "1003", "1011")] == [1, 1, 0, 0]
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["UsersReinvited"] == 2
    assert metrics["UsersSkipped"] == 3
    assert metrics["UsersChecked"] == 5
