"""Messages at the edge (pydantic) and the plain values the domain passes around (dataclasses)."""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

# Limits of the Wickr model (botocore checks only the network id's length, so we check the rest ourselves).
MAX_USERS_PER_REINVITE = 50
MAX_USERNAME_LENGTH = 256
# The Wickr model's id patterns: said once here, used by the message schema, the settings and the operators' tools.
NETWORK_ID_PATTERN = r"^[0-9]{8}$"
USER_ID_PATTERN = r"^[0-9]{1,10}$"
NetworkId = Annotated[str, StringConstraints(pattern=NETWORK_ID_PATTERN)]
UserId = Annotated[str, StringConstraints(pattern=USER_ID_PATTERN)]
# Whitespace (Zs, Zl, Zp), control (Cc), format (Cf: zero-width and direction marks) and lone surrogates (Cs): none
# belongs in a username, and each would make two requests for one person look different, or not encode at all.
_NOT_IN_USERNAME = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs"})


def _check_username(value: str) -> str:
    # The message says what is wrong, never what was sent: a username is personal data.
    if any(unicodedata.category(char) in _NOT_IN_USERNAME for char in value):
        raise ValueError("must contain no whitespace, control or invisible formatting characters")
    return value


Username = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_USERNAME_LENGTH), AfterValidator(_check_username)
]


class ListingBody(BaseModel):
    """A sweep message's seal (`listing`): when its ListUsers page was read, and the HMAC that vouches for it."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    listed_at_ms: Annotated[int, Field(alias="listedAtMs", ge=0)]
    key_version: Annotated[str, Field(alias="keyVersion", pattern=r"^[A-Za-z0-9]{1,32}$")]
    mac: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ReinviteRequest(BaseModel):
    """The SQS message body onboarding systems send: `{"networkId": "12345678", "userIds": ["1001"]}`.

    Users are named by id, by username (`"usernames": ["ana@example.org"]`), or both: at least one, at most 50 in
    all, so the request fits one BatchReinviteUser call. Errors never echo the input (usernames are personal data).
    """

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, hide_input_in_errors=True)

    network_id: Annotated[NetworkId, Field(alias="networkId")]
    user_ids: Annotated[list[UserId], Field(alias="userIds", max_length=MAX_USERS_PER_REINVITE)] = []
    usernames: Annotated[list[Username], Field(max_length=MAX_USERS_PER_REINVITE)] = []
    # Only the sweep writes it (listing.py); a malformed one is refused like any malformed body.
    listing: ListingBody | None = None

    @model_validator(mode="after")
    def _check_count(self) -> Self:
        named = len(self.user_ids) + len(self.usernames)
        if named == 0:
            raise ValueError("name at least one user in userIds or usernames")
        if named > MAX_USERS_PER_REINVITE:
            raise ValueError(f"userIds and usernames name {named} users, at most {MAX_USERS_PER_REINVITE} in all")
        return self


class SweepSubset(BaseModel):
    """A scheduled input naming the networks to sweep: `{"networkIds": [...]}` and nothing else.

    Strict on purpose: a typo in the key, a null, or an extra field is refused, never read as "sweep everything".
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    network_ids: Annotated[list[NetworkId], Field(alias="networkIds", min_length=1)]


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
class Listing:
    """A sweep message's seal, as the message carries it (verified by `listing.ListingSeal.fresh`)."""

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
    listing: Listing | None = None  # the sweep's seal, unverified


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
