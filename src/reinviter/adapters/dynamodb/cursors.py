"""The sweep's resume points in the ledger table: one item per network (`layout.cursor_key`) holding the next token."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.adapters.aws import describe
from reinviter.adapters.dynamodb.layout import cursor_key
from reinviter.adapters.dynamodb.requests import number
from reinviter.core.clock import current_time
from reinviter.core.errors import LedgerUnavailable
from reinviter.telemetry import tracing

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

T = TypeVar("T")

CURSOR_TTL_S = 7 * 86400.0  # a cursor nobody resumed for a week is stale (Wickr may have forgotten its token)
# Short timeouts, so a hung request cannot hold the invocation (botocore's default is 60 s); a failed request fails
# that network's sweep for this run only. The sweep starts a request only if CURSOR_BUDGET_S, its worst case, fits.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
CURSOR_ATTEMPTS = 2
CURSOR_BUDGET_S = CURSOR_ATTEMPTS * (CONNECT_TIMEOUT_S + READ_TIMEOUT_S)
CURSORS_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"mode": "standard", "total_max_attempts": CURSOR_ATTEMPTS},
)


class DynamoCursors:
    """The sweep's resume points: one item per network holding ListUsers' next token."""

    budget_s = CURSOR_BUDGET_S

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def load(self, network_id: str) -> str | None:
        """The stored next token of an unfinished sweep of the network, if any."""
        answer = _translated(
            "load",
            lambda: self._client.get_item(TableName=self._table, Key=cursor_key(network_id), ConsistentRead=True),
        )
        token = answer.get("Item", {}).get("next_token", {}).get("S")
        return str(token) if token else None

    def save(self, network_id: str, token: str) -> None:
        """Remember where the next run continues (after the page before it was fully queued)."""
        now = current_time()
        item = {**cursor_key(network_id), "next_token": {"S": token}, "saved_at": number(now)}
        item["ttl"] = number(now + CURSOR_TTL_S)
        _translated("save", lambda: self._client.put_item(TableName=self._table, Item=item))

    def delete(self, network_id: str) -> None:
        """The network was swept to its last page: the next run starts from the beginning."""
        _translated("delete", lambda: self._client.delete_item(TableName=self._table, Key=cursor_key(network_id)))


def _translated(step: str, call: Callable[[], T]) -> T:
    try:
        with tracing.span(f"dynamodb.cursor {step}"):
            return call()
    except (ClientError, BotoCoreError) as error:
        raise LedgerUnavailable(f"{step}: {describe(error)}") from error
