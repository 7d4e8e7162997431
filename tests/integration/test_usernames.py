"""Reinvite requests by username, through the handler: the emulator over HTTP, moto's DynamoDB and Secrets Manager.

The emulator's `username` filter is the worst realistic reading of the model ("usernames matching this value"):
case-insensitive and anywhere in the username. So only the function's own exact comparison keeps `bob@x.org` from
becoming `jimbob@x.org`, and these tests prove it does.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import DEMO_NETWORK, FakeLambdaContext, emitted_metrics, failed_ids, sqs_event, sqs_record
from tests.integration.conftest import table_items
from wickr_emulator import SeedUser, WickrEmulator

# The demo seed's users by username: 1001 and 1002 pending, 1003 active, 1011 suspended.
ADA, BRUNO, CORA = "ada.quill@example.com", "bruno.vale@example.com", "cora.lindqvist@example.com"


@pytest.fixture
def debug_logs() -> Iterator[None]:
    """The function's logger at DEBUG, as POWERTOOLS_LOG_LEVEL=DEBUG sets it."""
    from reinviter.telemetry.logger import logger

    level = logger.log_level
    logger.setLevel(logging.DEBUG)
    yield
    logger.setLevel(level)


def _message(message_id: str, *, user_ids: list[str] | None = None, usernames: list[Any] | None = None) -> Any:
    body: dict[str, Any] = {"networkId": DEMO_NETWORK}
    if user_ids is not None:
        body["userIds"] = user_ids
    if usernames is not None:
        body["usernames"] = usernames
    return sqs_record(body, message_id=message_id)


def _invoke(*records: dict[str, Any]) -> dict[str, Any]:
    from reinviter.handler import lambda_handler

    return lambda_handler(sqs_event(*records), FakeLambdaContext())


def _seed(emulator: WickrEmulator, *users: tuple[str, str], status: int = 1) -> None:
    emulator.add_users(DEMO_NETWORK, [SeedUser(user_id=uid, username=name, status=status) for uid, name in users])


def _done_lines(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """Each message's closing log line by message id."""
    return {
        record.message_id: record  # type: ignore[attr-defined]
        for record in caplog.records
        if record.getMessage() in ("message done", "message failed, left for redelivery")
    }


def test_ids_and_usernames_name_one_user_each_and_listusers_saves_every_getuser(
    emulator: WickrEmulator, username_cache: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    response = _invoke(
        _message("m-1", user_ids=["1001"], usernames=[BRUNO.upper()]),
        _message("m-2", usernames=[ADA, CORA]),
        _message("m-3", user_ids=["1002"]),
    )

    assert failed_ids(response) == set()
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("1001", "1002", "1003")] == [1, 1, 0]
    # Named by id and by username, 1001 and 1002 are one user each: one call for both, no GetUser at all, since
    # ListUsers already said pending (and active for Cora).
    assert (emulator.calls("ListUsers"), emulator.calls("GetUser"), emulator.calls("BatchReinviteUser")) == (3, 0, 1)
    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["UsernameLookups"], metrics["UsernameCacheHits"]) == (3, 0)
    assert (metrics["UsersReinvited"], metrics["UsersSkipped"], metrics["UsersChecked"]) == (2, 1, 3)
    assert _done_lines(caplog)["m-2"].skipped == {"usernames[1]": "active"}  # type: ignore[attr-defined]


def test_only_an_exact_case_insensitive_match_resolves_a_username(
    emulator: WickrEmulator, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    _seed(emulator, ("5001", "jimbob@x.org"), ("5002", "bob@x.org.uk"))

    response = _invoke(_message("m-1", usernames=["bob@x.org"]))

    assert failed_ids(response) == set()  # unknown is a skip, like a 404 on GetUser: not a failure
    assert emulator.invites_sent(DEMO_NETWORK, "5001") == emulator.invites_sent(DEMO_NETWORK, "5002") == 0
    assert _done_lines(caplog)["m-1"].skipped == {"usernames[0]": "unknown username"}  # type: ignore[attr-defined]
    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["UsersSkipped"], metrics["UsersReinvited"], metrics["ReinviteFailed"]) == (1, 0, 0)

    _seed(emulator, ("5003", "Bob@X.org"))
    assert failed_ids(_invoke(_message("m-2", usernames=["BOB@x.ORG"]))) == set()

    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("5001", "5002", "5003")] == [0, 0, 1]


