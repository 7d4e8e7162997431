"""The sweep's way to the reinvite queue: SendMessageBatch, 10 entries a call, failed entries retried a bounded time.

SendMessageBatch answers 200 even when some entries were not queued: they are listed in `Failed`. An entry with
`SenderFault` (a body SQS refuses) can never succeed; any other failure is retried, and a batch that still has
unsent entries after the last round raises, so the caller never records a page as done whose users were not queued.
The retries are ours alone (the client makes one attempt of at most CALL_BUDGET_S), and no round starts that could
not end before the caller's deadline: a hung SQS costs the sweep its page, never the invocation.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.adapters.aws import describe
from reinviter.core.deadline import Deadline
from reinviter.core.errors import QueueError
from reinviter.core.retry import Attempts, Backoff
from reinviter.telemetry import tracing

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef
else:
    SQSClient = Any
    SendMessageBatchRequestEntryTypeDef = dict

MAX_BATCH_ENTRIES = 10  # SendMessageBatch's limit
SEND_ROUNDS = 4  # first try plus three retries of whatever is still unsent
BACKOFF = Backoff(base_s=0.2, cap_s=2.0)
# SendMessageBatch answers in tens of milliseconds; botocore would wait 60 s to connect and 60 s to read.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
CALL_BUDGET_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
SQS_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"mode": "standard", "total_max_attempts": 1},  # the rounds below are the retries
)


class ReinviteQueue:
    """Sends reinvite request bodies to the function's own queue."""

    def __init__(
        self,
        client: SQSClient,
        queue_url: str,
        *,
        rounds: int = SEND_ROUNDS,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._queue_url = queue_url
        self._rounds = rounds
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def send(self, bodies: Sequence[dict[str, Any]], deadline: Deadline) -> None:
        """Queue every body (as compact JSON), 10 to a call, each call starting only if it can end before `deadline`.

        Raises:
            QueueError: When an entry was refused for good, was still unsent after the last round, or no time was left.
        """
        for start in range(0, len(bodies), MAX_BATCH_ENTRIES):
            self._send_batch(bodies[start : start + MAX_BATCH_ENTRIES], deadline)

    def _send_batch(self, bodies: Sequence[dict[str, Any]], deadline: Deadline) -> None:
        pending = {str(index): json.dumps(body, separators=(",", ":")) for index, body in enumerate(bodies)}
        problem = ""
        rounds = Attempts(
            deadline,
            budget_s=CALL_BUDGET_S,
            max_attempts=self._rounds,
            backoff=BACKOFF,
            sleep=self._sleep,
            rng=self._rng,
        )
        for _ in rounds:
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()
            ]
            try:
                with tracing.span("sqs.SendMessageBatch", messages=len(entries)):
                    answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                problem = describe(error)
                continue
            failed = answer.get("Failed", [])
            refused = [entry for entry in failed if entry.get("SenderFault")]
            if refused:
                codes = sorted({entry.get("Code", "") for entry in refused})
                raise QueueError(f"SendMessageBatch refused {len(refused)} of {len(bodies)} entries: {codes}")
            pending = {entry["Id"]: pending[entry["Id"]] for entry in failed if entry["Id"] in pending}
            if not pending:
                return
            problem = ",".join(sorted({entry.get("Code", "") for entry in failed}))
        if rounds.out_of_time:
            raise QueueError(
                f"SendMessageBatch: no time left before the deadline, {len(pending)} of {len(bodies)} entries"
                f" unsent{f' ({problem})' if problem else ''}"
            )
        raise QueueError(
            f"SendMessageBatch left {len(pending)} of {len(bodies)} entries unsent after {self._rounds} rounds"
            f" ({problem})"
        )


def sqs_client() -> SQSClient:
    """An SQS client; the container builds it once (the standard `AWS_ENDPOINT_URL_SQS` variable can redirect it)."""
    return boto3.client("sqs", config=SQS_CONFIG)
