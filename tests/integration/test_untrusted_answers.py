"""Nothing unverified becomes a decision: each way an answer can lie, through the real handler.

Wickr's answers pass through a fault proxy (tests/wickr_proxy.py) that cuts 200 bodies short, drops fields, resets
connections after the call took effect, or never answers; SQS and DynamoDB are moto's server over HTTP.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devkit.wickr_proxy import WickrFaults, wickr_proxy
from tests.conftest import (
    DEMO_NETWORK,
    FakeLambdaContext,
    emitted_metrics,
    failed_ids,
    network_metrics,
    sqs_event,
    sqs_record,
)
from tests.integration.conftest import receive_all, table_items
from wickr_emulator import SeedUser, WickrEmulator

PENDING = ["1001", "1002"]  # the demo seed's pending users
ADA = "ada.quill@example.com"  # 1001


@pytest.fixture
def faults(emulator: WickrEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[WickrFaults]:
    """The function's Wickr client goes through the fault proxy; the test reads the emulator directly."""
    with wickr_proxy(emulator.url) as (url, armed):
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", url)
        yield armed


def _invoke(event: dict[str, Any], remaining_ms: int = 60_000) -> dict[str, Any]:
    from reinviter.handler import lambda_handler

    return lambda_handler(event, FakeLambdaContext(remaining_ms=remaining_ms))


def _record(message_id: str, receive_count: int = 1, **body: Any) -> dict[str, Any]:
    record = sqs_record({"networkId": DEMO_NETWORK, **body}, message_id=message_id)
    record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return record


def _without(member: str) -> Any:
    return lambda answer: {key: value for key, value in answer.items() if key != member}


def _malformed_lines(logs: Any) -> list[dict[str, Any]]:
    return [line for line in logs() if line["message"] == "wickr answer malformed"]


# -- a 200 cut short is no verdict ------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["truncate", "drop status"])
def test_a_getuser_answer_without_its_status_fails_the_message_and_never_skips_the_user(
    faults: WickrFaults, emulator: WickrEmulator, logs: Any, fault: str
) -> None:
    if fault == "truncate":
        faults.truncate["GetUser"] = None
    else:
        faults.rewrite["GetUser"] = (_without("status"), None)

    response = _invoke(sqs_event(_record("m-1", userIds=["1001"])))

    assert failed_ids(response) == {"m-1"}  # retried, not "skipped: unknown status" and done
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 0
    assert faults.seen["GetUser"] == 3  # WICKR_RETRY_ATTEMPTS: a malformed answer is retried like a 500
    assert {line["operation"] for line in _malformed_lines(logs)} == {"GetUser"}
    (done,) = [line for line in logs() if line.get("message_id") == "m-1"]
    assert "GetUser: MalformedAnswer" in done["problems"]["1001"]

    faults.clear()
    assert failed_ids(_invoke(sqs_event(_record("m-1", 2, userIds=["1001"])))) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1


def test_a_getuser_answer_cut_short_once_is_asked_again_in_the_same_invocation(
    faults: WickrFaults, emulator: WickrEmulator
) -> None:
    faults.truncate["GetUser"] = 1

    response = _invoke(sqs_event(_record("m-1", userIds=["1001"])))

    assert failed_ids(response) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    assert faults.seen["GetUser"] == 2


def test_a_username_lookup_cut_short_is_no_unknown_username(
    faults: WickrFaults, emulator: WickrEmulator, logs: Any
) -> None:
    faults.truncate["ListUsers"] = None

    response = _invoke(sqs_event(_record("m-1", usernames=[ADA])))

    assert failed_ids(response) == {"m-1"}
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 0
    (line,) = [line for line in logs() if line.get("message_id") == "m-1"]
    assert line["problems"] == {"usernames[0]": "ListUsers: MalformedAnswer"}
    assert ADA not in json.dumps(logs())


