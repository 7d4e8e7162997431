"""The ledger table's layout, said once: its keys and index, each kind of item's key, and a user item's parsing.

One table holds three kinds of item, told apart by the prefix of `pk`:
- `user#<network>#<user>`: a user's reinvite record (`attempts`, `first_reinvited_at`, `last_reinvited_at`, a claim
  while a call is in flight; `given_up` = the network once the attempt cap is reached, the sparse GivenUpIndex's
  key; `awaiting` = the network while a reinvited user has no outcome yet, the sparse AwaitingIndex's key;
  `joined_at` once a check saw the reinvited user active, `outcome` once one saw them deleted or suspended);
- `sweep#<network>`: where an unfinished sweep of the network continues (`next_token`); `sweep#<network>/awaiting`:
  where its unfinished check of users awaiting an outcome continues (`next_token`: the last `pk` it read);
- `name#<network>#<key version>#<HMAC>`: a username resolution (`user_id`), never the name.

The adapters, the operators' tools (reinviter_cli) and the tests' table (devkit) all import it from here, and
tests/infrastructure/test_template.py checks LEDGER_KEYS against template.yaml.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reinviter.core.model import UserKey
from reinviter.core.policy import LedgerRecord

GIVEN_UP_INDEX = "GivenUpIndex"  # sparse: only users who reached the attempt cap carry `given_up` (their network)
# Sparse: only reinvited users with no outcome yet carry `awaiting` (their network): the sweep's join check reads it.
AWAITING_INDEX = "AwaitingIndex"
LEDGER_KEYS: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "given_up", "AttributeType": "S"},
        {"AttributeName": "awaiting", "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": GIVEN_UP_INDEX,
            "KeySchema": [
                {"AttributeName": "given_up", "KeyType": "HASH"},
                {"AttributeName": "pk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        },
        {
            "IndexName": AWAITING_INDEX,
            "KeySchema": [
                {"AttributeName": "awaiting", "KeyType": "HASH"},
                {"AttributeName": "pk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},  # the few it checks are read from the table, consistently
        },
    ],
}


def user_pk_prefix(network_id: str) -> str:
    """What every user key of a network starts with."""
    return f"user#{network_id}#"


def user_pk(key: UserKey) -> str:
    """A user's partition key."""
    return f"{user_pk_prefix(key.network_id)}{key.user_id}"


def user_keys(items: Iterable[UserKey]) -> list[dict[str, Any]]:
    """The item keys of a set of users."""
    return [{"pk": {"S": user_pk(item)}} for item in items]


def user_id_of(pk: str, network_id: str) -> str | None:
    """The user id of a user item's key in this network (None for any other key)."""
    prefix = user_pk_prefix(network_id)
    return pk[len(prefix) :] if pk.startswith(prefix) and len(pk) > len(prefix) else None


def cursor_key(network_id: str) -> dict[str, Any]:
    """A network's sweep cursor key."""
    return {"pk": {"S": f"sweep#{network_id}"}}


def name_pk(network_id: str, key_version: str, digest: str) -> str:
    """A username resolution's partition key: the HMAC of network and username under a version of the stack's key."""
    return f"name#{network_id}#{key_version}#{digest}"


def record_from_item(item: Mapping[str, Any]) -> LedgerRecord:
    """A user item (low-level attribute values) as the policy reads it."""
    last = item.get("last_reinvited_at", {}).get("N")
    first = item.get("first_reinvited_at", {}).get("N")
    joined = item.get("joined_at", {}).get("N")
    return LedgerRecord(
        attempts=int(item.get("attempts", {}).get("N", "0")),
        last_reinvited_at=float(last) if last is not None else None,
        claim_token=item.get("claim_token", {}).get("S"),
        claim_members=tuple(member["S"] for member in item.get("claim_members", {}).get("L", [])),
        claim_expires_at=float(item.get("claim_expires_at", {}).get("N", "0")),
        first_reinvited_at=float(first) if first is not None else None,
        joined_at=float(joined) if joined is not None else None,
    )
