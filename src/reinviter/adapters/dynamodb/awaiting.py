"""Reinvited users awaiting an outcome, through the sparse AwaitingIndex: a Query per page, never a Scan.

The sweep's join check (`orchestration/awaiting.py`) reads a network's awaiting users a page at a time, reads the
records of the few its listing no longer shows (consistently, from the table: the index is eventually consistent and
keys only), and records each outcome with a conditional write, so an outcome is recorded (and counted) once.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from reinviter.adapters.dynamodb.layout import AWAITING_INDEX, user_id_of, user_pk
from reinviter.adapters.dynamodb.ledger import ATTEMPTS_AS_READ, NOT_JOINED, DynamoLedger
from reinviter.adapters.dynamodb.requests import ConditionFailed, DynamoRequests, number
from reinviter.core.clock import current_time
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable
from reinviter.core.model import UserKey
from reinviter.core.policy import LedgerRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

AWAITING_PAGE = 100  # keys a Query returns (keys only: a page is a few kB)


class DynamoAwaiting:
    """The AwaitingIndex's pages, and the outcomes written back to the users' records."""

    def __init__(self, client: DynamoDBClient, table: str, ledger: DynamoLedger) -> None:
        self._dynamo = DynamoRequests(client, table, sleep=time.sleep)
        self._client = client
        self._table = table
        self._ledger = ledger

    def page(self, network_id: str, after: str | None, deadline: Deadline) -> tuple[list[str], str | None]:
        """A page of the network's awaiting user ids after the key `after`, and the key to continue from (or None).

        Raises:
            LedgerUnavailable: No answer, or an answer without its items or with keys of another network.
        """
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": AWAITING_INDEX,
            "KeyConditionExpression": "awaiting = :network",
            "ExpressionAttributeValues": {":network": {"S": network_id}},
            "Limit": AWAITING_PAGE,
        }
        if after is not None:
            request["ExclusiveStartKey"] = {"awaiting": {"S": network_id}, "pk": {"S": after}}
        answer = self._dynamo.request("awaiting", self._client.query, request, deadline)
        items = answer.get("Items")
        if not isinstance(items, list):
            raise LedgerUnavailable("awaiting: the answer has no items")
        user_ids = [user_id_of(str(item.get("pk", {}).get("S", "")), network_id) for item in items]
        if any(user_id is None for user_id in user_ids):
            raise LedgerUnavailable("awaiting: the answer holds a key of another network")
        last = answer.get("LastEvaluatedKey", {}).get("pk", {}).get("S")
        return [user_id for user_id in user_ids if user_id is not None], str(last) if last else None

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        """The users' records, read consistently (the ledger's own read)."""
        return self._ledger.read(keys, deadline)

    def record_join(self, key: UserKey, seen: LedgerRecord, deadline: Deadline) -> bool:
        """The ledger's join write: once, by whoever writes it."""
        return self._ledger.record_join(key, seen, deadline)

    def record_gone(self, key: UserKey, seen: LedgerRecord, outcome: str, deadline: Deadline) -> bool:
        """The user is deleted or suspended: recorded, and no longer awaited (False if the record moved)."""
        now = current_time()
        request = {
            "TableName": self._table,
            "Key": {"pk": {"S": user_pk(key)}},
            "UpdateExpression": "SET outcome = :outcome, outcome_at = :now REMOVE awaiting",
            "ConditionExpression": f"{ATTEMPTS_AS_READ} AND attribute_not_exists(claim_token) AND {NOT_JOINED}",
            "ExpressionAttributeValues": {
                ":outcome": {"S": outcome},
                ":now": number(now),
                ":attempts": number(seen.attempts),
            },
        }
        try:
            self._dynamo.request("outcome", self._client.update_item, request, deadline)
        except ConditionFailed:
            return False
        return True