def test_a_sweep_page_cut_short_never_finishes_the_network(
    queue_url: str,
    ledger_table: str,
    sqs: Any,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = iter(range(1000))

    def second_page_cut_short(answer: dict[str, Any]) -> dict[str, Any]:
        return answer if next(listed) == 0 else {"message": "cut"}

    with WickrEmulator(page_size=20) as emu, wickr_proxy(emu.url) as (url, sweep_faults):
        emu.add_users(DEMO_NETWORK, [SeedUser(user_id=str(3000 + n)) for n in range(60)])
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", url)
        sweep_faults.rewrite["ListUsers"] = (second_page_cut_short, None)

        summary = _invoke({"networkIds": [DEMO_NETWORK]})

    network = summary["sweep"][DEMO_NETWORK]
    assert (network["finished"], network["pages"], network["usersEnqueued"]) == (False, 1, 20)
    assert network["error"] == "ListUsers: MalformedAnswer"
    cursor = table_items(dynamodb, ledger_table)[f"sweep#{DEMO_NETWORK}"]
    assert cursor["next_token"]["S"]  # the next run resumes after page 1, not "finished, start over"
    assert len(receive_all(sqs, queue_url)) == 1


# -- "maybe sent" is never sent again inside the cooldown ------------------------------------------------
@pytest.mark.parametrize(
    "fault",
    ["truncate", "one user missing", "reset after the call took effect"],
)
def test_a_reinvite_whose_answer_was_garbled_or_lost_keeps_its_claim_and_is_replayed_exactly(  # noqa: PLR0917
    faults: WickrFaults,
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    clock: list[float],
    capsys: pytest.CaptureFixture[str],
    fault: str,
) -> None:
    from reinviter.core.policy import CLAIM_LEASE_S

    if fault == "truncate":
        faults.truncate["BatchReinviteUser"] = None
    elif fault == "one user missing":
        faults.rewrite["BatchReinviteUser"] = (lambda answer: {**answer, "successful": answer["successful"][1:]}, None)
    else:
        faults.reset["BatchReinviteUser"] = None

    response = _invoke(sqs_event(_record("m-1", userIds=PENDING)))

    assert failed_ids(response) == {"m-1"}
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in PENDING] == [1, 1]  # it did take effect
    items = table_items(dynamodb, ledger_table)
    tokens = {items[f"user#{DEMO_NETWORK}#{uid}"]["claim_token"]["S"] for uid in PENDING}
    assert len(tokens) == 1  # the claim stays, whole: never released, no attempt counted
    assert not any("attempts" in items[f"user#{DEMO_NETWORK}#{uid}"] for uid in PENDING)
    assert emitted_metrics(capsys.readouterr().out)["ReinviteFailed"] == len(PENDING)

    # SQS redelivers (another receive count, so a fresh call would get a new token) after the lease: the stale
    # claim is replayed, members and token, and Wickr answers it from memory.
    faults.clear()
    clock[0] += CLAIM_LEASE_S + 1
    calls_before = emulator.calls("BatchReinviteUser")
    assert failed_ids(_invoke(sqs_event(_record("m-1", 2, userIds=PENDING)))) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in PENDING] == [1, 1]
    assert emulator.calls("BatchReinviteUser") == calls_before + 1
    items = table_items(dynamodb, ledger_table)
    assert all(items[f"user#{DEMO_NETWORK}#{uid}"]["attempts"] == {"N": "1"} for uid in PENDING)

    # And a new request inside the cooldown sends nothing.
    assert failed_ids(_invoke(sqs_event(_record("m-2", userIds=PENDING)))) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in PENDING] == [1, 1]


def test_without_a_ledger_a_message_redelivered_alone_repeats_its_call(
    faults: WickrFaults, emulator: WickrEmulator
) -> None:
    faults.truncate["BatchReinviteUser"] = None
    first = sqs_event(_record("m-1", userIds=["1001", "1002"]), _record("m-2", userIds=["1002"]))

    assert failed_ids(_invoke(first)) == {"m-1", "m-2"}
    sent = [emulator.invites_sent(DEMO_NETWORK, uid) for uid in PENDING]

    faults.clear()
    assert failed_ids(_invoke(sqs_event(_record("m-1", 2, userIds=["1001", "1002"])))) == set()
    assert failed_ids(_invoke(sqs_event(_record("m-2", 3, userIds=["1002"])))) == set()

    # Each message's call came back with the same members and token: Wickr answered from memory, invited nobody.
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in PENDING] == sent


