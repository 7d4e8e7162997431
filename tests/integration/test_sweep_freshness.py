"""A fresh listing is the check: the sweep seals what its ListUsers page said, and the SQS path believes only that.

Through the real handler: the emulator over HTTP, moto's SQS, DynamoDB and Secrets Manager (the stack's key).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import DEMO_NETWORK, FakeLambdaContext, emitted_metrics, failed_ids, sqs_event, sqs_record
from tests.integration.conftest import receive_all, table_items
from wickr_emulator import ACTIVE, SeedUser, WickrEmulator

BATCH_SIZE = 10  # the template's largest SqsBatchSize
USERS = [str(600_000 + n) for n in range(BATCH_SIZE * 50)]  # what one SQS invocation of swept messages carries
SUSPENDED = ["699001", "699002"]


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[WickrEmulator]:
    with WickrEmulator(page_size=100) as emu:
        emu.add_users(DEMO_NETWORK, [SeedUser(user_id=uid) for uid in USERS])
        emu.add_users(DEMO_NETWORK, [SeedUser(user_id=uid, suspended=True) for uid in SUSPENDED])
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", emu.url)
        yield emu


@pytest.fixture
def stack_key(username_cache: str, queue_url: str) -> str:
    """The deployed setup: the ledger, the queue and the stack's key (UsernameHashKey) in moto."""
    return username_cache


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from reinviter.handler import lambda_handler

    return lambda_handler(event, FakeLambdaContext())


