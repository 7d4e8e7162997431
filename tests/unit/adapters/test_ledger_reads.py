"""BatchGetItem's unprocessed keys: asked again after a growing backoff, never past the deadline."""

from __future__ import annotations

from typing import Any

import pytest

from reinviter.adapters.dynamodb.ledger import DynamoLedger
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable
from reinviter.core.model import UserKey
from reinviter.core.policy import Policy

TABLE = "ledger"
KEYS = [UserKey("12345678", str(1001 + n)) for n in range(3)]


class Longest:
    def uniform(self, a: float, b: float) -> float:
        return b


class ThrottlingDynamo:
    """Answers BatchGetItem leaving every key unprocessed `throttled` times, then answers them (no items stored)."""

    def __init__(self, throttled: int) -> None:
        self.throttled = throttled
        self.requests: list[int] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        keys = RequestItems[TABLE]["Keys"]
        self.requests.append(len(keys))
        if len(self.requests) <= self.throttled:
            return {"Responses": {TABLE: []}, "UnprocessedKeys": {TABLE: {"Keys": keys}}}
        return {"Responses": {TABLE: []}}


class TimeForOneCall:
    """A deadline with room for one call's timeouts and not a moment more (no clock: no timing in the test)."""

    def allows(self, seconds: float) -> bool:
        from reinviter.adapters.dynamodb.requests import CALL_BUDGET_S

        return seconds <= CALL_BUDGET_S


def _ledger(client: ThrottlingDynamo, sleeps: list[float]) -> DynamoLedger:
    return DynamoLedger(client, TABLE, Policy(3600.0, 5), sleep=sleeps.append, rng=Longest())  # type: ignore[arg-type]


def test_unprocessed_keys_are_asked_again_after_a_growing_backoff() -> None:
    client, sleeps = ThrottlingDynamo(throttled=3), []

    assert _ledger(client, sleeps).read(KEYS, Deadline.never()) == {}
    assert client.requests == [3, 3, 3, 3]
    assert sleeps == [0.1, 0.2, 0.4]  # full jitter's ceiling (drawn here at its top) doubles each round


def test_keys_still_unprocessed_at_the_deadline_fail_the_read_without_sleeping_past_it() -> None:
    client, sleeps = ThrottlingDynamo(throttled=100), []

    with pytest.raises(LedgerUnavailable, match="3 keys still unprocessed"):
        _ledger(client, sleeps).read(KEYS, TimeForOneCall())  # type: ignore[arg-type]
    assert (client.requests, sleeps) == ([3], [])  # one round fits; a retry plus its call would not
