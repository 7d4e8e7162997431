"""The reinvite ledger through the real handler: moto's DynamoDB over HTTP and the Wickr emulator over HTTP."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import DEMO_NETWORK, FakeLambdaContext, emitted_metrics, failed_ids, sqs_event, sqs_record
from tests.integration.conftest import table_items
from wickr_emulator import WickrEmulator

PENDING = ["1001", "1002", "1004", "1005", "1007", "1009"]  # the demo seed's pending, not suspended users
USER_PK = f"user#{DEMO_NETWORK}#1001"


def _reinvite(user_ids: list[str], message_id: str) -> dict[str, Any]:
    from reinviter.handler import lambda_handler

    event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": user_ids}, message_id=message_id))
    return lambda_handler(event, FakeLambdaContext())


def _reinvite_journal(emu: WickrEmulator) -> list[Any]:
    return [entry for entry in emu.journal if entry.operation == "BatchReinviteUser"]


def test_cooldown_skips_a_second_reinvite_from_another_message_and_invocation(
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert failed_ids(_reinvite(["1001"], "m-1")) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    assert table_items(dynamodb, ledger_table)[USER_PK]["attempts"] == {"N": "1"}
    capsys.readouterr()

    assert failed_ids(_reinvite(["1001"], "m-2")) == set()

    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["UsersSkipped"], metrics["UsersReinvited"]) == (1, 0)
    cooldown = [
        record
        for record in caplog.records
        if record.getMessage() == "reinvite skipped" and record.reason == "in cooldown"  # type: ignore[attr-defined]
    ]
    assert [(record.network_id, record.user_id) for record in cooldown] == [(DEMO_NETWORK, "1001")]  # type: ignore[attr-defined]


def test_no_cooldown_allows_the_second_reinvite(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REINVITE_COOLDOWN_HOURS", "0")

    _reinvite(["1001"], "m-1")
    _reinvite(["1001"], "m-2")

    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 2
    assert table_items(dynamodb, ledger_table)[USER_PK]["attempts"] == {"N": "2"}


def test_the_attempt_cap_gives_up_on_a_user_once_when_reached(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REINVITE_COOLDOWN_HOURS", "0")
    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "2")
    _reinvite(["1001"], "m-1")
    assert emitted_metrics(capsys.readouterr().out)["UsersGivenUp"] == 0

    _reinvite(["1001"], "m-2")  # the second reinvite reaches the cap: counted now, and only now

    assert emitted_metrics(capsys.readouterr().out)["UsersGivenUp"] == 1
    assert table_items(dynamodb, ledger_table)[USER_PK]["given_up"] == {"S": DEMO_NETWORK}
    given_up = [record for record in caplog.records if record.getMessage() == "user given up"]
    assert [(record.network_id, record.user_id) for record in given_up] == [(DEMO_NETWORK, "1001")]  # type: ignore[attr-defined]

    for message_id in ("m-3", "m-4"):  # later requests, as the daily sweep would make: skips, not new given-ups
        response = _reinvite(["1001"], message_id)
        assert failed_ids(response) == set()  # giving up is an answer, not a failure to retry
        metrics = emitted_metrics(capsys.readouterr().out)
        assert (metrics["UsersGivenUp"], metrics["UsersSkipped"]) == (0, 1)
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 2
    assert emulator.calls("GetUser") == 2  # a given-up user costs no Wickr call


def test_a_raised_cap_takes_a_user_off_the_given_up_index_when_reinvited(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reinviter import settings, wiring

    monkeypatch.setenv("REINVITE_COOLDOWN_HOURS", "0")
    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "1")
    _reinvite(["1001"], "m-1")
    assert table_items(dynamodb, ledger_table)[USER_PK]["given_up"] == {"S": DEMO_NETWORK}

    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "3")  # an operator raises the cap (a new deployment)
    wiring.container.cache_clear()
    settings.get_settings.cache_clear()
    _reinvite(["1001"], "m-2")

    item = table_items(dynamodb, ledger_table)[USER_PK]
    assert item["attempts"] == {"N": "2"}
    assert "given_up" not in item  # `reinviter given-up` (the index) now agrees with `decide`
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 2


def test_two_claims_on_the_same_users_admit_only_the_first(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any
) -> None:
    from reinviter.adapters.dynamodb.ledger import DynamoLedger
    from reinviter.core.deadline import Deadline
    from reinviter.core.planning import ReinviteCall
    from reinviter.core.policy import Policy

    ledger = DynamoLedger(dynamodb, ledger_table, Policy(cooldown_s=86400, max_attempts=5))
    first = ledger.claim(ReinviteCall(DEMO_NETWORK, ("1001", "1002"), "token-a"), {}, Deadline.never())
    second = ledger.claim(ReinviteCall(DEMO_NETWORK, ("1002", "1001"), "token-b"), {}, Deadline.never())
    again = ledger.claim(ReinviteCall(DEMO_NETWORK, ("1001", "1002"), "token-a"), {}, Deadline.never())

    assert first == {}
    assert sorted(key.user_id for key in second) == ["1001", "1002"]
    assert {record.claim_token for record in second.values() if record} == {"token-a"}
    assert again == {}  # its own claim, written again (a retry after a lost answer), is still its own


def test_concurrent_invocations_naming_the_same_users_reinvite_each_once(
    emulator: WickrEmulator, ledger_table: str
) -> None:
    from reinviter.wiring import container

    container()  # one warm container, as two concurrent invocations of one container would share
    emulator.faults.latency_ms = 20  # keeps both invocations' calls in flight together
    responses: dict[str, dict[str, Any]] = {}

    def invoke(message_id: str) -> None:
        responses[message_id] = _reinvite(PENDING, message_id)

    threads = [threading.Thread(target=invoke, args=(f"m-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(responses) == 3
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in PENDING] == [1] * len(PENDING)


def test_a_crash_after_the_wickr_call_is_replayed_with_the_same_token_and_sends_nothing_twice(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, clock: list[float], crash_in_next_settle: None
) -> None:
    from reinviter.core.policy import CLAIM_LEASE_S

    with pytest.raises(RuntimeError, match="injected"):
        _reinvite(["1001", "1002"], "m-1")
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    item = table_items(dynamodb, ledger_table)[USER_PK]
    token = item["claim_token"]["S"]
    assert {member["S"] for member in item["claim_members"]["L"]} == {"1001", "1002"}
    assert "attempts" not in item

    clock[0] += CLAIM_LEASE_S + 1  # the redelivery comes after the visibility timeout, past the lease
    response = _reinvite(["1001", "1002"], "m-1")

    assert failed_ids(response) == set()
    last = _reinvite_journal(emulator)[-1]
    assert (last.client_token, last.replayed) == (token, True)
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002")] == [1, 1]
    items = table_items(dynamodb, ledger_table)
    for uid in ("1001", "1002"):
        settled = items[f"user#{DEMO_NETWORK}#{uid}"]
        assert settled["attempts"] == {"N": "1"}
        assert "claim_token" not in settled


def test_a_crash_before_the_wickr_call_is_replayed_and_sends_once(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reinviter.adapters.wickr.gateway import WickrGateway
    from reinviter.core.policy import CLAIM_LEASE_S

    real_reinvite = WickrGateway.reinvite

    def crash_once(self: WickrGateway, *args: Any) -> Any:
        monkeypatch.setattr(WickrGateway, "reinvite", real_reinvite)
        raise RuntimeError("injected: the invocation dies after the claim, before the Wickr call")

    monkeypatch.setattr(WickrGateway, "reinvite", crash_once)
    with pytest.raises(RuntimeError, match="injected"):
        _reinvite(["1001"], "m-1")
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 0
    assert "claim_token" in table_items(dynamodb, ledger_table)[USER_PK]

    clock[0] += CLAIM_LEASE_S + 1
    assert failed_ids(_reinvite(["1001"], "m-1")) == set()

    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    assert _reinvite_journal(emulator)[-1].replayed is False
    assert table_items(dynamodb, ledger_table)[USER_PK]["attempts"] == {"N": "1"}


def test_a_live_claim_holds_other_requests_off_and_a_stale_one_never_blocks_for_good(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, clock: list[float]
) -> None:
    from reinviter.core.policy import CLAIM_LEASE_S

    # Left by an invocation that died: its call never reached Wickr (Wickr has not seen the token).
    dynamodb.put_item(
        TableName=ledger_table,
        Item={
            "pk": {"S": USER_PK},
            "claim_token": {"S": "abandoned-claim"},
            "claim_members": {"L": [{"S": "1001"}]},
            "claim_expires_at": {"N": str(clock[0] + CLAIM_LEASE_S)},
        },
    )
    # Still leased: not sent, and the message is retried (if the holder never comes back, the retry replays it).
    assert failed_ids(_reinvite(["1001"], "m-1")) == {"m-1"}
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 0

    clock[0] += CLAIM_LEASE_S + 1
    assert failed_ids(_reinvite(["1001"], "m-2")) == set()  # another message, another token: the claim is replayed

    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    assert _reinvite_journal(emulator)[-1].client_token == "abandoned-claim"
    item = table_items(dynamodb, ledger_table)[USER_PK]
    assert (item["attempts"], "claim_token" in item) == ({"N": "1"}, False)


def test_dry_run_writes_nothing_to_the_ledger(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRY_RUN", "true")

    response = _reinvite(PENDING, "m-1")

    assert response["dryRun"]["wouldReinvite"] == sorted(f"{DEMO_NETWORK}/{uid}" for uid in PENDING)
    assert emulator.total_invites_sent() == 0
    assert table_items(dynamodb, ledger_table) == {}
