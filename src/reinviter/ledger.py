"""The reinvite ledger: one reinvite per user per cooldown window, at most N in all, crash-safe (see docs/ledger.md).

Each user has one DynamoDB item (`pk = user#<network>#<user>`): `attempts`, `last_reinvited_at` and, while a call is
in flight, a claim: the call's `claim_token` (its X-Client-Token), `claim_members` and `claim_expires_at`. Every
write that touches a call's users is one TransactWriteItems over all of them, so the members of a claim hold its
token all together or not at all: a stale claim is replayed exactly (same members, same token), and Wickr answers a
token it has seen with its first answer, so a crash between the call and the settle never sends twice.

This module only talks to DynamoDB; what a record means for the next request is `decide`, a pure function.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import random
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.deadline import Deadline
from reinviter.models import ReinviteReceipt, UserKey
from reinviter.observability import logger
from reinviter.planning import Chunk
from reinviter.resolution import NameKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from reinviter.secret_key import HashKey
else:
    DynamoDBClient = Any

# Longer than the function's timeout (a live claim is never taken over), shorter than the queue's visibility timeout
# (a redelivered message finds its own stale claim expired and replays it rather than waiting for it).
CLAIM_LEASE_S = 600.0
RECORD_TTL_S = 400 * 86400.0  # forget users not seen for over a year: the attempt cap is about recent history
CURSOR_TTL_S = 7 * 86400.0  # a cursor nobody resumed for a week is stale (Wickr may have forgotten its token)
GIVEN_UP_INDEX = "GivenUpIndex"  # sparse: only users who reached the attempt cap carry `given_up` (their network)

# DynamoDB limits: BatchGetItem takes 100 keys, TransactWriteItems 100 actions (a call has at most 50 users).
READ_BATCH = 100
WRITE_BATCH = 25  # BatchWriteItem's limit
# Each attempt is bounded by the client's timeouts; an attempt starts only if they fit before the deadline.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
CALL_BUDGET_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
MAX_ATTEMPTS = 3
RETRY_BASE_S = 0.05
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
LEDGER_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"mode": "standard", "total_max_attempts": 1},  # retries are ours: each must fit the deadline
    # Every request is built here from fixed shapes (and DynamoDB validates them again): botocore's client-side
    # check of a 50-update transaction cost half of the ledger's CPU (43 vs 21 ms a claim and settle, measured).
    parameter_validation=False,
)


def wall_clock() -> float:
    """Epoch seconds (the ledger compares them across invocations)."""
    return time.time()


def current_time() -> float:
    """`wall_clock`, looked up at call time, so a test can move the clock of a container already built."""
    return wall_clock()


class LedgerUnavailable(Exception):  # noqa: N818 - reads as the state it reports
    """DynamoDB gave no usable answer in time. For a write, whether it was applied is unknown."""


class LedgerDeadline(LedgerUnavailable):
    """No time was left to start (or retry) the request before the deadline."""


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One user's item, as read."""

    attempts: int = 0
    last_reinvited_at: float | None = None
    claim_token: str | None = None
    claim_members: tuple[str, ...] = ()
    claim_expires_at: float = 0.0

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> LedgerRecord:
        """Parse a DynamoDB item (low-level attribute values)."""
        last = item.get("last_reinvited_at", {}).get("N")
        token = item.get("claim_token", {}).get("S")
        return cls(
            attempts=int(item.get("attempts", {}).get("N", "0")),
            last_reinvited_at=float(last) if last is not None else None,
            claim_token=token,
            claim_members=tuple(member["S"] for member in item.get("claim_members", {}).get("L", [])),
            claim_expires_at=float(item.get("claim_expires_at", {}).get("N", "0")),
        )


class Status(enum.Enum):
    """What the ledger allows for a user right now."""

    ELIGIBLE = "eligible"
    COOLDOWN = "in cooldown"
    GIVEN_UP = "given up"
    CLAIMED = "claimed by another invocation"
    STALE_CLAIM = "stale claim"  # its call may or may not have reached Wickr: replay it exactly


@dataclass(frozen=True, slots=True)
class Policy:
    """The ledger's rules (from the settings)."""

    cooldown_s: float
    max_attempts: int
    lease_s: float = CLAIM_LEASE_S


