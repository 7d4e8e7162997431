"""The plain values the core passes around: what a request names, what Wickr said, what became of each user.

No pydantic here: the wire schema that produces these values is `entry/messages.py`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from reinviter.core.keys import SEAL_LABEL, USERNAME_LABEL, subkey

# Limits of the Wickr model (botocore checks only the network id's length, so we check the rest ourselves).
MAX_USERS_PER_REINVITE = 50
MAX_USERNAME_LENGTH = 256
# The Wickr model's id patterns: said once here, used by the message schema, the settings and the operators' tools.
NETWORK_ID_PATTERN = r"^[0-9]{8}$"
USER_ID_PATTERN = r"^[0-9]{1,10}$"


class UserState(enum.Enum):
    """What GetUser said of a user, reduced to what decides a reinvite."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    NOT_FOUND = "not_found"


# Why a user in each state is not reinvited: the reason logged and reported (and what the operators' tools print).
SKIP_REASONS = {
    UserState.ACTIVE: "active",
    UserState.SUSPENDED: "suspended",
    UserState.NOT_FOUND: "not found",
}


class SkipReason(enum.Enum):
    """Why a user was skipped, as a `User Skipped` event's `reason` says it (a fixed set consumers can match on)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"  # Wickr knows no such user
    UNKNOWN_USERNAME = "unknown-username"
    COOLDOWN = "cooldown"
    GIVEN_UP = "given-up"
    CLAIMED = "claimed"


SKIP_OF_STATE = {
    UserState.ACTIVE: SkipReason.ACTIVE,
    UserState.SUSPENDED: SkipReason.SUSPENDED,
    UserState.NOT_FOUND: SkipReason.UNKNOWN,
}


class Verdict(enum.Enum):
    """The end state of one user in one batch."""

    REINVITED = "reinvited"
    WOULD_REINVITE = "would_reinvite"  # dry run
    SKIPPED = "skipped"
    FAILED = "failed"
    UNFINISHED = "unfinished"  # the deadline came first; the message is retried
    # The call's answer was lost or incomplete: Wickr may have invited the user. The claim stays and the call is
    # replayed unchanged (members and token), so Wickr answers it once; the message is retried.
    MAYBE_SENT = "maybe_sent"


@dataclass(frozen=True, slots=True)
class Seal:
    """A sweep message's seal, as the message carries it in its `listing` member (verified by `ListingSeal.fresh`)."""

    listed_at_ms: int
    key_version: str
    mac: str

    def as_body(self) -> dict[str, object]:
        """The message's `listing` member."""
        return {"listedAtMs": self.listed_at_ms, "keyVersion": self.key_version, "mac": self.mac}


@dataclass(frozen=True, slots=True)
class Request:
    """One valid message: who asked (the SQS message id) and whom to reinvite, by id and by username.

    `usernames` keeps the message's order (logs name an entry by its place in it); it is left out of `repr`.
    """

    message_id: str
    network_id: str
    user_ids: tuple[str, ...]
    receive_count: int = 1
    usernames: tuple[str, ...] = field(default=(), repr=False)
    seal: Seal | None = None  # the sweep's seal (the message's `listing`), unverified
    correlation_id: str | None = None  # the requester's id for the request (`correlationId`), logged with its outcome


@dataclass(frozen=True, slots=True)
class UserKey:
    """A user is only unique within its network."""

    network_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class UserOutcome:
    """One user's verdict and the reason behind it (safe to log: no personal data)."""

    verdict: Verdict
    reason: str
    skip: SkipReason | None = None  # a skip's reason as its event says it


@dataclass(frozen=True, slots=True)
class Join:
    """A reinvited user a check saw active: the conversion the function exists for (counted once, by its writer)."""

    key: UserKey
    reinvites: int
    hours_to_join: float | None  # since the first reinvite; None for a record settled before first times were kept
    hours_since_last: float | None

    @classmethod
    def seen(cls, key: UserKey, attempts: int, first: float | None, last: float | None, now: float) -> Join:
        """The join of a user reinvited `attempts` times (first and last reinvite times as recorded) seen at `now`."""

        def hours(since: float | None) -> float | None:
            return None if since is None else round(max(0.0, now - since) / 3600.0, 2)

        return cls(key, attempts, hours(first), hours(last))


@dataclass(frozen=True, slots=True)
class ReinviteReceipt:
    """BatchReinviteUser's answer: partial failure is data, not an exception."""

    successful: frozenset[str]
    failed: dict[str, str] = field(default_factory=dict)  # user id -> a fixed failure code (never Wickr's text)

    def accounts_for(self, user_ids: Iterable[str]) -> bool:
        """Whether every one of these users is either successful or failed (else it may have been invited)."""
        return all(user_id in self.successful or user_id in self.failed for user_id in user_ids)


@dataclass(frozen=True, slots=True)
class ListedUser:
    """A user as ListUsers lists it: its id, its state, and its username for an exact comparison only.

    The username is personal data: it is left out of `repr`, so logging this value (or an error holding it) shows
    the id and the state alone.
    """

    user_id: str
    state: UserState
    username: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class PendingUser:
    """A pending user as ListUsers reports it to the sweep (ids and flags only: names never leave the adapter)."""

    user_id: str
    invite_expired: bool


@dataclass(frozen=True, slots=True)
class HashKey:
    """The stack's key and the version that names it in cache keys and seals; each use takes its own subkey.

    `seals` keys the sweep's seals and `usernames` the username cache's digests (HKDF-SHA256 under a label each,
    `core.keys`): the two never share a key, whatever their inputs look like. None of the bytes is in `repr`.
    """

    secret: bytes = field(repr=False)
    version: str
    seals: bytes = field(init=False, repr=False, compare=False)
    usernames: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "seals", subkey(self.secret, SEAL_LABEL))  # frozen: derived once, here
        object.__setattr__(self, "usernames", subkey(self.secret, USERNAME_LABEL))
