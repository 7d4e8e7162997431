"""The resolve stage: usernames to user ids, from the cache where GetUser confirms it, else with ListUsers.

A cached id is trusted only when GetUser's answer for it still carries the username (Wickr's UpdateUser can rename a
user, with no 404 to tell): that answer is then also the user's check. An entry GetUser does not confirm is dropped
and the name looked up again, once, in this invocation. Every lookup runs on the worker pool; the cache is written on
the ledger pool and awaited before the invocation reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, Future
from typing import Any

from reinviter.core.deadline import Deadline
from reinviter.core.errors import DeadlineReached, LedgerUnavailable, UsernameTooBroad, WickrError, WickrNetworkNotFound
from reinviter.core.logs import logger
from reinviter.core.metric_names import Metric
from reinviter.core.model import ListedUser, UserOutcome, Verdict
from reinviter.core.outcomes import Outcomes
from reinviter.core.ports import NameCache, WickrPort
from reinviter.core.usernames import Found, NameKey, Resolutions, match, normalise


class Resolver:
    """Resolves a batch's usernames into `Resolutions`, over the Wickr port and the name cache port."""

    def __init__(
        self, wickr: WickrPort, names: NameCache, wickr_pool: Executor, cache_pool: Executor, *, dry_run: bool
    ) -> None:
        self._wickr = wickr
        self._names = names
        self._wickr_pool = wickr_pool
        self._cache_pool = cache_pool
        self._dry_run = dry_run

    def resolve(
        self, keys: Sequence[NameKey], resolutions: Resolutions, outcomes: Outcomes, deadline: Deadline
    ) -> list[Future[Any]]:
        """Resolve every key into `resolutions`; returns the cache writes under way (to await before reporting)."""
        if not keys:
            return []
        hits: dict[NameKey, str] = {}
        try:
            hits = self._names.read(keys, deadline)
        except LedgerUnavailable as error:
            logger.warning("resolution cache unavailable, every name is looked up", error=str(error))
        confirmations = {
            self._wickr_pool.submit(self._wickr.user, key.network_id, user_id, deadline): key
            for key, user_id in hits.items()
        }
        lookups = self._look_up([key for key in keys if key not in hits], deadline)
        stale = self._confirmed(confirmations, resolutions, outcomes)
        if stale:
            logger.info("cached resolutions out of date, looked up again", entries=len(stale))
            self._forget(stale, deadline.for_cleanup())
            lookups |= self._look_up(stale, deadline)
        outcomes.count(Metric.USERNAME_LOOKUPS, len(lookups))
        self._looked_up(lookups, resolutions, outcomes)
        resolved = {key: found.user_id for key in lookups.values() if isinstance(found := resolutions[key], Found)}
        if not resolved or self._dry_run:
            return []
        return [self._cache_pool.submit(self._remember, resolved, deadline.for_cleanup())]

    def _confirmed(
        self, confirmations: dict[Future[ListedUser | None], NameKey], resolutions: Resolutions, outcomes: Outcomes
    ) -> list[NameKey]:
        """Cached ids GetUser answered for: found when the username is still theirs; returns the stale entries."""
        stale: list[NameKey] = []
        for confirmation, key in confirmations.items():
            failure = confirmation.exception()
            if failure is not None:
                resolutions[key] = _failed("GetUser", key, failure, outcomes)
                continue
            user = confirmation.result()
            if user is None or normalise(user.username) != key.username:
                stale.append(key)
                continue
            resolutions[key] = Found(user.user_id, user.state)
            outcomes.count(Metric.USERNAME_CACHE_HITS)
        return stale

    @staticmethod
    def _looked_up(
        lookups: dict[Future[list[ListedUser]], NameKey], resolutions: Resolutions, outcomes: Outcomes
    ) -> None:
        for future, key in lookups.items():
            failure = future.exception()
            if failure is not None:
                resolutions[key] = _failed("ListUsers", key, failure, outcomes)
                continue
            listed = future.result()
            resolution = resolutions[key] = match(listed, key)
            logger.debug(
                "name looked up",
                network_id=key.network_id,
                listed=len(listed),  # partial matches included
                user_id=resolution.user_id if isinstance(resolution, Found) else None,
                outcome=resolution.reason if isinstance(resolution, UserOutcome) else "found",
            )

    def _look_up(self, keys: Sequence[NameKey], deadline: Deadline) -> dict[Future[list[ListedUser]], NameKey]:
        return {
            self._wickr_pool.submit(
                self._wickr.users_by_username, key.network_id, key.query or key.username, deadline
            ): (key)
            for key in keys
        }

    def _forget(self, outdated: list[NameKey], deadline: Deadline) -> None:
        if self._dry_run:
            return  # a dry run writes nothing: the lookup resolves these names again anyway
        try:
            self._names.forget(outdated, deadline)
        except LedgerUnavailable as error:  # the lookup writes the entries again if it finds anyone
            logger.warning("resolution cache entries not dropped", entries=len(outdated), error=str(error))

    def _remember(self, resolved: dict[NameKey, str], deadline: Deadline) -> None:
        try:
            self._names.remember(resolved, deadline)
        except LedgerUnavailable as error:  # costs a lookup next time, nothing else
            logger.warning("resolution cache not written", entries=len(resolved), error=str(error))


def _failed(operation: str, key: NameKey, failure: BaseException, outcomes: Outcomes) -> UserOutcome:
    if not isinstance(failure, WickrError):
        raise failure  # a bug, not a Wickr answer
    if isinstance(failure, WickrNetworkNotFound):
        outcomes.network_not_found(key.network_id, failure)
    if isinstance(failure, DeadlineReached):
        return UserOutcome(Verdict.UNFINISHED, f"{operation}: no time left")
    if isinstance(failure, UsernameTooBroad):
        return UserOutcome(Verdict.FAILED, f"{operation}: {failure}")
    return UserOutcome(Verdict.FAILED, f"{operation}: {failure.code or type(failure).__name__}")