@dataclass(frozen=True, slots=True)
class Decision:
    """`decide`'s answer, with the time it turns (cooldown end, lease end) where there is one."""

    status: Status
    until: float | None = None

    def reason(self, record: LedgerRecord | None) -> str:
        """A log- and report-safe reason."""
        if self.status is Status.GIVEN_UP and record is not None:
            return f"given up after {record.attempts} reinvites"
        return self.status.value


def decide(record: LedgerRecord | None, now: float, policy: Policy) -> Decision:
    """What the next request for this user may do. Shared by the function and the operators' tools."""
    if record is None:
        return Decision(Status.ELIGIBLE)
    if record.claim_token is not None:
        if record.claim_expires_at > now:
            return Decision(Status.CLAIMED, record.claim_expires_at)
        return Decision(Status.STALE_CLAIM)
    if record.attempts >= policy.max_attempts:
        return Decision(Status.GIVEN_UP)
    if record.last_reinvited_at is not None and record.last_reinvited_at + policy.cooldown_s > now:
        return Decision(Status.COOLDOWN, record.last_reinvited_at + policy.cooldown_s)
    return Decision(Status.ELIGIBLE)


class Ledger(Protocol):
    """The ledger as the reinvite core uses it. Every method raises LedgerUnavailable when DynamoDB fails it."""

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        """The records of these users (a user without one is absent)."""

    def claim(
        self, chunk: Chunk, seen: Mapping[UserKey, LedgerRecord | None], deadline: Deadline
    ) -> dict[UserKey, LedgerRecord | None]:
        """Claim every user of the call, or none: those whose record is no longer what was `seen` (empty: claimed)."""

    def take_over(self, chunk: Chunk, deadline: Deadline) -> bool:
        """Extend the lease of a stale claim held by all of `chunk`'s users; False if another invocation was first."""

    def settle(
        self, chunk: Chunk, receipt: ReinviteReceipt, attempts: Mapping[UserKey, int], deadline: Deadline
    ) -> list[UserKey]:
        """Record Wickr's answer (`attempts`: each user's count when claimed); returns who reached the cap."""

    def release(self, chunk: Chunk, deadline: Deadline) -> None:
        """The call certainly never reached Wickr: free its users."""


class NoLedger:
    """No table configured: nothing is recorded, nothing refused."""

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        """No records."""
        return {}

    def claim(
        self, chunk: Chunk, seen: Mapping[UserKey, LedgerRecord | None], deadline: Deadline
    ) -> dict[UserKey, LedgerRecord | None]:
        """Always claimed."""
        return {}

    def take_over(self, chunk: Chunk, deadline: Deadline) -> bool:
        """There are no stale claims without a table."""
        return False

    def settle(
        self, chunk: Chunk, receipt: ReinviteReceipt, attempts: Mapping[UserKey, int], deadline: Deadline
    ) -> list[UserKey]:
        """Nothing to record."""
        return []

    def release(self, chunk: Chunk, deadline: Deadline) -> None:
        """Nothing to release."""


