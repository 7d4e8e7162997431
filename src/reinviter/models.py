"""Messages at the edge (pydantic) and the plain values the domain passes around (dataclasses)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Annotated

from aws_lambda_powertools.utilities.parser.models import SqsAttributesModel, SqsRecordModel
from pydantic import BaseModel, ConfigDict, Field, Json, StringConstraints, field_validator

# Limits of the Wickr model (botocore checks only the network id's length, so we check the rest ourselves).
MAX_USERS_PER_REINVITE = 50
NetworkId = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,10}$")]
RECEIVE_COUNT = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)


class ReinviteRequest(BaseModel):
    """The SQS message body onboarding systems send: `{"networkId": "12345678", "userIds": ["1001"]}`."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    network_id: Annotated[NetworkId, Field(alias="networkId")]
    user_ids: Annotated[list[UserId], Field(alias="userIds", min_length=1, max_length=MAX_USERS_PER_REINVITE)]


class ReinviteAttributes(SqsAttributesModel):
    """SQS's system attributes (Powertools' model), the receive count checked strictly: it goes into tokens."""

    @field_validator("ApproximateReceiveCount")
    @classmethod
    def _check_receive_count(cls, value: str) -> str:
        # `str.isdigit` accepts "²", which `int` then refuses: only ASCII digits, and SQS starts counting at 1.
        if not RECEIVE_COUNT.fullmatch(value):
            raise ValueError("must be a whole number of at least 1, in ASCII digits")
        return value


class ReinviteRecord(SqsRecordModel):
    """One SQS record as Lambda delivers it (Powertools Parser's envelope), its body a reinvite request."""

    attributes: ReinviteAttributes
    body: Json[ReinviteRequest]  # Powertools types it str | Json[Any]; here it is always a request

    @field_validator("messageId")
    @classmethod
    def _check_message_id(cls, value: str) -> str:
        # It goes into tokens and logs as UTF-8: a lone surrogate (no real SQS id has one) could be neither.
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text") from None
        return value

    @property
    def receive_count(self) -> int:
        """How often SQS has delivered this message (1 on the first delivery)."""
        return int(self.attributes.ApproximateReceiveCount)


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
    OTHER = "other"  # a status this code does not know; skipped rather than guessed at


class Verdict(enum.Enum):
    """The end state of one user in one batch."""

    REINVITED = "reinvited"
    WOULD_REINVITE = "would_reinvite"  # dry run
    SKIPPED = "skipped"
    FAILED = "failed"
    UNFINISHED = "unfinished"  # the deadline came first; the message is retried


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
    failed: dict[str, str] = field(default_factory=dict)  # user id -> reason
