"""The outcome bus adapter: PutEvents' answers are data to validate, failed entries retried, nothing raised.

A botocore Stubber stands in for EventBridge here (request shapes and answer handling, a unit test); the events'
way through a real bus into a rule's queue is tests/integration/test_outcome_events.py.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from reinviter.adapters.events import OutcomeBus
from reinviter.core import events
from reinviter.core.deadline import Deadline
from reinviter.core.model import SkipReason, UserKey

NOW = 1_800_000_000.0


def _events(count: int) -> list[events.OutcomeEvent]:
    return [events.reinvited(UserKey("12345678", str(1000 + n)), 1, "t" * 64, NOW, None) for n in range(count)]


@pytest.fixture
def client() -> Any:
    return boto3.client("events", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _bus(client: Any, rounds: int = 3) -> OutcomeBus:
    return OutcomeBus(client, "outcomes", rounds=rounds, sleep=lambda _: None)


def _put(stubber: Stubber, sent: list[events.OutcomeEvent], answer: dict[str, Any]) -> None:
    entries = [
        {
            "Source": "wickr.reinviter",
            "DetailType": event.detail_type.value,
            "Detail": json.dumps(event.detail, separators=(",", ":"), sort_keys=True),
            "EventBusName": "outcomes",
            "Time": ANY,
        }
        for event in sent
    ]
    stubber.add_response("put_events", answer, {"Entries": entries})


def test_ten_entries_a_call_and_a_failed_entry_is_sent_again_alone(client: Any) -> None:
    sent = _events(12)
    with Stubber(client) as stubber:
        first = [{"EventId": f"e{n}"} for n in range(10)]
        first[3] = {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}
        _put(stubber, sent[:10], {"FailedEntryCount": 1, "Entries": first})
        _put(stubber, [sent[3]], {"FailedEntryCount": 0, "Entries": [{"EventId": "e3"}]})
        _put(stubber, sent[10:], {"FailedEntryCount": 0, "Entries": [{"EventId": "e10"}, {"EventId": "e11"}]})

        assert _bus(client).publish(sent, Deadline.never()) == set()
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("garbled", "suspect"),
    [
        ({}, [0, 1]),  # no Entries at all: nothing is known to be put
        ({"Entries": [{"EventId": "e0"}]}, [0, 1]),  # fewer entries than were sent: which one was put?
        ({"Entries": [{"EventId": "e0"}, {}]}, [1]),  # an entry with neither an id nor an error
        ({"Entries": [{"EventId": "e0"}, {"EventId": ""}]}, [1]),
    ],
)
def test_an_answer_that_does_not_account_for_an_entry_is_no_success(
    client: Any, garbled: dict[str, Any], suspect: list[int]
) -> None:
    sent = _events(2)
    with Stubber(client) as stubber:
        _put(stubber, sent, garbled)
        _put(stubber, [sent[n] for n in suspect], {})  # sent again (the same ids), and garbled again

        assert _bus(client, rounds=2).publish(sent, Deadline.never()) == {sent[n].event_id for n in suspect}
        stubber.assert_no_pending_responses()


def test_what_is_still_unpublished_after_the_last_round_is_returned_not_raised(client: Any) -> None:
    sent = _events(2)
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error("put_events", "InternalException", http_status_code=500)

        assert _bus(client).publish(sent, Deadline.never()) == {event.event_id for event in sent}
        stubber.assert_no_pending_responses()


def test_no_call_starts_that_could_not_end_before_the_deadline(client: Any) -> None:
    sent = _events(1)
    with Stubber(client):  # no response queued: a call would fail the test
        assert _bus(client).publish(sent, Deadline.after(1_000, 0)) == {sent[0].event_id}


def test_an_events_id_names_its_outcome_not_the_time_it_was_told() -> None:
    key = UserKey("12345678", "1001")
    first = events.reinvited(key, 2, "tok", NOW, None)
    assert first.event_id == events.reinvited(key, 2, "tok", NOW + 60, "c").event_id  # told again, later
    assert first.event_id != events.reinvited(key, 3, "tok", NOW, None).event_id  # the next attempt
    skip = {"attempts": 1, "now": NOW, "correlation_id": None}
    assert (
        events.skipped("12345678", key, SkipReason.COOLDOWN, message_id="m-1", **skip).event_id
        != events.skipped("12345678", key, SkipReason.COOLDOWN, message_id="m-2", **skip).event_id
    )