def test_two_exact_matches_fail_that_entry_only(
    emulator: WickrEmulator, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    _seed(emulator, ("5001", "dup@x.org"), ("5002", "DUP@x.org"))

    response = _invoke(_message("m-1", usernames=[ADA, "Dup@x.org"]), _message("m-2", usernames=[BRUNO]))

    assert failed_ids(response) == {"m-1"}  # retried, then the DLQ: an operator must say who was meant
    assert [emulator.invites_sent(DEMO_NETWORK, uid) for uid in ("5001", "5002", "1001", "1002")] == [0, 0, 1, 1]
    assert _done_lines(caplog)["m-1"].problems == {  # type: ignore[attr-defined]
        "usernames[1]": "ambiguous username: 2 users match it exactly"
    }
    assert emitted_metrics(capsys.readouterr().out)["ReinviteFailed"] == 1


@pytest.mark.parametrize(
    ("usernames", "reason"),
    [
        ([" ana@x.org"], "usernames.0: Value error, must contain no whitespace"),
        (["ana@x.org", ""], "usernames.1: String should have at least 1 character"),
        (["a" * 257], "usernames.0: String should have at most 256 characters"),
        ([7], "usernames.0: Input should be a valid string"),
        ([], "name at least one user in userIds or usernames"),
        (["u@x.org"] * 26, "userIds and usernames name 51 users, at most 50 in all"),
    ],
)
def test_a_malformed_username_fails_its_own_message_before_any_wickr_call(
    emulator: WickrEmulator, caplog: pytest.LogCaptureFixture, usernames: list[Any], reason: str
) -> None:
    user_ids = [str(2000 + n) for n in range(25)] if len(usernames) == 26 else None
    response = _invoke(_message("bad", user_ids=user_ids, usernames=usernames), _message("good", usernames=[ADA]))

    assert failed_ids(response) == {"bad"}
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    assert emulator.calls("ListUsers") == 1  # the good message's lookup only
    (refusal,) = [record for record in caplog.records if record.getMessage() == "invalid message, left for the DLQ"]
    assert reason in refusal.reason  # type: ignore[attr-defined]
    assert "ana@x.org" not in refusal.reason  # type: ignore[attr-defined]


def test_a_resolution_is_remembered_under_a_keyed_hash_and_the_next_request_costs_no_lookup(
    emulator: WickrEmulator,
    username_cache: str,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REINVITE_COOLDOWN_HOURS", "0")
    assert failed_ids(_invoke(_message("m-1", usernames=[ADA]))) == set()
    assert emulator.calls("ListUsers") == 1
    capsys.readouterr()

    assert failed_ids(_invoke(_message("m-2", usernames=[ADA.title()]))) == set()

    assert emulator.calls("ListUsers") == 1  # the cache answered
    assert (emulator.calls("GetUser"), emulator.invites_sent(DEMO_NETWORK, "1001")) == (1, 2)  # checked, then sent
    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["UsernameCacheHits"], metrics["UsernameLookups"]) == (1, 0)
    names = {pk: item for pk, item in table_items(dynamodb, username_cache).items() if pk.startswith("name#")}
    assert len(names) == 1
    ((pk, item),) = names.items()
    assert pk.startswith(f"name#{DEMO_NETWORK}#")
    _, _, version, digest = pk.split("#")
    assert len(version) == 8  # the key's version
    assert len(digest) == 64  # HMAC-SHA256, hex
    assert item["user_id"] == {"S": "1001"}
    assert float(item["ttl"]["N"]) == float(item["resolved_at"]["N"]) + 30 * 86400
    assert ADA.split("@", maxsplit=1)[0] not in json.dumps(item).lower()  # "ada" alone could be a run of hex digits


def test_a_cached_id_wickr_no_longer_knows_is_resolved_again_once(
    emulator: WickrEmulator,
    *,
    username_cache: str,
    dynamodb: Any,
    clock: list[float],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _seed(emulator, ("5001", "ana@x.org"))
    assert failed_ids(_invoke(_message("m-1", usernames=["ana@x.org"]))) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "5001") == 1
    # An administrator deletes the user and creates the person again: same username, new id.
    emulator.remove_user(DEMO_NETWORK, "5001")
    _seed(emulator, ("5002", "ana@x.org"))
    clock[0] += 25 * 3600  # past the cooldown, so the cached id is checked, not skipped
    capsys.readouterr()

    response = _invoke(_message("m-2", user_ids=["1002"], usernames=["ANA@x.org"]))

    assert failed_ids(response) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "5002") == 1
    metrics = emitted_metrics(capsys.readouterr().out)
    # The cached id was not confirmed by GetUser (404): no hit, one lookup.
    assert (metrics["UsernameCacheHits"], metrics["UsernameLookups"]) == (0, 1)
    assert (metrics["UsersReinvited"], metrics["UsersSkipped"]) == (2, 0)  # the deleted id is nobody's verdict
    assert _done_lines(caplog)["m-2"].verdicts == {"reinvited": 2}  # type: ignore[attr-defined]
    cached = [item for pk, item in table_items(dynamodb, username_cache).items() if pk.startswith("name#")]
    assert [item["user_id"]["S"] for item in cached] == ["5002"]

    # Once: the next request uses the new resolution.
    lookups = emulator.calls("ListUsers")
    clock[0] += 25 * 3600
    assert failed_ids(_invoke(_message("m-3", usernames=["ana@x.org"]))) == set()
    assert emulator.calls("ListUsers") == lookups
    assert emulator.invites_sent(DEMO_NETWORK, "5002") == 2