def _sweep_and_take(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    summary = _invoke({"networkIds": [DEMO_NETWORK]})
    assert summary["sweep"][DEMO_NETWORK]["finished"]
    return receive_all(sqs, queue_url)


def _as_records(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [sqs_record(message["Body"], message_id=message["MessageId"]) for message in messages]


def test_a_fresh_sealed_listing_spares_every_getuser_and_a_full_batch_costs_ten_calls(  # noqa: PLR0917 - fixtures
    network: WickrEmulator,
    stack_key: str,
    sqs: Any,
    queue_url: str,
    dynamodb: Any,
    ledger_table: str,
    clock: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    messages = _sweep_and_take(sqs, queue_url)
    bodies = [json.loads(message["Body"]) for message in messages]
    assert len(messages) == BATCH_SIZE
    assert all(set(body["listing"]) == {"listedAtMs", "keyVersion", "mac"} for body in bodies)
    assert not {uid for body in bodies for uid in body["userIds"]} & set(SUSPENDED)  # kept out at listing time
    network.reset_journal()
    capsys.readouterr()
    clock[0] += 60  # the queue delivers a minute later

    response = _invoke(sqs_event(*_as_records(messages)))  # one invocation of the template's batch size: 500 users

    assert failed_ids(response) == set()
    assert (network.calls("GetUser"), network.calls("BatchReinviteUser")) == (0, BATCH_SIZE)
    assert all(network.invites_sent(DEMO_NETWORK, uid) == 1 for uid in USERS)
    assert emitted_metrics(capsys.readouterr().out)["UsersChecked"] == len(USERS)  # the listing was their check
    items = table_items(dynamodb, ledger_table)
    assert all(items[f"user#{DEMO_NETWORK}#{uid}"]["attempts"] == {"N": "1"} for uid in USERS)  # the ledger as ever


def test_an_hour_old_listing_is_checked_again_with_getuser(
    network: WickrEmulator, stack_key: str, sqs: Any, queue_url: str, clock: list[float]
) -> None:
    messages = _sweep_and_take(sqs, queue_url)[:1]
    network.reset_journal()
    clock[0] += 3600  # SWEEP_FRESHNESS_SECONDS is 900

    assert failed_ids(_invoke(sqs_event(*_as_records(messages)))) == set()

    assert network.calls("GetUser") == 50


@pytest.mark.parametrize("tamper", ["users", "time", "mac", "key version"])
def test_a_seal_that_does_not_verify_only_costs_the_getusers(
    network: WickrEmulator, stack_key: str, sqs: Any, queue_url: str, tamper: str
) -> None:
    (message, *_) = _sweep_and_take(sqs, queue_url)
    body = json.loads(message["Body"])
    if tamper == "users":  # an onboarding system lifting a seal onto users of its choice
        body["userIds"] = [*body["userIds"][:-1], "699001"]
    elif tamper == "time":
        body["listing"]["listedAtMs"] += 1
    elif tamper == "mac":
        body["listing"]["mac"] = "0" * 64
    else:
        body["listing"]["keyVersion"] = "00000000"
    network.reset_journal()

    assert failed_ids(_invoke(sqs_event(sqs_record(body, message_id="m-1")))) == set()

    assert network.calls("GetUser") == 50  # every user checked, as for an onboarding message
    assert network.invites_sent(DEMO_NETWORK, "699001") == 0  # the suspended user stays uninvited


def test_an_onboarding_message_is_always_checked_even_beside_a_fresh_listing(
    network: WickrEmulator, stack_key: str, sqs: Any, queue_url: str
) -> None:
    (message, *_) = _sweep_and_take(sqs, queue_url)
    shared = json.loads(message["Body"])["userIds"][0]
    onboarding = sqs_record({"networkId": DEMO_NETWORK, "userIds": [shared]}, message_id="onboarding")
    network.reset_journal()

    assert failed_ids(_invoke(sqs_event(*_as_records([message]), onboarding))) == set()

    assert [entry.user_ids for entry in network.journal if entry.operation == "GetUser"] == [(shared,)]


def test_a_user_who_accepted_since_the_listing_is_confirmed_with_one_getuser_and_skipped(  # noqa: PLR0917
    network: WickrEmulator,
    stack_key: str,
    sqs: Any,
    queue_url: str,
    dynamodb: Any,
    ledger_table: str,
    logs: Any,
) -> None:
    (message, *_) = _sweep_and_take(sqs, queue_url)
    accepted, suspended = json.loads(message["Body"])["userIds"][:2]
    network.update_user(DEMO_NETWORK, accepted, status=ACTIVE)  # joined between the listing and the reinvite
    network.update_user(DEMO_NETWORK, suspended, suspended=True)
    network.reset_journal()

    response = _invoke(sqs_event(*_as_records([message])))

    assert failed_ids(response) == set()  # a skip, not a failure to retry
    rechecked = sorted(entry.user_ids for entry in network.journal if entry.operation == "GetUser")
    assert rechecked == sorted([(accepted,), (suspended,)])  # one GetUser each, concurrently
    assert network.invites_sent(DEMO_NETWORK, accepted) == 0
    (done,) = [line for line in logs() if line.get("message_id") == message["MessageId"]]
    assert done["skipped"] == {
        accepted: "active (changed since the sweep's listing)",
        suspended: "suspended (changed since the sweep's listing)",
    }
    items = table_items(dynamodb, ledger_table)
    assert "attempts" not in items.get(f"user#{DEMO_NETWORK}#{accepted}", {})  # no attempt counted


def test_a_malformed_seal_is_refused_like_any_malformed_body(network: WickrEmulator, stack_key: str) -> None:
    record = sqs_record(
        {"networkId": DEMO_NETWORK, "userIds": [USERS[0]], "listing": {"listedAtMs": "soon", "mac": "x"}},
        message_id="m-1",
    )

    assert failed_ids(_invoke(sqs_event(record))) == {"m-1"}
    assert network.calls() == 0


def test_without_the_stack_key_nothing_is_sealed_and_every_user_is_checked(
    network: WickrEmulator, ledger_table: str, sqs: Any, queue_url: str
) -> None:
    messages = _sweep_and_take(sqs, queue_url)[:1]
    assert "listing" not in json.loads(messages[0]["Body"])
    network.reset_journal()

    assert failed_ids(_invoke(sqs_event(*_as_records(messages)))) == set()

    assert network.calls("GetUser") == 50


def _as_new_container() -> None:
    """The deploy that switched a setting: a new container, settings and clients built anew."""
    from reinviter import settings, wiring

    wiring.container.cache_clear()
    settings.get_settings.cache_clear()


def test_a_dry_run_does_not_trust_a_fresh_seal_and_checks_each_listed_user(  # noqa: PLR0917 - fixtures
    network: WickrEmulator,
    stack_key: str,
    sqs: Any,
    queue_url: str,
    clock: list[float],
    logs: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (message, *_) = _sweep_and_take(sqs, queue_url)
    listed = json.loads(message["Body"])["userIds"]
    network.update_user(DEMO_NETWORK, listed[0], status=ACTIVE)  # accepted since the listing
    network.reset_journal()
    monkeypatch.setenv("DRY_RUN", "true")  # switched on while sealed messages wait on the queue
    _as_new_container()
    clock[0] += 60  # the seal is fresh

    response = _invoke(sqs_event(*_as_records([message])))

    assert failed_ids(response) == set()
    checked = sorted(uid for entry in network.journal if entry.operation == "GetUser" for uid in entry.user_ids)
    assert checked == sorted(listed)  # the preview checks, as a live run's BatchReinviteUser would
    assert response["dryRun"]["wouldReinvite"] == sorted(f"{DEMO_NETWORK}/{uid}" for uid in listed[1:])
    assert network.calls("BatchReinviteUser") == 0
    (done,) = [line for line in logs() if line.get("message_id") == message["MessageId"]]
    assert done["skipped"] == {listed[0]: "active"}


def test_a_late_replay_of_a_maybe_sent_sealed_call_skips_the_user_who_accepted(  # noqa: PLR0917 - fixtures
    stack_key: str,
    sqs: Any,
    queue_url: str,
    dynamodb: Any,
    ledger_table: str,
    clock: list[float],
    logs: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sealed [A, B, C], A accepted; the first answer is cut short; SQS redelivers after the seal has expired."""
    from devkit.wickr_proxy import wickr_proxy

    users = ["7001", "7002", "7003"]
    with WickrEmulator() as emu, wickr_proxy(emu.url) as (url, faults):
        emu.add_users(DEMO_NETWORK, [SeedUser(user_id=uid) for uid in users])
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", url)
        (message,) = _sweep_and_take(sqs, queue_url)
        assert json.loads(message["Body"])["userIds"] == users
        emu.update_user(DEMO_NETWORK, users[0], status=ACTIVE)
        faults.truncate["BatchReinviteUser"] = None  # every try of the first invocation (it retries a garbled one)
        clock[0] += 60

        first = _invoke(sqs_event(*_as_records([message])))

        assert failed_ids(first) == {message["MessageId"]}  # maybe sent: the claim is kept for an exact replay
        assert [emu.invites_sent(DEMO_NETWORK, uid) for uid in users] == [0, 1, 1]
        faults.clear()
        emu.reset_journal()
        clock[0] += 1380  # the queue's visibility timeout: past the claim's lease and the 900 s seal
        redelivered = _as_records([message])
        redelivered[0]["attributes"]["ApproximateReceiveCount"] = "2"

        second = _invoke(sqs_event(*redelivered))

        assert failed_ids(second) == set()  # A is skipped now, not failed until a third receive
        assert [entry.user_ids for entry in emu.journal if entry.operation == "GetUser"] == [(users[0],)]
        assert emu.calls("BatchReinviteUser") == 1  # the replay, same token, answered from Wickr's memory
        assert [emu.invites_sent(DEMO_NETWORK, uid) for uid in users] == [0, 1, 1]
    (done,) = [line for line in logs() if line.get("message_id") == message["MessageId"] and "skipped" in line]
    assert done["skipped"] == {users[0]: "active (changed since the claim it replays)"}
    items = table_items(dynamodb, ledger_table)
    assert [items[f"user#{DEMO_NETWORK}#{uid}"].get("attempts") for uid in users] == [None, {"N": "1"}, {"N": "1"}]
