"""intake.read_records: every record judged on its own, with a precise reason."""

from __future__ import annotations

from typing import Any

import pytest

from reinviter.core.model import Request
from reinviter.entry.sqs import read_records
from tests.conftest import QUEUE_ARN, sqs_record

ALLOWED = frozenset({"12345678", "87654321"})


def _record(body: Any, message_id: str = "m1") -> dict[str, Any]:
    return sqs_record(body, message_id=message_id)


def _reason(body: Any) -> str:
    intake = read_records([_record(body)], ALLOWED, QUEUE_ARN)
    assert intake.requests == []
    [rejection] = intake.rejections
    assert rejection.message_id == "m1"
    return rejection.reason


def test_valid_record_becomes_a_request() -> None:
    intake = read_records([_record({"networkId": "12345678", "userIds": ["1001", "1002"]})], ALLOWED, QUEUE_ARN)

    assert intake.requests == [Request("m1", "12345678", ("1001", "1002"))]
    assert intake.rejections == []


def test_a_correlation_id_is_carried_with_its_request() -> None:
    correlation_id = "hr-onboarding:2026.12-04_1" + "x" * 102  # 128 characters, every kind the schema allows
    body = {"networkId": "12345678", "userIds": ["1001"], "correlationId": correlation_id}
    intake = read_records([_record(body)], ALLOWED, QUEUE_ARN)

    assert [request.correlation_id for request in intake.requests] == [correlation_id]


def test_repeated_user_ids_are_one_user_in_first_seen_order() -> None:
    intake = read_records(
        [_record({"networkId": "12345678", "userIds": ["1002", "1001", "1002", "1001"]})], ALLOWED, QUEUE_ARN
    )

    assert intake.requests[0].user_ids == ("1002", "1001")


def test_unknown_body_fields_are_ignored() -> None:
    intake = read_records([_record({"networkId": "12345678", "userIds": ["1"], "source": "hr"})], ALLOWED, QUEUE_ARN)

    assert intake.requests == [Request("m1", "12345678", ("1",))]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "invalid body: body: Invalid JSON"),
        ('["12345678", "1001"]', "invalid body: body: Input should be a valid dictionary"),
        ({"networkId": "1234567", "userIds": ["1001"]}, "invalid body: networkId: String should match pattern"),
        ({"networkId": 12345678, "userIds": ["1001"]}, "invalid body: networkId: Input should be a valid string"),
        ({"networkId": "12345678", "userIds": [1001]}, "invalid body: userIds.0: Input should be a valid string"),
        ({"networkId": "12345678", "userIds": ["12345678901"]}, "invalid body: userIds.0: String should match"),
        ({"networkId": "12345678", "userIds": ["10a1"]}, "invalid body: userIds.0: String should match pattern"),
        ({"networkId": "12345678", "userIds": []}, "invalid body: body: Value error, name at least one user"),
        ({"networkId": "12345678", "userIds": "1001"}, "invalid body: userIds: Input should be a valid list"),
        ({"networkId": "12345678"}, "invalid body: body: Value error, name at least one user"),
        ({"userIds": ["1001"]}, "invalid body: networkId: Field required"),
        ({"networkId": "99999999", "userIds": ["1001"]}, "network 99999999 is not in WICKR_NETWORK_IDS"),
        ({"networkId": "12345678", "userIds": ["1"], "correlationId": ""}, "invalid body: correlationId: String"),
        ({"networkId": "12345678", "userIds": ["1"], "correlationId": "a b"}, "invalid body: correlationId: String"),
        ({"networkId": "12345678", "userIds": ["1"], "correlationId": "ana@hr"}, "invalid body: correlationId: Str"),
        ({"networkId": "12345678", "userIds": ["1"], "correlationId": "x" * 129}, "invalid body: correlationId: Str"),
        ({"networkId": "12345678", "userIds": ["1"], "correlationId": 42}, "invalid body: correlationId: Input should"),
    ],
)
def test_rejection_reasons_are_precise(body: Any, reason: str) -> None:
    assert _reason(body).startswith(reason)


def test_51_ids_are_rejected_and_50_accepted() -> None:
    ids = [str(1000 + n) for n in range(51)]

    assert "userIds: List should have at most 50 items" in _reason({"networkId": "12345678", "userIds": ids})
    intake = read_records([_record({"networkId": "12345678", "userIds": ids[:50]})], ALLOWED, QUEUE_ARN)
    assert len(intake.requests[0].user_ids) == 50


def test_reason_does_not_echo_the_input() -> None:
    reason = _reason({"networkId": "12345678", "userIds": ["ada.quill@example.com"]})

    assert "ada.quill" not in reason


def test_record_without_message_id_is_rejected_with_an_empty_identifier() -> None:
    intake = read_records(
        [{"body": "{}"}, "not a record", {"messageId": "", "body": "{}"}, {"messageId": "m4"}], ALLOWED, QUEUE_ARN
    )

    assert intake.requests == []
    assert [r.message_id for r in intake.rejections] == ["", "", "", "m4"]
    assert intake.rejections[0].reason.startswith("record 0 is not an SQS record: messageId: Field required")
    assert intake.rejections[1].reason.startswith("record 1 is not an SQS record:")
    assert intake.rejections[2].reason.startswith("record 2 is not an SQS record:")
    assert intake.rejections[3].message_id == "m4"
    assert "body: Field required" in intake.rejections[3].reason


def test_one_bad_record_does_not_affect_its_neighbours() -> None:
    records = [
        _record({"networkId": "12345678", "userIds": ["1"]}, "a"),
        _record("garbage", "b"),
        _record({"networkId": "87654321", "userIds": ["2"]}, "c"),
    ]

    intake = read_records(records, ALLOWED, QUEUE_ARN)

    assert [r.message_id for r in intake.requests] == ["a", "c"]
    assert [r.message_id for r in intake.rejections] == ["b"]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("arn:aws:sqs:us-east-1:123456789012:someone-else", "eventSourceARN 'arn:aws:sqs:us-east-1:123456789012:some"),
        ("", "eventSourceARN '' is not"),
        ("x" * 1000, "eventSourceARN '" + "x" * 256 + "' is not"),
        (QUEUE_ARN + "\n", "eventSourceARN '" + QUEUE_ARN + "\\n' is not"),
    ],
)
def test_a_record_from_another_queue_or_a_direct_invoke_is_refused_whatever_its_body(source: str, reason: str) -> None:
    good, bad_body = _record({"networkId": "12345678", "userIds": ["1"]}, "a"), _record("garbage", "b")
    for record in (good, bad_body):
        record["eventSourceARN"] = source

    intake = read_records(
        [good, bad_body, _record({"networkId": "12345678", "userIds": ["2"]}, "c")], ALLOWED, QUEUE_ARN
    )

    assert [r.message_id for r in intake.requests] == ["c"]
    assert [r.message_id for r in intake.rejections] == ["a", "b"]
    assert all(r.reason.startswith(reason) for r in intake.rejections)
    assert all(r.reason.endswith("(REINVITE_QUEUE_ARN)") for r in intake.rejections)


def test_without_reinvite_queue_arn_no_record_is_taken() -> None:
    intake = read_records([_record({"networkId": "12345678", "userIds": ["1"]})], ALLOWED, "")

    assert intake.requests == []
    assert intake.rejections[0].reason.startswith("REINVITE_QUEUE_ARN is not set")