class _Cancelled(Exception):  # noqa: N818 - internal signal
    """A transaction was refused because of conditions: the reasons, one per action, as DynamoDB gave them."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons


_CLAIM = "claim_token, claim_members, claim_expires_at, claim_taker"


class DynamoLedger:
    """The ledger in DynamoDB: bulk reads before the checks, one transaction per call for claim, settle and release.

    Every request is built once and sent again unchanged on a retry (with the same ClientRequestToken, so DynamoDB
    answers a repeated transaction once), and every condition accepts this call's own earlier write: a write that
    was applied but whose answer was lost is recognised as ours, never taken for another invocation's.
    """

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        policy: Policy,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._table = table
        self._policy = policy
        self._clock = clock if clock is not None else current_time
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.calls = 0  # requests sent (bench and tests read it)

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        """Consistent reads, 100 keys a BatchGetItem; keys DynamoDB leaves unprocessed are asked again."""
        by_pk = {_pk(key): key for key in keys}
        projection = {"ConsistentRead": True, "ProjectionExpression": f"pk, attempts, last_reinvited_at, {_CLAIM}"}
        items, left = self.batch_get("read", list(by_pk), projection, deadline)
        if left:
            raise LedgerUnavailable(f"read: {len(left)} keys still unprocessed")
        return {by_pk[item["pk"]["S"]]: LedgerRecord.from_item(item) for item in items}

    def batch_get(
        self, step: str, pks: list[str], projection: dict[str, Any], deadline: Deadline
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Every item of these keys, 100 a BatchGetItem, and the keys still unprocessed after the last round.

        Keys DynamoDB leaves unprocessed (it throttles) are asked again after a backoff, while the deadline allows.
        """
        items: list[dict[str, Any]] = []
        wanted = pks
        for round_number in range(UNPROCESSED_ROUNDS):
            if not wanted:
                break
            if round_number:
                delay = self._rng.uniform(0.0, RETRY_BASE_S * 2**round_number)
                if not deadline.allows(delay + CALL_BUDGET_S):
                    break
                self._sleep(delay)
            unprocessed: list[str] = []
            for start in range(0, len(wanted), READ_BATCH):
                keys = [{"pk": {"S": pk}} for pk in wanted[start : start + READ_BATCH]]
                request = {"RequestItems": {self._table: {"Keys": keys, **projection}}}
                answer = self.request(step, self._client.batch_get_item, request, deadline)
                items += answer.get("Responses", {}).get(self._table, [])
                left = answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
                unprocessed += [key["pk"]["S"] for key in left]
            wanted = unprocessed
        return items, wanted

    def claim(
        self, chunk: Chunk, seen: Mapping[UserKey, LedgerRecord | None], deadline: Deadline
    ) -> dict[UserKey, LedgerRecord | None]:
        """One transaction: every user unclaimed (or claimed by this very call), out of cooldown, attempts as seen."""
        now = self._clock()
        actions = []
        for key in chunk.users():
            record = seen.get(key)
            attempts = record.attempts if record is not None else 0
            values: dict[str, Any] = {
                ":token": {"S": chunk.token},
                ":members": {"L": [{"S": user_id} for user_id in chunk.user_ids]},
                ":expires": _n(now + self._policy.lease_s),
                ":cooldown_start": _n(now - self._policy.cooldown_s),
                ":network": {"S": key.network_id},
                ":user": {"S": key.user_id},
                ":ttl": _n(now + RECORD_TTL_S),
            }
            same_attempts = "attribute_not_exists(attempts)"
            if attempts:
                same_attempts, values[":attempts"] = "attempts = :attempts", _n(attempts)
            actions.append(
                self._update(
                    key,
                    "SET claim_token = :token, claim_members = :members, claim_expires_at = :expires,"
                    " network_id = :network, user_id = :user, #ttl = :ttl",
                    "(attribute_not_exists(claim_token) OR claim_token = :token)"
                    f" AND {same_attempts}"
                    " AND (attribute_not_exists(last_reinvited_at) OR last_reinvited_at <= :cooldown_start)",
                    values,
                    names={"#ttl": "ttl"},
                )
            )
        try:
            self._transact("claim", chunk, actions, deadline)
        except _Cancelled as cancelled:
            return {
                key: LedgerRecord.from_item(reason["Item"]) if reason.get("Item") else None
                for key, reason in zip(chunk.users(), cancelled.reasons, strict=True)
                if reason.get("Code") == "ConditionalCheckFailed"
            }
        return {}

    def take_over(self, chunk: Chunk, deadline: Deadline) -> bool:
        """Extend a stale claim's lease on all its members at once; its own earlier extension counts as taken.

        The taker marks the claim with a fresh id, so a retry of this very request (its answer lost) is recognised
        by that mark, never by a lease time another taker could have written too.
        """
        now = self._clock()
        values = {
            ":token": {"S": chunk.token},
            ":now": _n(now),
            ":expires": _n(now + self._policy.lease_s),
            ":taker": {"S": uuid.uuid4().hex},
        }
        actions = [
            self._update(
                key,
                "SET claim_expires_at = :expires, claim_taker = :taker",
                "claim_token = :token AND (claim_expires_at <= :now OR claim_taker = :taker)",
                values,
            )
            for key in chunk.users()
        ]
        try:
            self._transact("take over", chunk, actions, deadline)
        except _Cancelled:
            return False
        return True

    def settle(
        self, chunk: Chunk, receipt: ReinviteReceipt, attempts: Mapping[UserKey, int], deadline: Deadline
    ) -> list[UserKey]:
        """One transaction: successful users count an attempt and start their cooldown, the others lose the claim."""
        now = self._clock()
        actions = []
        counts: dict[UserKey, int] = {}
        given_up: list[UserKey] = []
        for key in chunk.users():
            values: dict[str, Any] = {":token": {"S": chunk.token}}
            if key.user_id not in receipt.successful:
                actions.append(self._update(key, f"REMOVE {_CLAIM}", "claim_token = :token", values))
                continue
            counts[key] = attempts.get(key, 0) + 1
            update = "SET attempts = :attempts, last_reinvited_at = :now, #ttl = :ttl"
            values |= {":attempts": _n(counts[key]), ":now": _n(now), ":ttl": _n(now + RECORD_TTL_S)}
            remove = _CLAIM
            if counts[key] >= self._policy.max_attempts:
                update += ", given_up = :network"
                values[":network"] = {"S": key.network_id}
                given_up.append(key)
            else:  # below a cap that was raised since it was reached: no longer given up (tools read the index)
                remove += ", given_up"
            actions.append(
                self._update(key, f"{update} REMOVE {remove}", "claim_token = :token", values, {"#ttl": "ttl"})
            )
        try:
            self._transact("settle", chunk, actions, deadline)
        except _Cancelled as cancelled:
            # No member holds this call's token any more. Ours if our earlier attempt was applied (its answer lost):
            # then the items show the counts it wrote. Otherwise a replay settled the call: not ours to count.
            applied = {
                key
                for key, reason in zip(chunk.users(), cancelled.reasons, strict=True)
                if _shows_settled(reason.get("Item"), counts.get(key))
            }
            return [key for key in given_up if key in applied]
        return given_up

    def release(self, chunk: Chunk, deadline: Deadline) -> None:
        """Free the users of a call that certainly never reached Wickr, where the claim is still this call's."""
        values = {":token": {"S": chunk.token}}
        actions = [self._update(key, f"REMOVE {_CLAIM}", "claim_token = :token", values) for key in chunk.users()]
        try:
            self._transact("release", chunk, actions, deadline)
        except _Cancelled:
            return  # already free (our earlier attempt was applied, its answer lost)

    # -- requests -----------------------------------------------------------------------------------------------
    def _update(
        self,
        key: UserKey,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        action: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"pk": {"S": _pk(key)}},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:  # DynamoDB refuses an empty names map
            action["ExpressionAttributeNames"] = names
        return {"Update": action}

    def _transact(self, step: str, chunk: Chunk, actions: list[dict[str, Any]], deadline: Deadline) -> None:
        # DynamoDB answers a repeated token once for 10 minutes; the step keeps one call's writes apart (36 chars).
        # A take-over has no token of its own: a second taker of the same claim must not get the first one's answer.
        request: dict[str, Any] = {"TransactItems": actions}
        if step != "take over":
            request["ClientRequestToken"] = f"{step[0]}-{chunk.token[:34]}"
        self._send(step, self._client.transact_write_items, request, deadline)

    def _send(self, step: str, call: Callable[..., Any], request: dict[str, Any], deadline: Deadline) -> Any:
        return self.request(step, call, request, deadline)

    def request(self, step: str, call: Callable[..., Any], request: dict[str, Any], deadline: Deadline) -> Any:
        """One DynamoDB request of `step`, retried while the deadline allows (the name cache shares this policy).

        Raises:
            LedgerUnavailable: No answer (LedgerDeadline: not in time); a cancelled transaction raises `_Cancelled`.
        """
        problem = ""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                logger.info("ledger request retried", step=step, attempt=attempt + 1, problem=problem)
                delay = self._rng.uniform(0.0, RETRY_BASE_S * 2**attempt)
                if not deadline.allows(delay + CALL_BUDGET_S):
                    raise LedgerDeadline(f"{step}: no time left for a retry ({problem})")
                self._sleep(delay)
            elif not deadline.allows(CALL_BUDGET_S):
                raise LedgerDeadline(f"{step}: no time left before the deadline")
            self.calls += 1
            try:
                return call(**request)
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                if code == "TransactionCanceledException":
                    reasons = [dict(reason) for reason in error.response.get("CancellationReasons", [])]
                    if any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons):
                        raise _Cancelled(reasons) from None
                    problem = ",".join(sorted({str(reason.get("Code")) for reason in reasons}))  # conflicts: retry
                elif code in RETRYABLE_CODES:
                    problem = code
                else:
                    raise LedgerUnavailable(f"{step}: {code or 'ClientError'}") from error
            except BotoCoreError as error:  # timeouts and broken connections: the write may have been applied
                problem = type(error).__name__
        raise LedgerUnavailable(f"{step}: {problem}")


