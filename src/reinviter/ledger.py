"""The reinvite ledger: one reinvite per user per cooldown window, at most N in all, crash-safe (see docs/ledger.md).

Each user has one DynamoDB item (`pk = user#<network>#<user>`): `attempts`, `last_reinvited_at` and, while a call is
in flight, a claim: the chunk's `claim_token` (the X-Client-Token), its `claim_members` and `claim_expires_at`.
Claim before calling (a conditional write, so two invocations cannot both claim a user), settle after. A claim that
outlives its lease is replayed exactly (same members, same token): Wickr answers a token it has seen with its first
answer, so a crash between the call and the settle never sends twice, and no user is blocked by a stale claim.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from botocore.exceptions import BotoCoreError, ClientError

from reinviter.deadline import Deadline
from reinviter.models import ReinviteReceipt, UserKey
from reinviter.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

# Longer than the function's timeout (a live claim is never taken over), shorter than the queue's visibility timeout
# (a redelivered message finds its own stale claim expired and replays it rather than skipping the user).
CLAIM_LEASE_S = 600.0
RECORD_TTL_S = 400 * 86400.0  # forget users not seen for over a year: the attempt cap is about recent history
CURSOR_TTL_S = 7 * 86400.0  # a cursor nobody resumed for a week is stale (Wickr may have forgotten its token)


def wall_clock() -> float:
    """Epoch seconds (the ledger compares them across invocations); looked up at call time so tests can move it."""
    return time.time()


@dataclass(frozen=True, slots=True)
class Claim:
    """One planned BatchReinviteUser call: its users and its idempotency token."""

    network_id: str
    user_ids: tuple[str, ...]
    token: str

    def users(self) -> list[UserKey]:
        """The users of this call."""
        return [UserKey(self.network_id, user_id) for user_id in self.user_ids]


@dataclass(slots=True)
class Admission:
    """What the ledger allows of a plan."""

    ready: list[Claim] = field(default_factory=list)  # fully claimed: call them
    replays: list[Claim] = field(default_factory=list)  # stale claims taken over: call them exactly as stored
    retry: list[UserKey] = field(default_factory=list)  # claimed, but a neighbour was refused: plan them again
    skipped: dict[UserKey, str] = field(default_factory=dict)
    given_up: list[UserKey] = field(default_factory=list)
    failed: dict[UserKey, str] = field(default_factory=dict)


class Ledger(Protocol):
    """Claim before calling, settle after."""

    def admit(self, plan: list[Claim], deadline: Deadline) -> Admission:
        """Claim every user of every planned call."""

    def settle(self, claim: Claim, receipt: ReinviteReceipt) -> None:
        """Record the answer: successful users count an attempt, failed ones are free again."""

    def release(self, claim: Claim) -> None:
        """The call was certainly not sent: free its users."""


class NoLedger:
    """No table configured (or a dry run): everything planned may go, nothing is recorded."""

    def admit(self, plan: list[Claim], deadline: Deadline) -> Admission:
        """Admit the whole plan."""
        return Admission(ready=list(plan))

    def settle(self, claim: Claim, receipt: ReinviteReceipt) -> None:
        """Nothing to record."""

    def release(self, claim: Claim) -> None:
        """Nothing to release."""


@dataclass(frozen=True, slots=True)
class _Refusal:
    reason: str
    given_up: bool = False
    replay: Claim | None = None


class DynamoLedger:
    """The ledger in DynamoDB: conditional single-item writes, run in parallel on the container's pool."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        pool: ThreadPoolExecutor,
        *,
        cooldown_s: float,
        max_attempts: int,
        lease_s: float = CLAIM_LEASE_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._client = client
        self._table = table
        self._pool = pool
        self._cooldown_s = cooldown_s
        self._max_attempts = max_attempts
        self._lease_s = lease_s
        self._clock = clock if clock is not None else wall_clock

    def admit(self, plan: list[Claim], deadline: Deadline) -> Admission:
        """Claim each user of each call; a call with a refused user is released and its other users planned again."""
        admission = Admission()
        jobs = [(claim, key) for claim in plan for key in claim.users()]
        results = list(self._pool.map(lambda job: self._claim(*job), jobs))
        refusals: dict[UserKey, _Refusal] = {
            key: result for (_, key), result in zip(jobs, results, strict=True) if result
        }
        replays: dict[str, Claim] = {}
        for claim in plan:
            refused = [key for key in claim.users() if key in refusals]
            if not refused:
                admission.ready.append(claim)
                continue
            held = [key for key in claim.users() if key not in refusals]
            if held:
                self.release(Claim(claim.network_id, tuple(key.user_id for key in held), claim.token))
                admission.retry.extend(held)
            for key in refused:
                refusal = refusals[key]
                if refusal.replay is not None:
                    replays.setdefault(refusal.replay.token, refusal.replay)
                elif refusal.given_up:
                    admission.given_up.append(key)
                    admission.skipped[key] = refusal.reason
                elif refusal.reason.startswith("ledger"):
                    admission.failed[key] = refusal.reason
                else:
                    admission.skipped[key] = refusal.reason
        admission.replays = list(replays.values())
        return admission

    def settle(self, claim: Claim, receipt: ReinviteReceipt) -> None:
        """Count an attempt for every successful user; free the failed ones (they were not sent)."""
        now = self._clock()

        def record(user_id: str) -> None:
            key = UserKey(claim.network_id, user_id)
            if user_id in receipt.successful:
                update = (
                    "SET attempts = if_not_exists(attempts, :zero) + :one, last_reinvited_at = :now, #ttl = :ttl "
                    "REMOVE claim_token, claim_members, claim_expires_at"
                )
                values = {":zero": _n(0), ":one": _n(1), ":now": _n(now), ":ttl": _n(now + RECORD_TTL_S)}
            else:
                update, values = "REMOVE claim_token, claim_members, claim_expires_at", {}
            self._guarded(key, update, values, claim.token, "settle")

        list(self._pool.map(record, claim.user_ids))

    def release(self, claim: Claim) -> None:
        """Free the users of a call that was certainly not sent (only where the claim is still this call's)."""

        def free(user_id: str) -> None:
            key = UserKey(claim.network_id, user_id)
            self._guarded(key, "REMOVE claim_token, claim_members, claim_expires_at", {}, claim.token, "release")

        list(self._pool.map(free, claim.user_ids))

    # -- single-item writes -------------------------------------------------------------------------------------
    def _claim(self, claim: Claim, key: UserKey) -> _Refusal | None:
        now = self._clock()
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(key),
                UpdateExpression="SET claim_token = :token, claim_members = :members, claim_expires_at = :expires",
                ConditionExpression=(
                    "attribute_not_exists(claim_token)"
                    " AND (attribute_not_exists(last_reinvited_at) OR last_reinvited_at <= :cooldown_start)"
                    " AND (attribute_not_exists(attempts) OR attempts < :max)"
                ),
                ExpressionAttributeValues={
                    ":token": {"S": claim.token},
                    ":members": {"L": [{"S": user_id} for user_id in claim.user_ids]},
                    ":expires": _n(now + self._lease_s),
                    ":cooldown_start": _n(now - self._cooldown_s),
                    ":max": _n(self._max_attempts),
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                return self._unavailable(key, "claim", error)
            return self._why_refused(key, cast(dict[str, Any], error.response.get("Item", {})), now)
        except BotoCoreError as error:
            return self._unavailable(key, "claim", error)
        return None

    def _why_refused(self, key: UserKey, item: dict[str, Any], now: float) -> _Refusal:
        attempts = int(item.get("attempts", {}).get("N", "0"))
        if attempts >= self._max_attempts:
            return _Refusal(f"given up after {attempts} reinvites", given_up=True)
        if "claim_token" in item:
            if float(item.get("claim_expires_at", {}).get("N", "0")) > now:
                return _Refusal("claimed by another invocation")
            return self._take_over(key, item, now)
        logger.info("reinvite skipped: in cooldown", network_id=key.network_id, user_id=key.user_id)
        return _Refusal("in cooldown")

    def _take_over(self, key: UserKey, item: dict[str, Any], now: float) -> _Refusal:
        """A stale claim: its call may or may not have reached Wickr. Replaying it exactly is safe either way."""
        token = item["claim_token"]["S"]
        members = tuple(member["S"] for member in item.get("claim_members", {}).get("L", []))
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(key),
                UpdateExpression="SET claim_expires_at = :expires",
                ConditionExpression="claim_token = :token AND claim_expires_at < :now",
                ExpressionAttributeValues={
                    ":token": {"S": token},
                    ":now": _n(now),
                    ":expires": _n(now + self._lease_s),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return _Refusal("claimed by another invocation")
            return self._unavailable(key, "take over", error)
        except BotoCoreError as error:
            return self._unavailable(key, "take over", error)
        logger.info("replaying a stale claim", network_id=key.network_id, user_id=key.user_id, members=len(members))
        return _Refusal("replayed", replay=Claim(key.network_id, members or (key.user_id,), token))

    def _guarded(self, key: UserKey, update: str, values: dict[str, Any], token: str, step: str) -> None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": _key(key),
            "UpdateExpression": update,
            "ConditionExpression": "claim_token = :token",
            "ExpressionAttributeValues": {**values, ":token": {"S": token}},
        }
        if "#ttl" in update:
            # Only when used: DynamoDB refuses an empty ExpressionAttributeNames map and an unused name alike.
            request["ExpressionAttributeNames"] = {"#ttl": "ttl"}
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return  # the claim is no longer this call's (taken over and settled by a replay): nothing to do
            # Left as it is, the claim expires and its replay settles it: logged, not raised.
            self._unavailable(key, step, error)
        except BotoCoreError as error:
            self._unavailable(key, step, error)

    @staticmethod
    def _unavailable(key: UserKey, step: str, error: Exception) -> _Refusal:
        logger.warning(
            "ledger write failed", step=step, network_id=key.network_id, user_id=key.user_id, error=str(error)
        )
        return _Refusal(f"ledger unavailable ({step})")


def _key(key: UserKey) -> dict[str, Any]:
    return {"pk": {"S": f"user#{key.network_id}#{key.user_id}"}}


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


def user_keys(items: Iterable[UserKey]) -> list[dict[str, Any]]:
    """Ledger keys for a set of users (for tools and tests that read the table)."""
    return [_key(item) for item in items]