# -- a hung SQS costs the sweep its page, never the invocation ---------------------------------------------
@pytest.fixture
def hung_sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[socket.socket]]:
    """A socket that accepts connections and never answers; yields the connections it took."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", url)
    monkeypatch.setenv("REINVITE_QUEUE_URL", f"{url}/123456789012/reinvite")
    yield accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_sweep_whose_queue_never_answers_returns_its_summary_and_metrics(
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    hung_sqs: list[socket.socket],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reinviter.adapters.sqs import SEND_ROUNDS

    summary = _invoke({"networkIds": [DEMO_NETWORK]}, remaining_ms=25_000)  # a page fits (5 s spare), then SQS hangs

    network = summary["sweep"][DEMO_NETWORK]
    assert (network["finished"], network["usersEnqueued"]) == (False, 0)
    assert network["error"].startswith("SendMessageBatch:")
    assert f"sweep#{DEMO_NETWORK}" not in table_items(dynamodb, ledger_table)  # the cursor never moved past page 1
    captured = capsys.readouterr().out
    assert emitted_metrics(captured)["UsersEnqueued"] == 0
    assert (DEMO_NETWORK, "PendingUsers") in network_metrics(captured)
    # Our rounds are the only retries (no SDK retries under them), and none started past the deadline.
    assert 1 <= len(hung_sqs) <= SEND_ROUNDS


# -- a cached username is confirmed by GetUser, a rename included ----------------------------------------
def test_a_cached_username_whose_user_was_renamed_is_looked_up_again(
    username_cache: str, emulator: WickrEmulator, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert failed_ids(_invoke(sqs_event(_record("m-1", usernames=[ADA])))) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1  # ada@ -> 1001, cached

    # The identity provider moves ada@ to a new account: 1001 is renamed, 1020 created with the old username.
    wickr = boto3.client("wickr", endpoint_url=emulator.url, region_name="us-east-1")
    wickr.update_user(networkId=DEMO_NETWORK, userId="1001", userDetails={"username": "ada.old@example.com"})
    emulator.add_user(DEMO_NETWORK, SeedUser(user_id="1020", username=ADA))
    emulator.reset_journal()
    capsys.readouterr()

    response = _invoke(sqs_event(_record("m-2", usernames=[ADA.upper()])))

    assert failed_ids(response) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "1020") == 1  # the new ada@
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1  # never the renamed user again
    assert (emulator.calls("GetUser"), emulator.calls("ListUsers")) == (1, 1)  # confirm, then look up once
    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["UsernameCacheHits"], metrics["UsernameLookups"]) == (0, 1)

    emulator.reset_journal()
    assert failed_ids(_invoke(sqs_event(_record("m-3", usernames=[ADA])))) == set()
    assert (emulator.calls("GetUser"), emulator.calls("ListUsers")) == (1, 0)  # the entry now names 1020


# -- one username however it is typed --------------------------------------------------------------------
def test_usernames_match_after_nfc_and_case_folding(emulator: WickrEmulator) -> None:
    emulator.add_users(
        DEMO_NETWORK,
        [
            SeedUser(user_id="1030", username="josé@example.org"),
            SeedUser(user_id="1031", username="straße@example.org"),
        ],
    )

    decomposed = "jose\u0301@example.org"  # e + combining acute accent
    response = _invoke(sqs_event(_record("m-1", usernames=[decomposed, "STRASSE@EXAMPLE.ORG"])))

    assert failed_ids(response) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1030", "1031")] == [1, 1]


# -- an unknown network counted once ---------------------------------------------------------------------
def test_an_unknown_network_is_counted_once_however_many_calls_find_it(
    emulator: WickrEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = "55555555"
    monkeypatch.setenv("WICKR_NETWORK_IDS", f"{DEMO_NETWORK},{unknown}")
    record = sqs_record({"networkId": unknown, "userIds": ["1001"], "usernames": [ADA]}, message_id="m-1")

    response = _invoke(sqs_event(record))

    assert failed_ids(response) == {"m-1"}
    assert emitted_metrics(capsys.readouterr().out)["NetworksNotFound"] == 1
