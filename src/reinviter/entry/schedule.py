"""The scheduled trigger: which of the three sweep inputs this is, and the sweep's metrics and summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from reinviter.core.deadline import Deadline
from reinviter.core.metric_names import Metric, NetworkMetric
from reinviter.entry.messages import SweepSubset
from reinviter.telemetry import tracing
from reinviter.telemetry.logger import logger
from reinviter.telemetry.metrics import emit, emit_join_samples, emit_network

if TYPE_CHECKING:
    from reinviter.wiring import Container

SCHEDULED_EVENT = "Scheduled Event"  # the classic EventBridge rule's detail-type


class SweepInputError(ValueError):
    """The scheduled input names something the function may not sweep."""


SCHEDULE_SOURCE = "aws.events"  # the classic rule's source


def networks_to_sweep(event: Any, allowed: Sequence[str]) -> list[str]:
    """The networks a scheduled invocation asks for. Exactly three inputs are a sweep; anything else is refused.

    `{}` (the Scheduler's default input) and the classic EventBridge rule event sweep every allowed network;
    `{"networkIds": [...]}` sweeps those, all of which must be allowed.

    Raises:
        SweepInputError: On any other input, with what was wrong; nothing is listed or sent.
    """
    if not isinstance(event, dict):
        raise SweepInputError(f"a sweep input must be a JSON object, got {type(event).__name__}")
    if event == {}:
        return list(allowed)
    if "detail-type" in event or "source" in event:
        if event.get("detail-type") == SCHEDULED_EVENT and event.get("source") == SCHEDULE_SOURCE:
            return list(allowed)
        raise SweepInputError(
            f"an EventBridge event is a sweep only as detail-type {SCHEDULED_EVENT!r} from source {SCHEDULE_SOURCE!r}"
        )
    if "networkId" in event or "userIds" in event:
        raise SweepInputError(
            "a reinvite request invoked directly is refused: send it to the function's queue (REINVITE_QUEUE_URL),"
            " where it gets the ledger, retries and the dead-letter queue"
        )
    try:
        request = SweepSubset.model_validate(event)
    except ValidationError as error:
        details = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc']) or 'input'}: {detail['msg']}"
            for detail in error.errors(include_input=False, include_url=False)
        )
        raise SweepInputError(f"invalid sweep input: {details} (a sweep takes {{}} or a networkIds list)") from None
    unknown = sorted(set(request.network_ids) - set(allowed))
    if unknown:
        raise SweepInputError(f"networks {unknown} are not in WICKR_NETWORK_IDS; nothing was swept")
    return list(dict.fromkeys(request.network_ids))


def handle_sweep(event: Any, app: Container, deadline: Deadline) -> dict[str, Any]:
    """Queue every pending user of the requested networks (all allowed ones unless the input names a subset).

    Raises:
        SweepInputError: The input names a network outside WICKR_NETWORK_IDS (or is malformed); nothing is sent.
        SweepConfigError: REINVITE_QUEUE_URL is empty.
    """
    network_ids = networks_to_sweep(event, app.settings.network_ids)
    _, limited_before = app.gateway.counter.snapshot()
    results = app.sweeper.run(network_ids, deadline)
    _, limited_after = app.gateway.counter.snapshot()
    enqueued = sum(result.users_enqueued for result in results.values())
    joins = [join for result in results.values() if result.awaiting for join in result.awaiting.joins]
    emit(
        {
            Metric.USERS_ENQUEUED: enqueued,
            Metric.RATE_LIMITED: limited_after - limited_before,
            Metric.NETWORKS_NOT_FOUND: sum(result.network_not_found for result in results.values()),
            Metric.USERS_CHECKED: sum(result.awaiting.checked for result in results.values() if result.awaiting),
            Metric.USERS_JOINED: len(joins),
        }
    )
    emit_join_samples(joins)
    for network_id, result in results.items():
        backlog = {
            NetworkMetric.EXPIRED_INVITATIONS: result.expired,
            NetworkMetric.USERS_JOINED: len(result.awaiting.joins) if result.awaiting else 0,
        }
        if result.pending is not None:
            backlog[NetworkMetric.PENDING_USERS] = result.pending
        emit_network(network_id, backlog)
    tracing.annotate(networks=len(results), users_enqueued=enqueued)
    summary = {
        "sweep": {network_id: result.as_dict() for network_id, result in results.items()},
        "usersEnqueued": enqueued,
        "finished": all(result.finished for result in results.values()),
        "dryRun": app.settings.dry_run,
    }
    logger.info("sweep done", networks=len(results), users_enqueued=enqueued, finished=summary["finished"])
    return summary
