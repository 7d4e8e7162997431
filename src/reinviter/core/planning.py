"""Planning, pure: which users go into which BatchReinviteUser call, and each call's X-Client-Token.

With a ledger, calls span messages (50 users a call, whatever message named them) and a call is ready as soon as
50 users of a network are confirmed, so Wickr never waits for the whole batch to be checked. Without a ledger the
token is the only guard against sending twice, so it must come out the same when SQS redelivers a message alone:
a call then holds the users of one message only, and goes out only once every user of that message was checked.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from reinviter.core.model import MAX_USERS_PER_REINVITE, UserKey

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReinviteCall:
    """One BatchReinviteUser call: its network, its users (at most 50) and its idempotency token."""

    network_id: str
    user_ids: tuple[str, ...]
    token: str

    def users(self) -> list[UserKey]:
        """The users of this call."""
        return [UserKey(self.network_id, user_id) for user_id in self.user_ids]


@dataclass(frozen=True, slots=True)
class Requester:
    """What of a request goes into a token: its message id and, with a ledger, which delivery this is."""

    message_id: str
    delivery: int | None = None  # the SQS receive count; None without a ledger (the token must survive redelivery)

    def salt(self) -> str:
        """This requester's part of a token."""
        return self.message_id if self.delivery is None else f"{self.message_id}#{self.delivery}"


def chunks(items: Sequence[T], size: int = MAX_USERS_PER_REINVITE) -> Iterator[list[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def client_token(network_id: str, user_ids: Iterable[str], salt: Iterable[str]) -> str:
    """A deterministic X-Client-Token: the same users for the same requesters get the same token.

    So Wickr answers a repeated call once; the salt (the requesting messages) keeps a later, genuine reinvite distinct.
    """
    digest = hashlib.sha256()
    digest.update(network_id.encode())
    for part in ("|", *sorted(user_ids), "|", *sorted(salt)):
        digest.update(part.encode() + b",")
    return digest.hexdigest()  # 64 characters of [0-9a-f]: inside the model's 1-64 [a-zA-Z0-9-_:] pattern


def _by_id(user_id: str) -> tuple[int, str]:
    return len(user_id), user_id


@dataclass(slots=True)
class CallPlanner:
    """Turns confirmed-pending users into calls as they are confirmed.

    `requesters` names, for each user, the requests that asked for it (in batch order). `per_message` is the
    no-ledger mode (see the module docstring): `owners` then maps each request (by any key unique in the batch) to
    every user it names, and `salts` that key to the request's message id. Each request is a call of its own users,
    its token from its own message alone, so a redelivery (alone or beside other messages) repeats it exactly.
    """

    requesters: dict[UserKey, list[Requester]]
    per_message: bool = False
    owners: dict[str, list[UserKey]] = field(default_factory=dict)
    salts: dict[str, str] = field(default_factory=dict)
    _pending: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _owners_of: dict[UserKey, list[str]] = field(default_factory=lambda: defaultdict(list))
    _open: dict[str, set[UserKey]] = field(default_factory=dict)  # per message: users not yet decided
    _eligible: dict[str, list[UserKey]] = field(default_factory=lambda: defaultdict(list))
    _spoiled: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for owner, keys in self.owners.items():
            self._open[owner] = set(keys)
            for key in keys:
                self._owners_of[key].append(owner)

    def call_for(self, keys: Sequence[UserKey], salt: Iterable[str] | None = None) -> ReinviteCall:
        """One call for these users of one network (at most 50), its token from their requesters (or `salt`)."""
        network_id = keys[0].network_id
        if any(key.network_id != network_id for key in keys):
            raise ValueError("a BatchReinviteUser call addresses one network")
        user_ids = sorted((key.user_id for key in keys), key=_by_id)
        if salt is None:
            salt = {requester.salt() for key in keys for requester in self.requesters.get(key, ())}
        return ReinviteCall(network_id, tuple(user_ids), client_token(network_id, user_ids, salt))

    def confirmed(self, key: UserKey) -> list[ReinviteCall]:
        """A user GetUser found pending: the calls that are now full."""
        if self.per_message:
            plan = []
            for owner in self._owners_of[key]:
                self._eligible[owner].append(key)
                plan += self._decided(owner, key)
            return plan
        pending = self._pending[key.network_id]
        pending.append(key.user_id)
        if len(pending) < MAX_USERS_PER_REINVITE:
            return []
        self._pending[key.network_id] = []
        return [self.call_for([UserKey(key.network_id, user_id) for user_id in pending])]

    def settled(self, key: UserKey, *, spoils: bool) -> list[ReinviteCall]:
        """A user that will not be sent (skipped, or its check failed when `spoils`): the calls now complete."""
        if not self.per_message:
            return []
        plan = []
        for owner in self._owners_of[key]:
            if spoils:
                self._spoiled.add(owner)
            plan += self._decided(owner, key)
        return plan

    def spoiled(self) -> list[UserKey]:
        """Without a ledger: confirmed users held back because a user of their message could not be checked."""
        held = (key for owner in sorted(self._spoiled) for key in self._eligible.get(owner, []))
        return list(dict.fromkeys(held))

    def flush(self) -> list[ReinviteCall]:
        """Every check is done: the partly filled calls."""
        if self.per_message:
            return []
        plan = [
            self.call_for([UserKey(network_id, user_id) for user_id in pending])
            for network_id, pending in sorted(self._pending.items())
            if pending
        ]
        self._pending.clear()
        return plan

    def _decided(self, owner: str, key: UserKey) -> list[ReinviteCall]:
        remaining = self._open[owner]
        remaining.discard(key)
        if remaining or owner in self._spoiled or not self._eligible.get(owner):
            return []
        return [self.call_for(self._eligible[owner], salt={self.salts.get(owner, owner)})]
