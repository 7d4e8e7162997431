"""The reinvite ledger in DynamoDB: one reinvite per user per cooldown window, at most N in all, crash-safe.

Each user has one item (`layout.user_pk`): `attempts`, `last_reinvited_at` and, while a call is
in flight, a claim: the call's `claim_token` (its X-Client-Token), `claim_members` and `claim_expires_at`. Every
write that touches a call's users is one TransactWriteItems over all of them, so the members of a claim hold its
token all together or not at all: a stale claim is replayed exactly (same members, same token), and Wickr answers a
token it has seen with its first answer, so a crash between the call and the settle never sends twice.

Each condition is built from named clauses (`UNCLAIMED_OR_OURS`, `ATTEMPTS_AS_READ`, `OUT_OF_COOLDOWN`). What a
record means for the next request is `policy.decide`; see docs/ledger.md.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from reinviter.adapters.dynamodb.layout import record_from_item, user_pk
from reinviter.adapters.dynamodb.requests import ConditionFailed, DynamoRequests, TransactionCancelled, number
from reinviter.core.clock import current_time
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable
from reinviter.core.model import ReinviteReceipt, UserKey
from reinviter.core.planning import ReinviteCall
from reinviter.core.policy import LedgerRecord, Policy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

RECORD_TTL_S = 400 * 86400.0  # forget users not seen for over a year: the attempt cap is about recent history

_CLAIM = "claim_token, claim_members, claim_expires_at, claim_taker"
_RECORD = "attempts, last_reinvited_at, first_reinvited_at, joined_at"
# A claim's condition, clause by clause: no other call holds the user (a retry of this very claim is ours); its
# attempts are what the claim read (so the settle writes the next count); its cooldown is over.
UNCLAIMED_OR_OURS = "(attribute_not_exists(claim_token) OR claim_token = :token)"
NEVER_ATTEMPTED = "attribute_not_exists(attempts)"
ATTEMPTS_AS_READ = "attempts = :attempts"
OUT_OF_COOLDOWN = "(attribute_not_exists(last_reinvited_at) OR last_reinvited_at <= :cooldown_start)"
NOT_JOINED = "attribute_not_exists(joined_at)"


class DynamoLedger:
    """The ledger in DynamoDB: bulk reads before the checks, one transaction per call for claim, settle and release.

    Every request is built once and sent again unchanged on a retry (with the same ClientRequestToken, so DynamoDB
    answers a repeated transaction once), and every condition accepts this call's own earlier write: a write that
    was applied but whose answer was lost is recognised as ours, never taken for another invocation's.
    """

    durable = True

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
        self._dynamo = DynamoRequests(client, table, sleep=sleep, rng=rng)
        self._client = client
        self._table = table
        self._policy = policy
        self._clock = clock if clock is not None else current_time

    @property
    def calls(self) -> int:
        """Requests sent (the bench and tests read it)."""
        return self._dynamo.calls

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        """Consistent reads, 100 keys a BatchGetItem; keys DynamoDB leaves unprocessed are asked again."""
        by_pk = {user_pk(key): key for key in keys}
        projection = {"ConsistentRead": True, "ProjectionExpression": f"pk, {_RECORD}, {_CLAIM}"}
        items, left = self._dynamo.batch_get("read", list(by_pk), projection, deadline)
        if left:
            raise LedgerUnavailable(f"read: {len(left)} keys still unprocessed")
        return {by_pk[item["pk"]["S"]]: record_from_item(item) for item in items}

    def claim(
        self, call: ReinviteCall, seen: Mapping[UserKey, LedgerRecord | None], deadline: Deadline
    ) -> dict[UserKey, LedgerRecord | None]:
        """One transaction: every user unclaimed (or claimed by this very call), out of cooldown, attempts as seen."""
        now = self._clock()
        actions = []
        for key in call.users():
            record = seen.get(key)
            attempts = record.attempts if record is not None else 0
            values: dict[str, Any] = {
                ":token": {"S": call.token},
                ":members": {"L": [{"S": user_id} for user_id in call.user_ids]},
                ":expires": number(now + self._policy.lease_s),
                ":cooldown_start": number(now - self._policy.wait_after(attempts)),
                ":network": {"S": key.network_id},
                ":user": {"S": key.user_id},
                ":ttl": number(now + RECORD_TTL_S),
            }
            same_attempts = NEVER_ATTEMPTED
            if attempts:
                same_attempts, values[":attempts"] = ATTEMPTS_AS_READ, number(attempts)
            actions.append(
                self._update(
                    key,
                    "SET claim_token = :token, claim_members = :members, claim_expires_at = :expires,"
                    " network_id = :network, user_id = :user, #ttl = :ttl",
                    f"{UNCLAIMED_OR_OURS} AND {same_attempts} AND {OUT_OF_COOLDOWN} AND {NOT_JOINED}",
                    values,
                    names={"#ttl": "ttl"},
                )
            )
        try:
            self._transact("claim", call, actions, deadline)
        except TransactionCancelled as cancelled:
            return {
                key: record_from_item(reason["Item"]) if reason.get("Item") else None
                for key, reason in zip(call.users(), cancelled.reasons, strict=True)
                if reason.get("Code") == "ConditionalCheckFailed"
            }
        return {}

    def take_over(self, call: ReinviteCall, deadline: Deadline) -> bool:
        """Extend a stale claim's lease on all its members at once; its own earlier extension counts as taken.

        The taker marks the claim with a fresh id, so a retry of this very request (its answer lost) is recognised
        by that mark, never by a lease time another taker could have written too.
        """
        now = self._clock()
        values = {
            ":token": {"S": call.token},
            ":now": number(now),
            ":expires": number(now + self._policy.lease_s),
            ":taker": {"S": uuid.uuid4().hex},
        }
        actions = [
            self._update(
                key,
                "SET claim_expires_at = :expires, claim_taker = :taker",
                "claim_token = :token AND (claim_expires_at <= :now OR claim_taker = :taker)",
                values,
            )
            for key in call.users()
        ]
        try:
            self._transact("take over", call, actions, deadline)
        except TransactionCancelled:
            return False
        return True

    def settle(
        self, call: ReinviteCall, receipt: ReinviteReceipt, attempts: Mapping[UserKey, int], deadline: Deadline
    ) -> list[UserKey]:
        """One transaction: successful users count an attempt and start their cooldown, the others lose the claim."""
        now = self._clock()
        actions = []
        counts: dict[UserKey, int] = {}
        given_up: list[UserKey] = []
        for key in call.users():
            values: dict[str, Any] = {":token": {"S": call.token}}
            if key.user_id not in receipt.successful:
                actions.append(self._update(key, f"REMOVE {_CLAIM}", "claim_token = :token", values))
                continue
            counts[key] = attempts.get(key, 0) + 1
            update = (
                "SET attempts = :attempts, last_reinvited_at = :now,"
                " first_reinvited_at = if_not_exists(first_reinvited_at, :now), #ttl = :ttl"
            )
            values |= {":attempts": number(counts[key]), ":now": number(now), ":ttl": number(now + RECORD_TTL_S)}
            remove = _CLAIM
            update += ", awaiting = :network"  # until an outcome: the sweep's join check finds the user by it
            values[":network"] = {"S": key.network_id}
            if counts[key] >= self._policy.max_attempts:
                update += ", given_up = :network"
                given_up.append(key)
            else:  # below a cap that was raised since it was reached: no longer given up (tools read the index)
                remove += ", given_up"
            actions.append(
                self._update(key, f"{update} REMOVE {remove}", "claim_token = :token", values, {"#ttl": "ttl"})
            )
        try:
            self._transact("settle", call, actions, deadline)
        except TransactionCancelled as cancelled:
            # No member holds this call's token any more. Ours if our earlier attempt was applied (its answer lost):
            # then the items show the counts it wrote. Otherwise a replay settled the call: not ours to count.
            applied = {
                key
                for key, reason in zip(call.users(), cancelled.reasons, strict=True)
                if _shows_settled(reason.get("Item"), counts.get(key))
            }
            return [key for key in given_up if key in applied]
        return given_up

    def release(self, call: ReinviteCall, deadline: Deadline) -> None:
        """Free the users of a call that certainly never reached Wickr, where the claim is still this call's."""
        values = {":token": {"S": call.token}}
        actions = [self._update(key, f"REMOVE {_CLAIM}", "claim_token = :token", values) for key in call.users()]
        try:
            self._transact("release", call, actions, deadline)
        except TransactionCancelled:
            return  # already free (our earlier attempt was applied, its answer lost)

    def record_join(self, key: UserKey, seen: LedgerRecord, deadline: Deadline) -> bool:
        """Mark a reinvited user joined; False if the record is no longer what was `seen` (another run saw it first)."""
        request = _join(self._table, key, seen, self._clock())
        try:
            self._dynamo.request("join", self._client.update_item, request, deadline)
        except ConditionFailed:
            return False
        return True

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
            "Key": {"pk": {"S": user_pk(key)}},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:  # DynamoDB refuses an empty names map
            action["ExpressionAttributeNames"] = names
        return {"Update": action}

    def _transact(self, step: str, call: ReinviteCall, actions: list[dict[str, Any]], deadline: Deadline) -> None:
        # DynamoDB answers a repeated token once for 10 minutes; the step keeps one call's writes apart (36 chars).
        # A take-over has no token of its own: a second taker of the same claim must not get the first one's answer.
        request: dict[str, Any] = {"TransactItems": actions}
        if step != "take over":
            request["ClientRequestToken"] = f"{step[0]}-{call.token[:34]}"
        self._dynamo.request(step, self._client.transact_write_items, request, deadline)


