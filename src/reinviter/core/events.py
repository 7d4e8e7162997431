"""Outcome events, pure: what EventBridge tells the onboarding systems, each with an id that a repeat keeps.

An event's id is a digest of the outcome it reports (the user, the attempt, its token or the message that asked),
never of the time it was built: a replay, a redelivery or a second invocation that reports the same outcome
publishes the same id, so a consumer dedupes on `eventId`. Ids, counts and reasons only: no username, email or
name ever goes into an event.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reinviter.core.model import Join, SkipReason, UserKey

SOURCE = "wickr.reinviter"


class DetailType(enum.Enum):
    """The four outcomes an onboarding system can write a rule for."""

    REINVITED = "User Reinvited"
    SKIPPED = "User Skipped"
    GIVEN_UP = "User Given Up"
    JOINED = "User Joined"


@dataclass(frozen=True, slots=True)
class OutcomeEvent:
    """One event: its detail-type and its detail (the `eventId` inside it)."""

    detail_type: DetailType
    detail: dict[str, Any]

    @property
    def event_id(self) -> str:
        """The outcome's id (in the detail, where a rule's target sees it)."""
        return str(self.detail["eventId"])


def event_id(detail_type: DetailType, *parts: object) -> str:
    """A digest of what identifies an outcome (32 hex characters)."""
    digest = hashlib.sha256(detail_type.value.encode())
    for part in parts:
        digest.update(b"|" + str(part).encode())
    return digest.hexdigest()[:32]


def _event(
    detail_type: DetailType,
    key: UserKey,
    identity: tuple[object, ...],
    now: float,
    correlation_id: str | None,
    **fields: object,
) -> OutcomeEvent:
    detail: dict[str, Any] = {
        "networkId": key.network_id,
        "userId": key.user_id,
        "eventId": event_id(detail_type, key.network_id, key.user_id, *identity),
        "occurredAt": occurred_at(now),
    }
    if correlation_id is not None:
        detail["correlationId"] = correlation_id
    return OutcomeEvent(detail_type, detail | fields)


def reinvited(key: UserKey, attempt: int, token: str, now: float, correlation_id: str | None) -> OutcomeEvent:
    """The user's `attempt`th reinvite, by the call with this token (a replay of the call repeats the id)."""
    return _event(DetailType.REINVITED, key, (attempt, token), now, correlation_id, attempt=attempt)


def given_up(key: UserKey, attempts: int, token: str, now: float, correlation_id: str | None) -> OutcomeEvent:
    """The reinvite that reached the attempt cap: no further reinvite will be sent."""
    return _event(DetailType.GIVEN_UP, key, (attempts, token), now, correlation_id, reinvites=attempts)


def joined(join: Join, first_reinvited_at: float | None, now: float, correlation_id: str | None) -> OutcomeEvent:
    """A join: one id whichever check saw it (a request's or the sweep's) and however many reinvites it counted.

    A user joins once: the first reinvite's time (kept from the first settle on) names the join.
    """
    identity = (first_reinvited_at,)
    return _event(
        DetailType.JOINED,
        join.key,
        identity,
        now,
        correlation_id,
        reinvites=join.reinvites,
        hoursToJoin=join.hours_to_join,
    )


def skipped(
    network_id: str,
    entry: str | UserKey,
    reason: SkipReason,
    *,
    attempts: int,
    message_id: str,
    now: float,
    correlation_id: str | None,
) -> OutcomeEvent:
    """A requester's user not reinvited: by its `userId`, or (a username that named nobody) by its `entry`.

    The id is of this message's entry and the record's attempts: a redelivery that finds the same repeats it.
    """
    if isinstance(entry, UserKey):
        return _event(
            DetailType.SKIPPED, entry, (reason.value, attempts, message_id), now, correlation_id, reason=reason.value
        )
    detail: dict[str, Any] = {
        "networkId": network_id,
        "entry": entry,
        "eventId": event_id(DetailType.SKIPPED, network_id, entry, reason.value, message_id),
        "occurredAt": occurred_at(now),
        "reason": reason.value,
    }
    if correlation_id is not None:
        detail["correlationId"] = correlation_id
    return OutcomeEvent(DetailType.SKIPPED, detail)


def occurred_at(now: float) -> str:
    """ISO 8601 in UTC, to the millisecond."""
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
