"""Outcome events to EventBridge: PutEvents, 10 entries a call, failed entries retried a bounded time.

PutEvents answers 200 even when some entries were not put: each answer entry has an `EventId` or an `ErrorCode`,
in the order of the request. An answer that does not account for every entry that way proves nothing: its entries
are sent again (the same `eventId` in their detail, so a consumer that got one dedupes the other). The retries are
ours (the client makes one attempt of at most CALL_BUDGET_S), under the one retry rule, and no round starts that
could not end before the caller's deadline. What is still unpublished is returned, never raised: the caller then
leaves the outcome unrecorded (docs/ledger.md, "Outcome events").
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.adapters.aws import describe
from reinviter.core.deadline import Deadline
from reinviter.core.events import SOURCE, OutcomeEvent
from reinviter.core.retry import Attempts, Backoff
from reinviter.telemetry import tracing
from reinviter.telemetry.logger import logger

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef
else:
    EventBridgeClient = Any
    PutEventsRequestEntryTypeDef = dict

MAX_ENTRIES = 10  # PutEvents' limit
PUBLISH_ROUNDS = 4  # first try plus three retries of whatever is still unpublished
BACKOFF = Backoff(base_s=0.2, cap_s=2.0)
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
CALL_BUDGET_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
EVENTS_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"mode": "standard", "total_max_attempts": 1},  # the rounds below are the retries
)


class OutcomeBus:
    """Publishes outcome events to one event bus (OUTCOME_EVENT_BUS)."""

    enabled = True

    def __init__(
        self,
        client: EventBridgeClient,
        bus_name: str,
        *,
        rounds: int = PUBLISH_ROUNDS,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._bus_name = bus_name
        self._rounds = rounds
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def publish(self, events: Sequence[OutcomeEvent], deadline: Deadline) -> set[str]:
        """Put every event, 10 to a call; the ids of those still unpublished after the last round (or no time)."""
        unpublished: set[str] = set()
        for start in range(0, len(events), MAX_ENTRIES):
            unpublished |= self._put(events[start : start + MAX_ENTRIES], deadline)
        return unpublished

    def _put(self, events: Sequence[OutcomeEvent], deadline: Deadline) -> set[str]:
        pending = {event.event_id: self._entry(event) for event in events}
        problem = ""
        rounds = Attempts(
            deadline,
            budget_s=CALL_BUDGET_S,
            max_attempts=self._rounds,
            backoff=BACKOFF,
            sleep=self._sleep,
            rng=self._rng,
        )
        for _ in rounds:
            ids = list(pending)
            try:
                with tracing.span("events.PutEvents", entries=len(ids)):
                    answer = self._client.put_events(Entries=list(pending.values()))
            except (ClientError, BotoCoreError) as error:
                problem = describe(error)
                continue
            entries = answer.get("Entries")
            if not isinstance(entries, list) or len(entries) != len(ids):
                problem = "an answer that does not account for every entry"
                continue
            failed = {event_id for event_id, entry in zip(ids, entries, strict=True) if not _put_ok(entry)}
            pending = {event_id: pending[event_id] for event_id in ids if event_id in failed}
            if not pending:
                return set()
            problem = ",".join(sorted({str(entry.get("ErrorCode", "")) for entry in entries if not _put_ok(entry)}))
        logger.warning(
            "outcome events not published",
            unpublished=len(pending),
            entries=len(events),
            problem=problem or None,
            out_of_time=rounds.out_of_time,
        )
        return set(pending)

    def _entry(self, event: OutcomeEvent) -> PutEventsRequestEntryTypeDef:
        occurred = datetime.fromisoformat(str(event.detail["occurredAt"]).replace("Z", "+00:00")).astimezone(UTC)
        return {
            "Source": SOURCE,
            "DetailType": event.detail_type.value,
            "Detail": json.dumps(event.detail, separators=(",", ":"), sort_keys=True),
            "EventBusName": self._bus_name,
            "Time": occurred,
        }


def _put_ok(entry: object) -> bool:
    """An answer entry that says its event was put: an event id and no error code."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("EventId"), str)
        and bool(entry["EventId"])
        and not entry.get("ErrorCode")
    )


def events_client() -> EventBridgeClient:
    """An EventBridge client; built once a container (`AWS_ENDPOINT_URL_EVENTBRIDGE` can redirect it)."""
    return boto3.client("events", config=EVENTS_CONFIG)