def _join(table: str, key: UserKey, seen: LedgerRecord, now: float) -> dict[str, Any]:
    """A join's write: counted once, by whoever writes it.

    Its condition is attempts as read, unclaimed, not joined; the mark recognises this request's own earlier write
    (its answer lost) on a retry. The user leaves the given-up and awaiting indexes, and the record's TTL is renewed.
    """
    values = {
        ":attempts": number(seen.attempts),
        ":now": number(now),
        ":ttl": number(now + RECORD_TTL_S),
        ":mark": {"S": uuid.uuid4().hex},
    }
    return {
        "TableName": table,
        "Key": {"pk": {"S": user_pk(key)}},
        "UpdateExpression": "SET joined_at = :now, join_mark = :mark, #ttl = :ttl REMOVE given_up, awaiting",
        "ConditionExpression": (
            f"{ATTEMPTS_AS_READ} AND attribute_not_exists(claim_token) AND ({NOT_JOINED} OR join_mark = :mark)"
        ),
        "ExpressionAttributeNames": {"#ttl": "ttl"},
        "ExpressionAttributeValues": values,
    }


def _shows_settled(item: Mapping[str, Any] | None, count: int | None) -> bool:
    if item is None or "claim_token" in item:
        return False
    return count is None or item.get("attempts", {}).get("N") == str(count)
