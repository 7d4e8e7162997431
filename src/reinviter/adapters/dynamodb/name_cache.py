"""Username resolutions remembered in the ledger table, keyed by an HMAC of network and username, never the name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from reinviter.adapters.dynamodb.layout import name_pk
from reinviter.adapters.dynamodb.requests import MAX_ATTEMPTS, WRITE_BATCH, DynamoRequests, number
from reinviter.core.clock import current_time
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable
from reinviter.core.keys import mac
from reinviter.core.usernames import NameKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from reinviter.core.model import HashKey
else:
    DynamoDBClient = Any


class DynamoNameCache:
    """Username resolutions, `pk = name#<network>#<key version>#<HMAC-SHA256 of network and username>`, never the name.

    The HMAC key is the username cache's subkey of a secret of the deployment (Secrets Manager; `core.keys`), the
    network and the username its two length-prefixed fields: without it the table's keys cannot be matched
    against a list of email addresses. The network is part of what is hashed, so one email in two networks gives two
    unrelated digests; the key's version is part of the item's key, so a replaced key makes the old entries miss.
    Entries expire with DynamoDB's TTL.
    """

    def __init__(self, client: DynamoDBClient, table: str, key: Callable[[Deadline], HashKey], ttl_s: float) -> None:
        self._dynamo = DynamoRequests(client, table)
        self._client = client
        self._table = table
        self._key = key
        self._ttl_s = ttl_s

    def read(self, keys: Sequence[NameKey], deadline: Deadline) -> dict[NameKey, str]:
        """Remembered ids, 100 keys a BatchGetItem (eventually consistent: an entry changes only when Wickr did).

        Keys still unprocessed after the last round are misses: they cost a lookup, nothing else.
        """
        by_pk = {self._pk(key, deadline): key for key in keys}
        projection = {"ProjectionExpression": "pk, user_id, #ttl", "ExpressionAttributeNames": {"#ttl": "ttl"}}
        items, _ = self._dynamo.batch_get("name read", list(by_pk), projection, deadline)
        now = current_time()
        # DynamoDB deletes expired items within days, not at once: an expired entry is a miss.
        return {
            by_pk[item["pk"]["S"]]: str(item["user_id"]["S"])
            for item in items
            if float(item.get("ttl", {}).get("N", "inf")) > now
        }

    def remember(self, resolved: dict[NameKey, str], deadline: Deadline) -> None:
        """Put the entries, 25 a BatchWriteItem (a put is idempotent: a repeat after a lost answer changes nothing)."""
        now = current_time()
        puts = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": self._pk(key, deadline)},
                        "network_id": {"S": key.network_id},
                        "user_id": {"S": user_id},
                        "resolved_at": number(now),
                        "ttl": number(now + self._ttl_s),
                    }
                }
            }
            for key, user_id in resolved.items()
        ]
        self._write("name write", puts, deadline)

    def forget(self, keys: Sequence[NameKey], deadline: Deadline) -> None:
        """Delete the entries, 25 a BatchWriteItem."""
        self._write(
            "name forget",
            [{"DeleteRequest": {"Key": {"pk": {"S": self._pk(key, deadline)}}}} for key in keys],
            deadline,
        )

    def _write(self, step: str, writes: list[dict[str, Any]], deadline: Deadline) -> None:
        for start in range(0, len(writes), WRITE_BATCH):
            pending = writes[start : start + WRITE_BATCH]
            for _ in range(MAX_ATTEMPTS):
                if not pending:
                    break
                request = {"RequestItems": {self._table: pending}}
                answer = self._dynamo.request(step, self._client.batch_write_item, request, deadline)
                pending = answer.get("UnprocessedItems", {}).get(self._table, [])
            if pending:
                raise LedgerUnavailable(f"{step}: {len(pending)} items still unprocessed")

    def _pk(self, key: NameKey, deadline: Deadline) -> str:
        hash_key = self._key(deadline)
        digest = mac(hash_key.usernames, [key.network_id, key.username])
        return name_pk(key.network_id, hash_key.version, digest)
