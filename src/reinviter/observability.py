"""Logger and Metrics singletons (configured by the POWERTOOLS_* variables) and the metric names operators alarm on."""

from __future__ import annotations

import enum
import logging

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

# The uncaught-exception hook is the Lambda entry point's to install (handler.py): the operators' command line imports
# this module too, and must print its own errors, not a traceback as a JSON log line.
logger = Logger(log_uncaught_exceptions=False)
metrics = Metrics()

# The SDKs' own loggers print request parameters and bodies at DEBUG (usernames in a ListUsers query, names in a
# GetUser answer): held at WARNING whatever the root logger's level, so POWERTOOLS_LOG_LEVEL=DEBUG debugs our code.
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "aws_xray_sdk")
for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)


class Metric(enum.StrEnum):
    """EMF metric names: a contract with the operators' alarms and the template's dashboard."""

    USERS_CHECKED = "UsersChecked"  # GetUser answered (including "no such user"), or ListUsers for a username
    USERS_REINVITED = "UsersReinvited"  # listed as successful by BatchReinviteUser
    USERS_SKIPPED = "UsersSkipped"  # not pending, suspended, unknown, in cooldown, claimed elsewhere
    USERS_GIVEN_UP = "UsersGivenUp"  # reached REINVITE_MAX_ATTEMPTS
    USERS_ENQUEUED = "UsersEnqueued"  # sent to the queue by the scheduled sweep
    REINVITE_FAILED = "ReinviteFailed"  # per-user failures
    RATE_LIMITED = "RateLimited"  # 429 answers seen
    INVALID_MESSAGES = "InvalidMessages"  # records that can never succeed (sent on to the DLQ)
    MESSAGES_FAILED = "MessagesFailed"  # every record reported in batchItemFailures, invalid ones included
    NETWORKS_NOT_FOUND = "NetworksNotFound"  # allowlisted networks Wickr answered 404 for (not a user: the network)
    USERNAME_LOOKUPS = "UsernameLookups"  # usernames resolved with ListUsers (one lookup each, all its pages)
    USERNAME_CACHE_HITS = "UsernameCacheHits"  # usernames resolved from the ledger table's cache, no Wickr call


def emit(counts: dict[Metric, int]) -> None:
    """Add every metric to this invocation's EMF blob, zero where `counts` has none.

    Every invocation, whatever its trigger and however it ended, emits every metric: an alarm needs a datapoint to
    see that all is well, and a dashboard line should not vanish on the days the sweep runs.
    """
    for name in Metric:
        metrics.add_metric(name=name.value, unit=MetricUnit.Count, value=counts.get(name, 0))


class NetworkMetric(enum.StrEnum):
    """Per-network EMF metrics of the sweep (dimensions `service` and `network_id`): the backlog an operator watches."""

    PENDING_USERS = "PendingUsers"  # GetUsersCount's pending users, one reading per sweep
    EXPIRED_INVITATIONS = "ExpiredInvitations"  # pending users the sweep listed whose invitation code expired


def emit_network(network_id: str, counts: dict[NetworkMetric, int]) -> None:
    """One EMF blob for one network (a network id is no personal data; the service-wide blob keeps one dimension)."""
    for name, value in counts.items():
        with single_metric(name=name.value, unit=MetricUnit.Count, value=value, namespace=metrics.namespace) as blob:
            blob.add_dimension(name="service", value=metrics.service or "wickr-reinviter")
            blob.add_dimension(name="network_id", value=network_id)
