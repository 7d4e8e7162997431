"""The EMF metric names operators alarm on: a contract with the alarms and the template's dashboard (pure names)."""

from __future__ import annotations

import enum


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
    USERS_JOINED = "UsersJoined"  # reinvited users a check saw active, each counted once (by the run recording it)


class JoinSample(enum.StrEnum):
    """One value per joined user (so CloudWatch percentiles work); emitted only when there are joins."""

    REINVITES_BEFORE_JOIN = "ReinvitesBeforeJoin"
    HOURS_TO_JOIN = "HoursToJoin"  # since the first reinvite


class NetworkMetric(enum.StrEnum):
    """Per-network EMF metrics (dimensions `service` and `network_id`): the backlog and joins an operator watches."""

    PENDING_USERS = "PendingUsers"  # GetUsersCount's pending users, one reading per sweep
    EXPIRED_INVITATIONS = "ExpiredInvitations"  # pending users the sweep listed whose invitation code expired
    USERS_JOINED = "UsersJoined"  # per network too (SQS batches: every network the batch named, zeros included)
    USERS_REINVITED = "UsersReinvited"  # per network too, beside the joins: the dashboard's conversion
