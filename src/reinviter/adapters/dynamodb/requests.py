"""The one way the DynamoDB adapters (ledger, cursors, name cache) send a request: bounded, retried, translated.

Every request is bounded by the deadline: the client's timeouts are short, SDK retries are off, and a request (or our
retry of it) starts only if its timeouts fit before the deadline. A failure becomes LedgerUnavailable (LedgerDeadline
when no time was left); a transaction refused by its conditions becomes TransactionCancelled with DynamoDB's reasons.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.adapters.aws import error_code
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerDeadline, LedgerUnavailable
from reinviter.core.retry import Attempts, Backoff
from reinviter.telemetry import tracing
from reinviter.telemetry.logger import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

# DynamoDB limits: BatchGetItem takes 100 keys, BatchWriteItem 25, TransactWriteItems 100 actions.
READ_BATCH = 100
WRITE_BATCH = 25
# Each attempt is bounded by the client's timeouts; an attempt starts only if they fit before the deadline.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
CALL_BUDGET_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
MAX_ATTEMPTS = 3
BACKOFF = Backoff(base_s=0.1, cap_s=1.0)  # DynamoDB answers in milliseconds: short waits
UNPROCESSED_ROUNDS = 6  # BatchGetItem rounds for keys DynamoDB left unprocessed (throttling), backing off between
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
DYNAMODB_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"mode": "standard", "total_max_attempts": 1},  # retries are ours: each must fit the deadline
    # Every request is built here from fixed shapes (and DynamoDB validates them again): botocore's client-side
    # check of a 50-update transaction cost half of the ledger's CPU (43 vs 21 ms a claim and settle, measured).
    parameter_validation=False,
)


def number(value: float) -> dict[str, str]:
    """A DynamoDB number attribute (floats rounded to the millisecond)."""
    return {"N": repr(round(value, 3)) if isinstance(value, float) else str(value)}


class TransactionCancelled(Exception):  # noqa: N818 - reads as the event it reports
    """A transaction was refused because of conditions: the reasons, one per action, as DynamoDB gave them."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons


class ConditionFailed(Exception):  # noqa: N818 - reads as the event it reports
    """A single write was refused because of its condition."""


class DynamoRequests:
    """Sends an adapter's requests with the retry rule above, and counts them (the bench and tests read `calls`)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self._table = table
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.calls = 0

    def batch_get(
        self, step: str, pks: list[str], projection: dict[str, Any], deadline: Deadline
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Every item of these keys, 100 a BatchGetItem, and the keys still unprocessed after the last round.

        Keys DynamoDB leaves unprocessed (it throttles) are asked again after a backoff, while the deadline allows.
        """
        items: list[dict[str, Any]] = []
        wanted = pks
        rounds = iter(self._attempts(deadline, UNPROCESSED_ROUNDS))
        while wanted and next(rounds, None) is not None:  # a round (and its backoff) only for keys still wanted
            unprocessed: list[str] = []
            for start in range(0, len(wanted), READ_BATCH):
                keys = [{"pk": {"S": pk}} for pk in wanted[start : start + READ_BATCH]]
                request = {"RequestItems": {self._table: {"Keys": keys, **projection}}}
                answer = self.request(step, self.client.batch_get_item, request, deadline)
                items += answer.get("Responses", {}).get(self._table, [])
                left = answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
                unprocessed += [key["pk"]["S"] for key in left]
            wanted = unprocessed
        return items, wanted

    def request(self, step: str, call: Callable[..., Any], request: dict[str, Any], deadline: Deadline) -> Any:
        """One DynamoDB request of `step`, retried while the deadline allows (the name cache shares this policy).

        Raises:
            LedgerUnavailable: No answer (LedgerDeadline: not in time). A refused condition raises TransactionCancelled
                (a transaction) or ConditionFailed (a single write).
        """
        problem = ""
        attempts = self._attempts(deadline, MAX_ATTEMPTS)
        for attempt in attempts:
            if attempt:
                logger.info("ledger request retried", step=step, attempt=attempt + 1, problem=problem)
            self.calls += 1
            try:
                with tracing.span(f"dynamodb.{step}", attempt=attempt + 1):
                    return call(**request)
            except ClientError as error:
                code = error_code(error) or "ClientError"
                if code == "TransactionCanceledException":
                    reasons = [dict(reason) for reason in error.response.get("CancellationReasons", [])]
                    if any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons):
                        raise TransactionCancelled(reasons) from None
                    problem = ",".join(sorted({str(reason.get("Code")) for reason in reasons}))  # conflicts: retry
                elif code == "ConditionalCheckFailedException":
                    raise ConditionFailed(step) from None
                elif code in RETRYABLE_CODES:
                    problem = code
                else:
                    raise LedgerUnavailable(f"{step}: {code}") from error
            except BotoCoreError as error:  # timeouts and broken connections: the write may have been applied
                problem = type(error).__name__
        if attempts.out_of_time:
            raise LedgerDeadline(
                f"{step}: no time left for a retry ({problem})"
                if problem
                else f"{step}: no time left before the deadline"
            )
        raise LedgerUnavailable(f"{step}: {problem}")

    def _attempts(self, deadline: Deadline, max_attempts: int) -> Attempts:
        return Attempts(
            deadline,
            budget_s=CALL_BUDGET_S,
            max_attempts=max_attempts,
            backoff=BACKOFF,
            sleep=self._sleep,
            rng=self._rng,
        )
