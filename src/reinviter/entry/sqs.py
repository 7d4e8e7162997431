"""The SQS trigger: raw records to validated requests (each that can never succeed gets a precise reason), and back.

The edge: Powertools Parser's SQS record model, subclassed with a typed body. The core sees only `core.model.Request`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parser.models import SqsAttributesModel, SqsRecordModel
from pydantic import ConfigDict, Json, ValidationError, field_validator

from reinviter.core.deadline import Deadline
from reinviter.core.metric_names import Metric
from reinviter.core.model import Request, Seal, Verdict
from reinviter.entry.messages import ReinviteRequest
from reinviter.telemetry import tracing
from reinviter.telemetry.logger import logger
from reinviter.telemetry.metrics import emit, emit_conversion

if TYPE_CHECKING:
    from reinviter.wiring import Container


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


RECEIVE_COUNT = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)


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

    model_config = ConfigDict(hide_input_in_errors=True)  # the body may name people: never echo it

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


def read_records(records: Iterable[Any], allowed_networks: frozenset[str], queue_arn: str) -> Intake:
    """Validate every record on its own, so one bad body never affects its neighbours.

    A record counts only if it comes from the function's own queue (`queue_arn`, REINVITE_QUEUE_ARN): the queue's
    policy says who may send, and a direct invoke that dresses as SQS must not pass those senders by.
    """
    requests: list[Request] = []
    rejections: list[Rejection] = []
    for index, raw in enumerate(records):
        message_id = str(raw.get("messageId", "")) if isinstance(raw, dict) else ""
        stranger = _foreign_source(raw, queue_arn)
        try:
            record = ReinviteRecord.model_validate(raw)
        except ValidationError as error:
            if not all(detail["loc"][:1] == ("body",) for detail in error.errors()):
                rejections.append(Rejection(message_id, f"record {index} is not an SQS record: {_brief(error)}"))
            else:  # a stranger's body is not judged: where it came from is the reason
                rejections.append(Rejection(message_id, stranger or f"invalid body: {_brief(error, skip=1)}"))
            continue
        if stranger is not None:
            rejections.append(Rejection(message_id, stranger))
            continue
        body = record.body
        if body.network_id not in allowed_networks:
            rejections.append(Rejection(record.messageId, f"network {body.network_id} is not in WICKR_NETWORK_IDS"))
            continue
        user_ids = tuple(dict.fromkeys(body.user_ids))  # a repeated id is one user
        listing = body.listing  # on the wire, the seal is the message's `listing` member
        seal = Seal(listing.listed_at_ms, listing.key_version, listing.mac) if listing is not None else None
        requests.append(
            Request(
                record.messageId,
                body.network_id,
                user_ids,
                record.receive_count,
                tuple(body.usernames),
                seal,
                body.correlation_id,
            )
        )
    return Intake(requests, rejections)


def _foreign_source(raw: Any, queue_arn: str) -> str | None:
    """Why a record is not from the function's queue, or None when it is."""
    claimed = raw.get("eventSourceARN") if isinstance(raw, dict) else None
    if not queue_arn:
        return "REINVITE_QUEUE_ARN is not set: no queue's records can be told from a direct invoke's"
    if claimed != queue_arn:
        shown = claimed[:SHOWN_ARN_CHARS] if isinstance(claimed, str) else type(claimed).__name__
        return f"eventSourceARN {shown!r} is not the function's queue (REINVITE_QUEUE_ARN)"
    return None


SHOWN_ARN_CHARS = 256  # an SQS ARN is far shorter; a longer claim is someone's text, cut for the log


def _brief(error: ValidationError, skip: int = 0) -> str:
    """Pydantic's errors as one line, without echoing the input (a body may hold anything, personal data included)."""
    parts = []
    for detail in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in detail["loc"][skip:]) or "body"
        parts.append(f"{location}: {detail['msg']}")
    return "; ".join(parts)


def handle_sqs(records: list[dict[str, Any]], app: Container, deadline: Deadline) -> dict[str, Any]:
    """Reinvite what the batch asks for; answer in Lambda's partial-batch shape even when every record failed."""
    intake = read_records(records, app.settings.allowed_networks, app.settings.reinvite_queue_arn)
    for rejection in intake.rejections:
        logger.error("invalid message, left for the DLQ", message_id=rejection.message_id, reason=rejection.reason)
    _, limited_before = app.gateway.counter.snapshot()
    report = app.service.process(intake.requests, deadline)
    _, limited_after = app.gateway.counter.snapshot()

    failed = [rejection.message_id for rejection in intake.rejections] + report.failed_message_ids
    emit(
        report.metric_counts()
        | {
            Metric.RATE_LIMITED: limited_after - limited_before,
            Metric.INVALID_MESSAGES: len(intake.rejections),
            Metric.MESSAGES_FAILED: len(failed),
        }
    )
    reinvited = [key.network_id for key, outcome in report.outcomes.items() if outcome.verdict is Verdict.REINVITED]
    emit_conversion(report.joins, reinvited, {request.network_id for request in intake.requests})
    tracing.annotate(records=len(records), failed_records=len(failed))
    logger.info(
        "batch done",
        records=len(intake.requests) + len(intake.rejections),
        failed_records=len(failed),
        dry_run=app.settings.dry_run,
        verdicts={verdict.value: count for verdict, count in report.verdicts().items()},
    )
    response: dict[str, Any] = {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
    if app.settings.dry_run:
        response["dryRun"] = {
            "wouldReinvite": sorted(
                f"{key.network_id}/{key.user_id}"
                for key, outcome in report.outcomes.items()
                if outcome.verdict is Verdict.WOULD_REINVITE
            )
        }
    return response