@pytest.mark.usefixtures("username_cache", "debug_logs")
def test_a_username_never_reaches_a_log_line_a_metric_or_the_response_even_at_debug(
    emulator: WickrEmulator,
    clock: list[float],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="wickr-reinviter")
    _seed(emulator, ("5001", "dup@x.org"), ("5002", "DUP@x.org"), ("5003", "zoë@x.org"), ("5004", "jimbob@x.org"))
    names = [ADA, CORA, "dup@x.org", "ZOË@x.org", "bob@x.org", "zoe@x.org"]
    first = _invoke(
        _message("m-1", usernames=names),
        _message("m-2", usernames=["ana @x.org", "x" * 257]),
        _message("m-3", user_ids=["1002"], usernames=[BRUNO]),
    )
    emulator.remove_user(DEMO_NETWORK, "5003")  # so the next request's cached id is out of date
    _seed(emulator, ("5005", "zoë@x.org"))
    clock[0] += 25 * 3600
    second = _invoke(_message("m-4", usernames=["zoË@x.org"]))

    assert failed_ids(first) == {"m-1", "m-2"}
    assert failed_ids(second) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "5005") == 1
    captured = capsys.readouterr()
    written = "\n".join(
        [captured.out, captured.err, json.dumps([first, second]), *(str(vars(record)) for record in caplog.records)]
    ).casefold()
    assert any(record.levelno == logging.DEBUG for record in caplog.records)  # DEBUG lines were written
    for name in [*names, BRUNO, "ana @x.org", "x" * 257, "dup@x.org", "jimbob"]:
        assert name.casefold() not in written, name
    assert "usernames[2]" in written  # entries are named by their place instead