def _shows_settled(item: Mapping[str, Any] | None, count: int | None) -> bool:
    if item is None or "claim_token" in item:
        return False
    return count is None or item.get("attempts", {}).get("N") == str(count)


def _pk(key: UserKey) -> str:
    return f"user#{key.network_id}#{key.user_id}"


def _n(value: float) -> dict[str, str]:
    return {"N": repr(round(value, 3)) if isinstance(value, float) else str(value)}


class DynamoCursors:
    """The sweep's resume points: one item per network (`pk = sweep#<network>`) holding ListUsers' next token."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def load(self, network_id: str) -> str | None:
        """The stored next token of an unfinished sweep of the network, if any."""
        answer = self._client.get_item(TableName=self._table, Key=_cursor_key(network_id), ConsistentRead=True)
        token = answer.get("Item", {}).get("next_token", {}).get("S")
        return str(token) if token else None

    def save(self, network_id: str, token: str) -> None:
        """Remember where the next run continues (after the page before it was fully queued)."""
        now = wall_clock()
        self._client.put_item(
            TableName=self._table,
            Item={
                **_cursor_key(network_id),
                "next_token": {"S": token},
                "saved_at": _n(now),
                "ttl": _n(now + CURSOR_TTL_S),
            },
        )

    def delete(self, network_id: str) -> None:
        """The network was swept to its last page: the next run starts from the beginning."""
        self._client.delete_item(TableName=self._table, Key=_cursor_key(network_id))


def _cursor_key(network_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"sweep#{network_id}"}}


class DynamoNameCache:
    """Username resolutions, `pk = name#<network>#<key version>#<HMAC-SHA256 of network and username>`, never the name.

    The HMAC key is a secret of the deployment (Secrets Manager): without it the table's keys cannot be matched
    against a list of email addresses. The network is part of what is hashed, so one email in two networks gives two
    unrelated digests; the key's version is part of the item's key, so a replaced key makes the old entries miss.
    Entries expire with DynamoDB's TTL.
    """

    def __init__(self, ledger: DynamoLedger, table: str, key: Callable[[Deadline], HashKey], ttl_s: float) -> None:
        self._ledger = ledger
        self._client = ledger._client
        self._table = table
        self._key = key
        self._ttl_s = ttl_s

    def read(self, keys: Sequence[NameKey], deadline: Deadline) -> dict[NameKey, str]:
        """Remembered ids, 100 keys a BatchGetItem (eventually consistent: an entry changes only when Wickr did).

        Keys still unprocessed after the last round are misses: they cost a lookup, nothing else.
        """
        by_pk = {self._pk(key, deadline): key for key in keys}
        projection = {"ProjectionExpression": "pk, user_id, #ttl", "ExpressionAttributeNames": {"#ttl": "ttl"}}
        items, _ = self._ledger.batch_get("name read", list(by_pk), projection, deadline)
        now = wall_clock()
        # DynamoDB deletes expired items within days, not at once: an expired entry is a miss.
        return {
            by_pk[item["pk"]["S"]]: str(item["user_id"]["S"])
            for item in items
            if float(item.get("ttl", {}).get("N", "inf")) > now
        }

    def remember(self, resolved: dict[NameKey, str], deadline: Deadline) -> None:
        """Put the entries, 25 a BatchWriteItem (a put is idempotent: a repeat after a lost answer changes nothing)."""
        now = wall_clock()
        puts = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": self._pk(key, deadline)},
                        "network_id": {"S": key.network_id},
                        "user_id": {"S": user_id},
                        "resolved_at": _n(now),
                        "ttl": _n(now + self._ttl_s),
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
                answer = self._ledger.request(step, self._client.batch_write_item, request, deadline)
                pending = answer.get("UnprocessedItems", {}).get(self._table, [])
            if pending:
                raise LedgerUnavailable(f"{step}: {len(pending)} items still unprocessed")

    def _pk(self, key: NameKey, deadline: Deadline) -> str:
        hash_key = self._key(deadline)
        message = f"{key.network_id}\n{key.username}".encode()
        digest = hmac.new(hash_key.secret, message, hashlib.sha256).hexdigest()
        return f"name#{key.network_id}#{hash_key.version}#{digest}"


def user_keys(items: Iterable[UserKey]) -> list[dict[str, Any]]:
    """Ledger keys for a set of users (for tools and tests that read the table)."""
    return [{"pk": {"S": _pk(item)}} for item in items]
