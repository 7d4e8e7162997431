"""Outcome events (issue 21): every requester told what happened, through EventBridge, each outcome under a stable id.

Through the real handler: the Wickr emulator over HTTP, moto's DynamoDB, and moto's EventBridge with a rule on a
bus of the test's own that delivers into an SQS queue (what an onboarding system's rule would do). The ledger's
clock is held by the test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reinviter.core.policy import CLAIM_LEASE_S
from tests.conftest import DEMO_NETWORK, FakeLambdaContext, failed_ids, sqs_event, sqs_record
from tests.integration.conftest import receive_all, table_items, told
from wickr_emulator import WickrEmulator

HOUR = 3600.0
DEAD_ENDPOINT = "http://127.0.0.1:9"  # nothing listens: every PutEvents is refused a connection


def _by_type(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        found.setdefault(event["detail-type"], []).append(event["detail"])
    return found


def _handle(body: dict[str, Any], message_id: str, *, receive_count: int = 1) -> dict[str, Any]:
    from reinviter.handler import lambda_handler

    record = sqs_record({"networkId": DEMO_NETWORK, **body}, message_id=message_id)
    record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return lambda_handler(sqs_event(record), FakeLambdaContext())


def _cold_start() -> None:
    """A new container: the next invocation reads the environment again (and builds its clients anew)."""
    from reinviter.settings import get_settings
    from reinviter.wiring import container

    container.cache_clear()
    get_settings.cache_clear()


def test_each_outcome_is_told_with_its_reason_and_the_requesters_correlation_id(
    emulator: WickrEmulator, ledger_table: str, outcomes: str, sqs: Any, clock: list[float]
) -> None:
    body = {
        "userIds": ["1001", "1003", "1008", "9999"],  # pending, active, suspended, unknown to Wickr
        "usernames": ["nobody@example.com", "dario.mensah@example.com"],  # unknown, and 1004 (pending)
        "correlationId": "onboarding-42",
    }
    assert failed_ids(_handle(body, "m-1")) == set()

    events = told(sqs, outcomes)
    assert {event["source"] for event in events} == {"wickr.reinviter"}
    kinds = _by_type(events)
    assert sorted((d["userId"], d["attempt"]) for d in kinds["User Reinvited"]) == [("1001", 1), ("1004", 1)]
    skipped = sorted((d.get("userId") or d["entry"], d["reason"]) for d in kinds["User Skipped"])
    assert skipped == [
        ("1003", "active"),
        ("1008", "suspended"),
        ("9999", "unknown"),
        ("usernames[0]", "unknown-username"),
    ]
    details = [event["detail"] for event in events]
    assert {d["correlationId"] for d in details} == {"onboarding-42"}
    assert {d["networkId"] for d in details} == {DEMO_NETWORK}
    assert len({d["eventId"] for d in details}) == len(details) == 6
    assert all(d["occurredAt"].endswith("Z") for d in details)
    # No username in any event (1004 was named by one: it is reported by its id).
    assert "@" not in json.dumps(events)

    # A second request inside the cooldown: told why, without a correlation id when the request gave none.
    clock[0] += HOUR
    assert failed_ids(_handle({"userIds": ["1001"]}, "m-2")) == set()
    (again,) = told(sqs, outcomes)
    assert (again["detail-type"], again["detail"]["reason"]) == ("User Skipped", "cooldown")
    assert "correlationId" not in again["detail"]


def test_the_last_reinvite_is_told_as_given_up_and_later_requests_as_skipped(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator, ledger_table: str, outcomes: str, sqs: Any, clock: list[float], monkeypatch: Any
) -> None:
    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "2")
    assert failed_ids(_handle({"userIds": ["1001"]}, "m-1")) == set()
    assert [e["detail-type"] for e in told(sqs, outcomes)] == ["User Reinvited"]
    clock[0] += 25 * HOUR

    assert failed_ids(_handle({"userIds": ["1001"]}, "m-2")) == set()
    kinds = _by_type(told(sqs, outcomes))
    assert [d["attempt"] for d in kinds["User Reinvited"]] == [2]
    assert [d["reinvites"] for d in kinds["User Given Up"]] == [2]

    clock[0] += 100 * HOUR
    assert failed_ids(_handle({"userIds": ["1001"]}, "m-3")) == set()
    assert [(e["detail-type"], e["detail"]["reason"]) for e in told(sqs, outcomes)] == [("User Skipped", "given-up")]


def test_a_join_is_told_on_the_request_path_and_by_the_sweep(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    ledger_table: str,
    queue_url: str,
    outcomes: str,
    sqs: Any,
    clock: list[float],
) -> None:
    from reinviter.handler import lambda_handler

    body = {"userIds": ["1001", "1002"], "correlationId": "c-7"}
    assert failed_ids(_handle(body, "m-1")) == set()
    told(sqs, outcomes)
    clock[0] += 30 * HOUR
    emulator.update_user(DEMO_NETWORK, "1001", status=2)  # accepts: a request sees it
    emulator.update_user(DEMO_NETWORK, "1002", status=2)  # accepts: nobody asks, the sweep sees it

    assert failed_ids(_handle({"userIds": ["1001"], "correlationId": "c-8"}, "m-2")) == set()
    kinds = _by_type(told(sqs, outcomes))
    (joined,) = kinds["User Joined"]
    assert (joined["userId"], joined["reinvites"], joined["hoursToJoin"], joined["correlationId"]) == (
        "1001",
        1,
        30.0,
        "c-8",
    )
    assert [(d["userId"], d["reason"]) for d in kinds["User Skipped"]] == [("1001", "active")]  # the request's answer

    swept = lambda_handler({"networkIds": [DEMO_NETWORK]}, FakeLambdaContext())["sweep"][DEMO_NETWORK]
    assert swept["usersJoined"] == 1
    (by_sweep,) = told(sqs, outcomes)
    assert (by_sweep["detail-type"], by_sweep["detail"]["userId"], by_sweep["detail"]["reinvites"]) == (
        "User Joined",
        "1002",
        1,
    )
    assert "correlationId" not in by_sweep["detail"]  # the sweep's check answers no request
    receive_all(sqs, queue_url)  # the sweep's own messages, not drained here


def test_a_replay_tells_the_same_event_id_and_sends_no_second_invitation(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    ledger_table: str,
    outcomes: str,
    sqs: Any,
    clock: list[float],
    crash_in_next_settle: None,
) -> None:
    with pytest.raises(RuntimeError, match="injected"):  # published, then the invocation dies before its settle
        _handle({"userIds": ["1001", "1002"]}, "m-1")
    first = {d["userId"]: d["eventId"] for d in _by_type(told(sqs, outcomes))["User Reinvited"]}
    clock[0] += CLAIM_LEASE_S + 1  # the claim is stale: SQS redelivers the message

    assert failed_ids(_handle({"userIds": ["1001", "1002"]}, "m-1", receive_count=2)) == set()

    replayed = {d["userId"]: d["eventId"] for d in _by_type(told(sqs, outcomes))["User Reinvited"]}
    assert replayed == first  # the same outcome, the same ids: a consumer dedupes them
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == emulator.invites_sent(DEMO_NETWORK, "1002") == 1


def test_events_that_cannot_be_published_are_lost_never_and_cause_no_second_invitation(  # noqa: PLR0917 - fixtures
    aws: str,
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    outcomes: str,
    sqs: Any,
    clock: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", DEAD_ENDPOINT)  # EventBridge is down
    body = {"userIds": ["1001", "1003"], "correlationId": "c-1"}

    assert failed_ids(_handle(body, "m-1")) == {"m-1"}  # the message waits for its events

    item = table_items(dynamodb, ledger_table)[f"user#{DEMO_NETWORK}#1001"]
    assert "claim_token" in item  # unsettled: the claim is what carries the unpublished reinvite
    assert "attempts" not in item
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1
    _cold_start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", aws)  # EventBridge is back
    clock[0] += CLAIM_LEASE_S + 1

    assert failed_ids(_handle(body, "m-1", receive_count=2)) == set()

    kinds = _by_type(told(sqs, outcomes))
    assert [(d["userId"], d["attempt"], d["correlationId"]) for d in kinds["User Reinvited"]] == [("1001", 1, "c-1")]
    assert [(d["userId"], d["reason"]) for d in kinds["User Skipped"]] == [("1003", "active")]
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1  # the replay had Wickr's stored answer: no second invite
    item = table_items(dynamodb, ledger_table)[f"user#{DEMO_NETWORK}#1001"]
    assert (item["attempts"], "claim_token" in item) == ({"N": "1"}, False)


def test_without_a_bus_nothing_is_published(
    emulator: WickrEmulator, ledger_table: str, outcomes: str, sqs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTCOME_EVENT_BUS", "")
    assert failed_ids(_handle({"userIds": ["1001", "1003"]}, "m-1")) == set()
    assert told(sqs, outcomes) == []
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 1


def test_no_username_reaches_an_event_even_from_a_wickr_that_echoes_them(
    emulator: WickrEmulator, ledger_table: str, outcomes: str, sqs: Any
) -> None:
    emulator.faults.echo_usernames = True  # as in test_no_personal_data: every error text names the user
    emulator.faults.fail_next(500, operation="ListUsers")  # retried; its message echoes the username asked for
    names = ["ADA.QUILL@example.com", "cora.lindqvist@example.com", "nobody.at.all@example.com"]

    assert failed_ids(_handle({"usernames": names, "correlationId": "c-1"}, "m-1")) == set()

    events = told(sqs, outcomes)
    assert sorted(e["detail-type"] for e in events) == ["User Reinvited", "User Skipped", "User Skipped"]
    bodies = json.dumps(events).lower()
    for name in [*names, "ada.quill", "cora.lindqvist", "nobody.at.all"]:
        assert name.lower() not in bodies
    assert any(entry.status >= 400 for entry in emulator.journal)  # the emulator did echo
