"""The sweep's resume points in the ledger table: one item per network (`pk = sweep#<network>`, `cursor_key`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reinviter.clock import current_time
from reinviter.dynamo import number

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

CURSOR_TTL_S = 7 * 86400.0  # a cursor nobody resumed for a week is stale (Wickr may have forgotten its token)


class DynamoCursors:
    """The sweep's resume points: one item per network (`pk = sweep#<network>`) holding ListUsers' next token."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def load(self, network_id: str) -> str | None:
        """The stored next token of an unfinished sweep of the network, if any."""
        answer = self._client.get_item(TableName=self._table, Key=cursor_key(network_id), ConsistentRead=True)
        token = answer.get("Item", {}).get("next_token", {}).get("S")
        return str(token) if token else None

    def save(self, network_id: str, token: str) -> None:
        """Remember where the next run continues (after the page before it was fully queued)."""
        now = current_time()
        self._client.put_item(
            TableName=self._table,
            Item={
                **cursor_key(network_id),
                "next_token": {"S": token},
                "saved_at": number(now),
                "ttl": number(now + CURSOR_TTL_S),
            },
        )

    def delete(self, network_id: str) -> None:
        """The network was swept to its last page: the next run starts from the beginning."""
        self._client.delete_item(TableName=self._table, Key=cursor_key(network_id))


def cursor_key(network_id: str) -> dict[str, Any]:
    """A network's cursor key: the table's layout for sweep cursors (the operators' tools use it too)."""
    return {"pk": {"S": f"sweep#{network_id}"}}
