"""Records that can never succeed: reported for the DLQ, never sent to Wickr, never harming their neighbours."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import (
    DEMO_NETWORK,
    OTHER_NETWORK,
    FakeLambdaContext,
    Logs,
    emitted_metrics,
    failed_ids,
    load_event,
    sqs_event,
    sqs_record,
)
from wickr_emulator import WickrEmulator

# The invalid records of events/sqs-mixed.json, with a fragment of the reason each must be logged with.
MIXED_INVALID = {
    "c14661c8-19e6-42b9-9a47-008a04abc641": "Invalid JSON",  # userIds=1004,1005
    "923e182e-9f1e-4033-aad5-9681d47f9da9": "networkId: String should match pattern",  # 7 digits
    "725e48e4-04db-4898-85ff-c02f5a6324ab": "network 99999999 is not in WICKR_NETWORK_IDS",
    "89bb7e6c-eeb3-4e93-ba24-67fc80ca0694": "userIds: List should have at most 50 items",  # 51 ids
}
MIXED_VALID = {"21557770-5f31-4b66-a633-527956b86d6a", "23904312-dad7-4e0e-847c-3d31d12f6dea"}

# Every record of events/sqs-invalid.json and a fragment of its reason.
INVALID = {
    "a96ad978-6c31-4659-9604-19866377cf49": "Invalid JSON",
    "6bebd055-a111-474c-ba19-df596c9a246b": "userIds: List should have at most 50 items",
    "c8e1e24b-934d-4f82-aff2-4278d6c4374c": "networkId: String should match pattern",
    "92156162-1bd5-4646-bc72-bd7aa6e9c76d": "name at least one user in userIds or usernames",  # userIds: []
    "bbaae99c-09e6-4583-b69e-d4ecaa0c655f": "userIds.0: Input should be a valid string",  # integer ids
    "4d5f813a-3ca8-4890-b965-1274d6990665": "userIds.0: String should match pattern",  # 11 digits
    "380aaf1b-4d53-4e03-9770-e75aba8bf9d5": "Input should be a valid dictionary",  # a JSON array
    "0743b7f7-e403-4b1a-b22d-e0bfda8e9cbf": "name at least one user in userIds or usernames",  # no userIds
    "16f14cb7-a979-42cd-8b46-4424558eb96a": "network 99999999 is not in WICKR_NETWORK_IDS",
}


def _rejections(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["message_id"]: line for line in lines if line["message"] == "invalid message, left for the DLQ"}


def test_mixed_batch_fails_only_the_invalid_records(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str], logs: Logs
) -> None:
    from reinviter.handler import lambda_handler

    response = lambda_handler(load_event("sqs-mixed.json"), lambda_context)

    assert failed_ids(response) == set(MIXED_INVALID)
    # the valid neighbours went through: their pending users were reinvited, once
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002", "1003")] == [1, 1, 0]
    assert emulator.invites_sent(OTHER_NETWORK, "2001") == 1
    # no call for anything only an invalid record named (1004, 1005, 1006..1051, network 99999999)
    called = {(entry.network_id, uid) for entry in emulator.journal for uid in entry.user_ids}
    assert called == {(DEMO_NETWORK, "1001"), (DEMO_NETWORK, "1002"), (DEMO_NETWORK, "1003"), (OTHER_NETWORK, "2001")}
    assert {entry.network_id for entry in emulator.journal} == {DEMO_NETWORK, OTHER_NETWORK}

    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["InvalidMessages"] == 4
    assert metrics["MessagesFailed"] == 4
    rejected = _rejections(logs())
    assert set(rejected) == set(MIXED_INVALID)
    for message_id, fragment in MIXED_INVALID.items():
        assert rejected[message_id]["level"] == "ERROR"
        assert fragment in rejected[message_id]["reason"], rejected[message_id]["reason"]


def test_all_invalid_batch_is_answered_without_calling_wickr(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, capsys: pytest.CaptureFixture[str], logs: Logs
) -> None:
    from reinviter.handler import lambda_handler

    response = lambda_handler(load_event("sqs-invalid.json"), lambda_context)

    assert failed_ids(response) == set(INVALID)
    assert len(response["batchItemFailures"]) == len(INVALID)
    assert emulator.calls() == 0
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["InvalidMessages"] == len(INVALID)
    assert metrics["MessagesFailed"] == len(INVALID)
    assert metrics["UsersChecked"] == 0
    rejected = _rejections(logs())
    for message_id, fragment in INVALID.items():
        assert fragment in rejected[message_id]["reason"], rejected[message_id]["reason"]


def test_reason_never_echoes_the_body(emulator: WickrEmulator, lambda_context: FakeLambdaContext, logs: Logs) -> None:
    from reinviter.handler import lambda_handler

    body = {"networkId": DEMO_NETWORK, "userIds": ["ada.quill@example.com"]}
    response = lambda_handler(sqs_event(sqs_record(body, message_id="m-pii")), lambda_context)

    assert failed_ids(response) == {"m-pii"}
    assert emulator.calls() == 0
    lines = logs()
    assert _rejections(lines)["m-pii"]["reason"].startswith("invalid body: userIds.0: String should match pattern")
    assert all("ada.quill" not in json.dumps(line) for line in lines)


@pytest.mark.parametrize("count", ["²", "0", "-1", "1.5", "", "٣"])
def test_a_malformed_receive_count_fails_its_record_only(emulator: WickrEmulator, count: str) -> None:
    from reinviter.handler import lambda_handler

    odd = sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="odd")
    odd["attributes"]["ApproximateReceiveCount"] = count
    fine = sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1002"]}, message_id="fine")

    response = lambda_handler(sqs_event(odd, fine), FakeLambdaContext())

    assert failed_ids(response) == {"odd"}  # the first version raised for the whole batch on "²"
    assert emulator.invites_sent(DEMO_NETWORK, "1002") == 1
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 0


@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_a_record_from_another_queue_is_refused_and_never_reaches_wickr(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    logs: Logs,
    monkeypatch: pytest.MonkeyPatch,
    dry_run: str,
) -> None:
    """A direct invoke dressed as SQS (or a mapping from another queue) passes no sender check: it is refused."""
    from reinviter.handler import lambda_handler

    monkeypatch.setenv("DRY_RUN", dry_run)
    forged = sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"], "usernames": ["ada.quill@example.com"]}, "x")
    forged["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:not-the-reinvite-queue"
    ours = sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1002"]}, message_id="ours")

    response = lambda_handler(sqs_event(forged, ours), lambda_context)

    assert failed_ids(response) == {"x"}
    assert [entry.user_ids for entry in emulator.journal if entry.operation == "GetUser"] == [("1002",)]
    assert emulator.calls("ListUsers") == 0  # the forged username is never looked up
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 0
    if dry_run == "true":  # the dry-run answer stays as it is for the record that passed
        assert response["dryRun"]["wouldReinvite"] == [f"{DEMO_NETWORK}/1002"]
    else:
        assert emulator.invites_sent(DEMO_NETWORK, "1002") == 1
    (refused,) = _rejections(logs()).values()
    assert refused["message_id"] == "x"
    assert (
        "'arn:aws:sqs:us-east-1:123456789012:not-the-reinvite-queue' is not the function's queue" in refused["reason"]
    )
    assert emitted_metrics(capsys.readouterr().out)["InvalidMessages"] == 1