@pytest.mark.parametrize("concurrency", ["16", "1"])
def test_the_largest_batch_by_username_costs_one_lookup_each_then_none(
    emulator: WickrEmulator,
    username_cache: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    concurrency: str,
) -> None:
    """BatchSize (10) x 50 usernames with the ledger and the cache on: the floor is one ListUsers a new username."""
    monkeypatch.setenv("WICKR_MAX_CONCURRENCY", concurrency)
    monkeypatch.setenv("REINVITE_COOLDOWN_HOURS", "0")
    users = [(str(6000 + n), f"joiner{n}@x.org") for n in range(500)]
    _seed(emulator, *users)
    spelled = [name.upper() if n % 2 else name for n, (_, name) in enumerate(users)]  # any case resolves
    batch = [spelled[m * 50 : (m + 1) * 50] for m in range(10)]

    response = _invoke(*(_message(f"m-{m}", usernames=names) for m, names in enumerate(batch)))

    assert failed_ids(response) == set()
    assert {emulator.invites_sent(DEMO_NETWORK, uid) for uid, _ in users} == {1}
    assert (emulator.calls("ListUsers"), emulator.calls("GetUser"), emulator.calls("BatchReinviteUser")) == (500, 0, 10)
    capsys.readouterr()

    response = _invoke(*(_message(f"again-{m}", usernames=names) for m, names in enumerate(batch)))

    assert failed_ids(response) == set()
    assert {emulator.invites_sent(DEMO_NETWORK, uid) for uid, _ in users} == {2}
    assert emulator.calls("ListUsers") == 500  # every username from the cache; each id checked once with GetUser
    assert (emulator.calls("GetUser"), emulator.calls("BatchReinviteUser")) == (500, 20)
    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["UsernameCacheHits"], metrics["UsernameLookups"], metrics["UsersReinvited"]) == (500, 0, 500)


def test_an_unreadable_hash_key_costs_lookups_not_requests(
    emulator: WickrEmulator,
    ledger_table: str,
    aws: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", aws)
    monkeypatch.setenv("USERNAME_HASH_KEY_SECRET", "no-such-secret")

    assert failed_ids(_invoke(_message("m-1", usernames=[ADA]))) == set()

    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    (warning,) = [record for record in caplog.records if record.getMessage().startswith("resolution cache unavailable")]
    assert warning.error == "username hash key: ResourceNotFoundException"  # type: ignore[attr-defined]


def test_an_expired_resolution_is_a_miss_even_before_dynamodb_deletes_it(
    emulator: WickrEmulator, username_cache: str, dynamodb: Any, clock: list[float]
) -> None:
    assert failed_ids(_invoke(_message("m-1", usernames=[ADA]))) == set()
    clock[0] += 31 * 86400  # past USERNAME_CACHE_DAYS (30); moto, like DynamoDB, has not deleted the item yet
    assert any(pk.startswith("name#") for pk in table_items(dynamodb, username_cache))

    assert failed_ids(_invoke(_message("m-2", usernames=[ADA]))) == set()

    assert emulator.calls("ListUsers") == 2  # looked up again
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 2


def test_a_replaced_hash_key_makes_old_entries_miss(
    emulator: WickrEmulator, username_cache: str, aws: str, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter import wiring

    assert failed_ids(_invoke(_message("m-1", usernames=[ADA]))) == set()
    secrets = boto3.client("secretsmanager", endpoint_url=aws, region_name="us-east-1")
    secrets.put_secret_value(SecretId=os.environ["USERNAME_HASH_KEY_SECRET"], SecretString=uuid.uuid4().hex * 2)
    wiring.container.cache_clear()  # a container started after the change (a warm one re-reads within 5 minutes)
    capsys.readouterr()

    assert failed_ids(_invoke(_message("m-2", usernames=[ADA]))) == set()

    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["UsernameCacheHits"], metrics["UsernameLookups"]) == (0, 1)  # the old entry is not found
    versions = {pk.split("#")[2] for pk in table_items(dynamodb, username_cache) if pk.startswith("name#")}
    assert len(versions) == 2  # the old entry stays until its TTL; the new one is under the new version
