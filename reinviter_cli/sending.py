"""`enqueue`'s sending: the sweep's own queue writer (SendMessageBatch, 10 entries a call, failed entries retried)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from reinviter.adapters.sqs import MAX_BATCH_ENTRIES, ReinviteQueue
from reinviter.core.deadline import Deadline
from reinviter.core.model import MAX_USERS_PER_REINVITE

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchResultTypeDef
else:
    SQSClient = SendMessageBatchResultTypeDef = Any


class CountingSqs:
    """The SQS client as ReinviteQueue uses it, counting calls and the entries SQS answered as failed."""

    def __init__(self, client: SQSClient) -> None:
        self._client = client
        self.calls = 0
        self.failed_entries = 0

    def send_message_batch(self, **request: Any) -> SendMessageBatchResultTypeDef:
        """One SendMessageBatch call, counted."""
        self.calls += 1
        answer = self._client.send_message_batch(**request)
        self.failed_entries += len(answer.get("Failed", []))
        return answer


def messages(network_id: str, user_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Reinvite request bodies, 50 ids each (the function's message schema)."""
    return [
        {"networkId": network_id, "userIds": list(user_ids[start : start + MAX_USERS_PER_REINVITE])}
        for start in range(0, len(user_ids), MAX_USERS_PER_REINVITE)
    ]


class Sender:
    """Queues bodies 10 a call through the sweep's ReinviteQueue, keeping count of what is already queued."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self.sqs = CountingSqs(client)
        self._queue = ReinviteQueue(self.sqs, queue_url)  # type: ignore[arg-type]  # the one method it calls
        self.messages = 0
        self.users = 0

    def send(self, bodies: Sequence[dict[str, Any]], advance: Callable[[int], None]) -> None:
        """Queue every body; `advance` hears each call's users. Raises reinviter.core.errors.QueueError midway."""
        for start in range(0, len(bodies), MAX_BATCH_ENTRIES):
            batch = bodies[start : start + MAX_BATCH_ENTRIES]
            self._queue.send(batch, Deadline.never())
            users = sum(len(body["userIds"]) for body in batch)
            self.messages += len(batch)
            self.users += users
            advance(users)
