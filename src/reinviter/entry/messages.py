"""The wire schema at the edge (pydantic): the SQS message body and the sweep's input, checked before the core."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from reinviter.core.model import MAX_USERNAME_LENGTH, MAX_USERS_PER_REINVITE, NETWORK_ID_PATTERN, USER_ID_PATTERN

CORRELATION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
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
    # Only the sweep writes it (core/seal.py); a malformed one is refused like any malformed body.
    listing: ListingBody | None = None
    # The requester's own id for this request, logged with its outcome (never personal data: no "@", no spaces).
    correlation_id: Annotated[str | None, Field(alias="correlationId", pattern=CORRELATION_ID_PATTERN)] = None

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
