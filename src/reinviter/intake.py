"""From raw SQS records to validated reinvite requests; every record that can never succeed gets a precise reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from reinviter.models import Listing, ReinviteRecord


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
class Rejection:
    """A record that can never succeed: it goes back to SQS (and on to the DLQ) with this reason logged."""

    message_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Intake:
    """A batch sorted into what can be worked on and what cannot."""

    requests: list[Request]
    rejections: list[Rejection]


class EventShapeError(ValueError):
    """An event with `Records` that are not SQS records: refused whole, since no record could be named alone."""


SQS_SOURCE = "aws:sqs"


def sqs_records(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of an SQS event, or an error naming the first thing that is not one.

    A record without a messageId cannot be reported in batchItemFailures (an empty identifier makes Lambda retry the
    whole batch), and records of another source (S3, SNS, DynamoDB streams, a test event) are not requests at all.

    Raises:
        EventShapeError: `Records` is not a non-empty list of SQS records, each with a messageId.
    """
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise EventShapeError("Records must be a non-empty list of SQS records")
    for index, record in enumerate(records):
        if not isinstance(record, dict) or record.get("eventSource") != SQS_SOURCE:
            raise EventShapeError(f"record {index} is not an SQS record (eventSource is not {SQS_SOURCE!r})")
        message_id = record.get("messageId")
        if not isinstance(message_id, str) or not message_id:
            raise EventShapeError(f"record {index} has no messageId, so it could not be reported alone")
    return records


def read_records(records: Iterable[Any], allowed_networks: frozenset[str]) -> Intake:
    """Validate every record on its own, so one bad body never affects its neighbours."""
    requests: list[Request] = []
    rejections: list[Rejection] = []
    for index, raw in enumerate(records):
        message_id = str(raw.get("messageId", "")) if isinstance(raw, dict) else ""
        try:
            record = ReinviteRecord.model_validate(raw)
        except ValidationError as error:
            if all(detail["loc"][:1] == ("body",) for detail in error.errors()):
                rejections.append(Rejection(message_id, f"invalid body: {_brief(error, skip=1)}"))
            else:
                rejections.append(Rejection(message_id, f"record {index} is not an SQS record: {_brief(error)}"))
            continue
        body = record.body
        if body.network_id not in allowed_networks:
            rejections.append(Rejection(record.messageId, f"network {body.network_id} is not in WICKR_NETWORK_IDS"))
            continue
        user_ids = tuple(dict.fromkeys(body.user_ids))  # a repeated id is one user
        listing = body.listing
        seal = Listing(listing.listed_at_ms, listing.key_version, listing.mac) if listing is not None else None
        requests.append(
            Request(record.messageId, body.network_id, user_ids, record.receive_count, tuple(body.usernames), seal)
        )
    return Intake(requests, rejections)


def _brief(error: ValidationError, skip: int = 0) -> str:
    """Pydantic's errors as one line, without echoing the input (a body may hold anything, personal data included)."""
    parts = []
    for detail in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in detail["loc"][skip:]) or "body"
        parts.append(f"{location}: {detail['msg']}")
    return "; ".join(parts)
