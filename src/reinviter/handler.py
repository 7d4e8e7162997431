"""Lambda entry point: observability decorators, dispatch on the event's shape, collaborators built once."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import boto3
from aws_lambda_powertools.logging.logger import log_uncaught_exception_hook
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from reinviter import tracing
from reinviter.clock import current_time
from reinviter.cursors import DynamoCursors
from reinviter.deadline import Deadline
from reinviter.dynamo import DYNAMODB_CONFIG
from reinviter.intake import EventShapeError, read_records, sqs_records
from reinviter.ledger import DynamoLedger
from reinviter.listing import ListingSeal
from reinviter.models import Verdict
from reinviter.name_cache import DynamoNameCache
from reinviter.observability import Metric, NetworkMetric, emit, emit_network, logger, metrics
from reinviter.pacing import RequestPacer
from reinviter.ports import Cursors, NameCache, NoCursors, NoNameCache
from reinviter.queue import ReinviteQueue, sqs_client
from reinviter.secret_key import SECRET_CONFIG, SecretKey
from reinviter.service import ReinviteService
from reinviter.settings import Settings, get_settings
from reinviter.sweep import SweepConfigError, Sweeper, SweepInputError, networks_to_sweep
from reinviter.wickr import WickrGateway, wickr_client

# The sweep's cursors: short timeouts, so a hung request cannot hold the invocation (botocore's default is 60 s).
# A failed cursor request fails that network's sweep for this run only (sweep.py); the sweep stores a cursor only if
# CURSOR_BUDGET_S still fits before the deadline.
CURSORS_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 2})


# In Lambda, an exception that escapes everything is logged as one JSON line with the request's context.
sys.excepthook = partial(log_uncaught_exception_hook, logger=logger)

LEDGER_WORKERS = 2  # a claim and a settle of different calls at once; DynamoDB answers in milliseconds


@dataclass(frozen=True, slots=True)
class Container:
    """What lives as long as the Lambda container: settings, the gateway, the worker pool, the service, the sweep."""

    settings: Settings
    gateway: WickrGateway
    service: ReinviteService
    sweeper: Sweeper


def _stack_key(settings: Settings) -> SecretKey | None:
    """The stack's key: the username cache's HMAC and the sweep's listing seals (its client built on first use)."""
    if not settings.username_hash_key_secret:
        return None
    return SecretKey(partial(boto3.client, "secretsmanager", config=SECRET_CONFIG), settings.username_hash_key_secret)


def _stores(settings: Settings, key: SecretKey | None) -> tuple[DynamoLedger | None, NameCache, Cursors]:
    """The ledger table's adapters, each with its own client (the null ones without a table)."""
    if not settings.ledger_table:
        return None, NoNameCache(), NoCursors()
    cursors = DynamoCursors(boto3.client("dynamodb", config=CURSORS_CONFIG), settings.ledger_table)
    # A dry run reads the ledger (so it reports cooldowns truthfully) and never writes it.
    ledger = DynamoLedger(boto3.client("dynamodb", config=DYNAMODB_CONFIG), settings.ledger_table, settings.policy)
    names: NameCache = NoNameCache()
    if settings.username_cache and key is not None:
        client = boto3.client("dynamodb", config=DYNAMODB_CONFIG)
        names = DynamoNameCache(client, settings.ledger_table, key, settings.username_cache_days * 86400.0)
    return ledger, names, cursors


@cache
def container() -> Container:
    """Built on the first invocation (not at import, so a bad variable fails that invocation loudly) and reused."""
    settings = get_settings()
    pool = ThreadPoolExecutor(max_workers=settings.max_concurrency, thread_name_prefix="wickr")
    gateway = WickrGateway(
        wickr_client(settings.max_concurrency),
        max_attempts=settings.retry_attempts,
        pacer=RequestPacer(settings.max_requests_per_second),
    )
    key = _stack_key(settings)
    seal = ListingSeal(key, current_time, settings.sweep_freshness_s) if key and settings.sweep_freshness_s else None
    ledger, names, cursors = _stores(settings, key)
    if not settings.username_cache:
        logger.info("resolution cache off: every name is looked up with ListUsers")
    service = ReinviteService(
        gateway,
        pool,
        concurrency=settings.max_concurrency,
        policy=settings.policy,
        ledger=ledger,
        # Its own threads: a claim or a settle never waits behind Wickr calls, and Wickr calls never wait for DynamoDB.
        ledger_pool=ThreadPoolExecutor(max_workers=LEDGER_WORKERS, thread_name_prefix="ledger"),
        dry_run=settings.dry_run,
        names=names,
        seal=seal,
    )
    queue = ReinviteQueue(sqs_client(), settings.reinvite_queue_url) if settings.reinvite_queue_url else None
    sweeper = Sweeper(
        gateway, queue, cursors, only_expired=settings.sweep_only_expired, dry_run=settings.dry_run, seal=seal
    )
    return Container(settings, gateway, service, sweeper)


@metrics.log_metrics
@tracing.trace_handler
@logger.inject_lambda_context(log_event=False)  # events name users: never logged whole
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One handler for two triggers: an SQS batch of reinvite requests, or one of the three scheduled sweep inputs.

    Anything else is refused whole, with an error-level line saying why, every metric at zero, and nothing done.
    """
    app = container()
    deadline = Deadline.after(context.get_remaining_time_in_millis(), app.settings.deadline_margin_ms)
    try:
        if isinstance(event, dict) and "Records" in event:
            return handle_sqs(sqs_records(event), app, deadline)
        return handle_sweep(event, app, deadline)
    except (EventShapeError, SweepInputError, SweepConfigError) as error:
        emit({})
        logger.error("invocation refused, nothing was done", reason=str(error), error_type=type(error).__name__)
        raise
    except Exception:
        if not metrics.metric_set:  # a bug, or Lambda's own failure: the alarms still get their datapoints
            emit({})
        raise


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
    emit(
        {
            Metric.USERS_ENQUEUED: enqueued,
            Metric.RATE_LIMITED: limited_after - limited_before,
            Metric.NETWORKS_NOT_FOUND: sum(result.network_not_found for result in results.values()),
        }
    )
    for network_id, result in results.items():
        backlog = {NetworkMetric.EXPIRED_INVITATIONS: result.expired}
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


def handle_sqs(records: list[dict[str, Any]], app: Container, deadline: Deadline) -> dict[str, Any]:
    """Reinvite what the batch asks for; answer in Lambda's partial-batch shape even when every record failed."""
    intake = read_records(records, app.settings.allowed_networks)
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
