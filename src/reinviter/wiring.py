"""The composition root: what is built once per container, in which mode, from the settings.

Each adapter gets its own client (its own timeouts); the core and the orchestration get only ports.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial

import boto3

from reinviter.adapters.dynamodb import (
    CURSORS_CONFIG,
    DYNAMODB_CONFIG,
    DynamoAwaiting,
    DynamoCursors,
    DynamoLedger,
    DynamoNameCache,
)
from reinviter.adapters.events import OutcomeBus, events_client
from reinviter.adapters.secrets import SECRET_CONFIG, SecretKey
from reinviter.adapters.sqs import ReinviteQueue, sqs_client
from reinviter.adapters.wickr import RequestPacer, WickrGateway, wickr_client
from reinviter.core.clock import current_time
from reinviter.core.ports import Cursors, NameCache, NoCursors, NoNameCache, NoPublisher, OutcomePublisher
from reinviter.core.seal import ListingSeal
from reinviter.orchestration.awaiting import AwaitingChecker
from reinviter.orchestration.service import ReinviteService
from reinviter.orchestration.sweeper import Sweeper
from reinviter.settings import Settings, get_settings
from reinviter.telemetry.logger import logger

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


def _publisher(settings: Settings) -> OutcomePublisher:
    """Where outcome events go: the configured bus, or nowhere."""
    if not settings.outcome_event_bus:
        logger.info("outcome events off: OUTCOME_EVENT_BUS is empty")
        return NoPublisher()
    return OutcomeBus(events_client(), settings.outcome_event_bus)


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
    publisher = _publisher(settings)
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
        publisher=publisher,
    )
    queue = ReinviteQueue(sqs_client(), settings.reinvite_queue_url) if settings.reinvite_queue_url else None
    awaiting = None
    if ledger is not None:  # the sweep's join check: its own client, the ledger's writes
        found = DynamoAwaiting(boto3.client("dynamodb", config=DYNAMODB_CONFIG), settings.ledger_table, ledger)
        awaiting = AwaitingChecker(found, gateway, cursors, current_time, publisher, pool=pool)
    sweeper = Sweeper(
        gateway,
        queue,
        cursors,
        only_expired=settings.sweep_only_expired,
        dry_run=settings.dry_run,
        seal=seal,
        awaiting=awaiting,
    )
    return Container(settings, gateway, service, sweeper)
