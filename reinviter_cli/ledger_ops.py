"""The ledger as an operator reads and resets it: one user's item, the given-up index, a guarded reset.

Items are read with the function's own parser (`layout.record_from_item`) and judged with its own `decide`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from reinviter.adapters.dynamodb.layout import GIVEN_UP_INDEX, cursor_key, record_from_item, user_pk, user_pk_prefix
from reinviter.core.model import UserKey
from reinviter.core.policy import LedgerRecord
from reinviter_cli.problems import Problem, client_error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any


@dataclass(frozen=True, slots=True)
class Entry:
    """One user's ledger item: the parsed record plus what `LedgerRecord` leaves out."""

    user_id: str
    record: LedgerRecord
    given_up: bool  # carries the `given_up` mark (in GivenUpIndex)
    outcome: str | None = None  # `deleted` or `suspended`, once the sweep's check saw it
    awaiting: bool = False  # in AwaitingIndex: the sweep's join check reads it

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Entry:
        """From a low-level DynamoDB item."""
        return cls(
            user_id=str(item.get("user_id", {}).get("S") or item["pk"]["S"].rsplit("#", 1)[-1]),
            record=record_from_item(item),
            given_up="given_up" in item,
            outcome=item.get("outcome", {}).get("S"),
            awaiting="awaiting" in item,
        )


def _table_missing(error: ClientError, table: str, region: str) -> None:
    if client_error_code(error) == "ResourceNotFoundException":
        raise Problem(
            f"table {table!r} not found in {region}: check --table (or the stack's outputs) and --region"
        ) from None


def read_entry(client: DynamoDBClient, table: str, key: UserKey, region: str) -> Entry | None:
    """A consistent read of one user's item (None: the ledger has never recorded this user)."""
    try:
        answer = client.get_item(TableName=table, Key={"pk": {"S": user_pk(key)}}, ConsistentRead=True)
    except ClientError as error:
        _table_missing(error, table, region)
        raise
    item = answer.get("Item")
    return Entry.of(item) if item else None


def given_up(client: DynamoDBClient, table: str, network_id: str, region: str) -> Iterator[Entry]:
    """Every user of the network marked given up: a Query of the sparse GivenUpIndex, page by page (never a Scan).

    A global index is eventually consistent: a user given up in the last second may be missing from it.
    """
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": GIVEN_UP_INDEX,
        "KeyConditionExpression": "given_up = :network",
        "ExpressionAttributeValues": {":network": {"S": network_id}},
    }
    yield from _pages(client.query, request, region)


def network_entries(client: DynamoDBClient, table: str, network_id: str, region: str) -> Iterator[Entry]:
    """Every user item of the network: a Scan of the table, page by page (a report's cost grows with the table).

    No index holds every reinvited user (a join leaves AwaitingIndex, and GivenUpIndex holds only the capped), so
    this reads every item once, keeping the network's users.
    """
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "begins_with(pk, :prefix)",
        "ExpressionAttributeValues": {":prefix": {"S": user_pk_prefix(network_id)}},
    }
    yield from _pages(client.scan, request, region)


def _pages(read: Callable[..., Any], request: dict[str, Any], region: str) -> Iterator[Entry]:
    """Every item of a Query or a Scan, page by page."""
    while True:
        try:
            answer = read(**request)
        except ClientError as error:
            _table_missing(error, request["TableName"], region)
            raise
        for item in answer.get("Items", []):
            yield Entry.of(item)
        last = answer.get("LastEvaluatedKey")
        if not last:
            return
        request["ExclusiveStartKey"] = last


def read_cursor(client: DynamoDBClient, table: str, network_id: str, region: str) -> bool:
    """Whether an unfinished sweep of the network left a cursor (`sweep#<network>`) its next run continues from."""
    try:
        answer = client.get_item(TableName=table, Key=cursor_key(network_id), ConsistentRead=True)
    except ClientError as error:
        _table_missing(error, table, region)
        raise
    return "Item" in answer


# A reinvited user with no outcome yet, not in AwaitingIndex: a record settled before joins were tracked.
AWAIT_CONDITION = (
    "attempts >= :one AND attribute_not_exists(joined_at) AND attribute_not_exists(outcome)"
    " AND attribute_not_exists(awaiting)"
)


def mark_awaiting(client: DynamoDBClient, table: str, key: UserKey, region: str) -> bool:
    """Put an old record into AwaitingIndex (as a settle does now); False if it has an outcome or is already there.

    `first_reinvited_at` stays absent: the first reinvite's time was never kept, and a guess would skew HoursToJoin.
    """
    try:
        client.update_item(
            TableName=table,
            Key={"pk": {"S": user_pk(key)}},
            UpdateExpression="SET awaiting = :network",
            ConditionExpression=AWAIT_CONDITION,
            ExpressionAttributeValues={":network": {"S": key.network_id}, ":one": {"N": "1"}},
        )
    except ClientError as error:
        _table_missing(error, table, region)
        if client_error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


class ResetOutcome(enum.Enum):
    """What `reset` did to one user."""

    RESET = "reset"
    NOTHING = "nothing to reset"
    NO_RECORD = "no ledger record"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class ResetResult:
    """One user's reset: the item as it was (the values removed, or why nothing was)."""

    key: UserKey
    outcome: ResetOutcome
    before: Entry | None


RESET_CONDITION = "attribute_exists(pk) AND attribute_not_exists(claim_token)"
RESET_TRIES = 3  # a claim that ends between the refused write and the read that explains it: write again


def reset(client: DynamoDBClient, table: str, key: UserKey, region: str) -> ResetResult:
    """Remove attempts, last reinvite and the given-up mark, in one write that fails if any claim is held.

    The ledger changes attempts only under a claim; a reset under one would be overwritten by the claim's settle
    (or by its replay, for a stale claim). So the condition refuses while a claim exists, live or stale, and a claim
    taken between the operator's look and this write makes it fail cleanly, not race. The write returns the item
    as it was, so what is printed is exactly what was removed.
    """
    for _ in range(RESET_TRIES):
        try:
            answer = client.update_item(
                TableName=table,
                Key={"pk": {"S": user_pk(key)}},
                UpdateExpression="REMOVE attempts, last_reinvited_at, given_up",
                ConditionExpression=RESET_CONDITION,
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            _table_missing(error, table, region)
            if client_error_code(error) != "ConditionalCheckFailedException":
                raise
            before = read_entry(client, table, key, region)
            if before is None:
                return ResetResult(key, ResetOutcome.NO_RECORD, None)
            if before.record.claim_token is not None:
                return ResetResult(key, ResetOutcome.REFUSED, before)
            continue  # the claim was settled or released between the write and the read: try again
        entry = Entry.of(answer["Attributes"])
        cleared = entry.record.attempts or entry.record.last_reinvited_at is not None or entry.given_up
        return ResetResult(key, ResetOutcome.RESET if cleared else ResetOutcome.NOTHING, entry)
    raise Problem(f"{key.network_id}/{key.user_id}: the record kept changing under reset; run it again")
