"""The deadline: no call starts past remaining time minus the margin, and unfinished records are redelivered."""

from __future__ import annotations

import types

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


def _event() -> dict[str, object]:
    return sqs_event(
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002"]}, message_id="demo"),
        sqs_record({"networkId": OTHER_NETWORK, "userIds": ["2001"]}, message_id="other"),
    )


@pytest.mark.parametrize("budget", [(1_000, 2_000), (2_000, 2_000)], ids=["margin-past-the-end", "nothing-left"])
def test_no_time_left_means_no_call_and_every_record_redelivered(
    emulator: WickrEmulator,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    budget: tuple[int, int],
) -> None:
    from reinviter.handler import lambda_handler

    remaining_ms, margin_ms = budget
    monkeypatch.setenv("DEADLINE_MARGIN_MS", str(margin_ms))
    lambda_context.remaining_ms = remaining_ms

    response = lambda_handler(_event(), lambda_context)

    assert failed_ids(response) == {"demo", "other"}
    assert emulator.calls() == 0
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["UsersReinvited"] == 0
    assert metrics["UsersChecked"] == 0
    assert metrics["MessagesFailed"] == 2


def test_deadline_reached_between_two_reinvites(
    emulator: WickrEmulator,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Time, as the deadline sees it, runs out once the first BatchReinviteUser has been answered."""
    from reinviter.core import deadline
    from reinviter.handler import lambda_handler

    monkeypatch.setenv("WICKR_MAX_CONCURRENCY", "1")  # one worker: chunks go in plan order (network 12345678 first)
    monkeypatch.setenv("DEADLINE_MARGIN_MS", "1000")
    lambda_context.remaining_ms = 61_000  # the deadline sits at clock 60.0

    def clock() -> float:
        return 0.0 if emulator.calls("BatchReinviteUser") == 0 else 120.0

    monkeypatch.setattr(deadline, "time", types.SimpleNamespace(monotonic=clock))

    response = lambda_handler(_event(), lambda_context)

    assert failed_ids(response) == {"other"}
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002")] == [1, 1]
    assert emulator.invites_sent(OTHER_NETWORK, "2001") == 0
    assert [entry.network_id for entry in emulator.journal if entry.operation == "BatchReinviteUser"] == [DEMO_NETWORK]
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["UsersReinvited"] == 2
    assert metrics["MessagesFailed"] == 1
    assert metrics["ReinviteFailed"] == 0  # unfinished is not failed: it is redelivered and tried again
