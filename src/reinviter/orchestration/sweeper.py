"""The scheduled sweep: list every pending user of the chosen networks and queue them as reinvite requests.

The sweep only fans out; the SQS path does the checking, the ledger and the reinvites, so a user queued twice (a page
queued again after a crash before its cursor was saved) is still reinvited once per cooldown. Progress is kept per
page: a page's messages are all queued before the cursor moves past it, and a run that meets its deadline leaves a
cursor the next run continues from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reinviter.core.deadline import Deadline
from reinviter.core.errors import (
    DeadlineReached,
    LedgerUnavailable,
    PermanentWickrError,
    QueueError,
    WickrError,
    WickrNetworkNotFound,
)
from reinviter.core.logs import logger
from reinviter.core.model import MAX_USERS_PER_REINVITE, PendingUser
from reinviter.core.ports import Cursors, QueuePort, SweepListing
from reinviter.core.seal import ListingSeal
from reinviter.orchestration.awaiting import AwaitingCheck, AwaitingChecker

REFUSED_TOKEN_CODES = frozenset({"ValidationError", "BadRequestError"})
QUEUE_TAIL_S = 4.0  # after a page, before its cursor: its SendMessageBatch calls (a few hundred ms)


class SweepConfigError(ValueError):
    """The deployment cannot sweep (no queue to fan out to)."""


@dataclass(slots=True)
class NetworkSweep:
    """What one run did in one network."""

    pages: int = 0
    users_listed: int = 0  # pending users on the pages read (before the expired-only filter)
    users_selected: int = 0  # those the run queues (or, dry run, would queue)
    users_enqueued: int = 0
    finished: bool = False
    restarted: bool = False  # the stored cursor was refused and the network listed from the beginning
    network_not_found: bool = False  # Wickr answered 404 for the network itself
    pending: int | None = None  # GetUsersCount's pending users (None when it could not be read)
    expired: int = 0  # listed pending users whose invitation has expired
    error: str | None = None
    awaiting: AwaitingCheck | None = None  # the join check, run once the listing finished in this run

    def as_dict(self) -> dict[str, Any]:
        """The summary's per-network entry."""
        return {
            "pages": self.pages,
            "usersListed": self.users_listed,
            "usersSelected": self.users_selected,
            "usersEnqueued": self.users_enqueued,
            "finished": self.finished,
            "resumable": not self.finished,
            "restarted": self.restarted,
            "networkNotFound": self.network_not_found,
            "pendingUsers": self.pending,
            "expiredInvitations": self.expired,
            "error": self.error,
            "awaitingChecked": self.awaiting.checked if self.awaiting else 0,
            "usersJoined": len(self.awaiting.joins) if self.awaiting else 0,
            "awaitingFinished": self.awaiting.finished if self.awaiting else False,
        }


class Sweeper:
    """Lists pending users page by page and queues them, 50 ids to a message, keeping a cursor per network."""

    def __init__(
        self,
        gateway: SweepListing,
        queue: QueuePort | None,
        cursors: Cursors,
        *,
        only_expired: bool = False,
        dry_run: bool = False,
        seal: ListingSeal | None = None,
        awaiting: AwaitingChecker | None = None,
    ) -> None:
        self._gateway = gateway
        self._awaiting = awaiting
        self._queue = queue
        self._cursors = cursors
        self._only_expired = only_expired
        self._dry_run = dry_run
        self._seal = seal
        # A page is listed only if there is time after it to queue it and store its cursor, so no run ends between.
        self._page_tail_s = cursors.budget_s + QUEUE_TAIL_S

    def run(self, network_ids: Iterable[str], deadline: Deadline) -> dict[str, NetworkSweep]:
        """Sweep each network in turn until done or the deadline; a failed network does not stop the others.

        Raises:
            SweepConfigError: When there is no queue to send to (REINVITE_QUEUE_URL is empty).
        """
        if self._queue is None:
            raise SweepConfigError("REINVITE_QUEUE_URL is empty: the sweep has no queue to send reinvite requests to")
        results: dict[str, NetworkSweep] = {}
        for network_id in network_ids:
            results[network_id] = self._sweep(network_id, self._queue, deadline)
        return results

    def _sweep(self, network_id: str, queue: QueuePort, deadline: Deadline) -> NetworkSweep:
        result = NetworkSweep()
        try:
            start = self._start(network_id, deadline)
            result.pending = self._backlog(network_id, deadline)
            listed: set[str] = set()
            try:
                self._pages(network_id, start, queue, deadline, result, listed)
            except PermanentWickrError as error:
                if start is None or result.pages or error.code not in REFUSED_TOKEN_CODES:
                    raise
                # Wickr does not say how long it honours a token; an old one is refused: list from the start.
                logger.warning("stored sweep cursor refused, restarting the network", network_id=network_id)
                result.restarted = True
                self._pages(network_id, None, queue, deadline, result, listed)
            if result.finished and self._awaiting is not None and not self._dry_run:
                # Only a resumed listing's pages are in `listed`: the users of the earlier ones cost a GetUser each.
                result.awaiting = self._awaiting.check(network_id, listed, deadline)
        except DeadlineReached:
            logger.info("sweep deadline reached, will resume", network_id=network_id, pages=result.pages)
        except WickrNetworkNotFound as error:
            result.error = "ListUsers: the network is unknown to Wickr"
            result.network_not_found = True
            logger.error("network unknown to Wickr", network_id=network_id, error=str(error))
        except WickrError as error:
            result.error = f"ListUsers: {error.code or error}"
            logger.error("sweep of network failed", network_id=network_id, error=str(error), code=error.code)
        except QueueError as error:
            result.error = f"SendMessageBatch: {error}"
            logger.error("sweep could not queue a page", network_id=network_id, error=str(error))
        except LedgerUnavailable as error:  # the cursor's DynamoDB: this network fails, the others go on
            result.error = f"sweep cursor: {error}"
            logger.error("sweep cursor failed", network_id=network_id, error=str(error))
        logger.info(
            "network swept" if result.finished else "network sweep unfinished",
            network_id=network_id,
            **{key: value for key, value in result.as_dict().items() if key != "error"},
            dry_run=self._dry_run,
        )
        return result

    def _backlog(self, network_id: str, deadline: Deadline) -> int | None:
        """The network's pending backlog for the dashboard: one GetUsersCount a network and sweep.

        Raises:
            WickrNetworkNotFound: The network is unknown (the sweep of it fails, as a ListUsers 404 would).
        """
        try:
            return self._gateway.pending_count(network_id, deadline)
        except WickrNetworkNotFound:
            raise
        except PermanentWickrError as error:
            if error.code == "ResourceNotFoundError":
                raise WickrNetworkNotFound(f"network {network_id} is unknown to Wickr", code=error.code) from None
            logger.warning("backlog not read", network_id=network_id, error=str(error), code=error.code)
        except WickrError as error:  # the backlog is an observation: its failure never stops the sweep
            logger.warning("backlog not read", network_id=network_id, error=str(error), code=error.code)
        return None

    def _start(self, network_id: str, deadline: Deadline) -> str | None:
        """Where this run starts: the stored cursor (a dry run neither uses nor moves it)."""
        if self._dry_run:
            return None
        if not deadline.allows(self._cursors.budget_s):
            raise DeadlineReached("no time left to read the sweep cursor", code="Deadline")
        return self._cursors.load(network_id)

    def _pages(  # noqa: PLR0917 - one network's run
        self,
        network_id: str,
        start: str | None,
        queue: QueuePort,
        deadline: Deadline,
        result: NetworkSweep,
        listed: set[str],
    ) -> None:
        pages = self._gateway.pending_users(network_id, deadline.earlier(self._page_tail_s), start)
        while True:
            listed_at_ms = self._seal.now_ms() if self._seal is not None else 0  # before the page is asked for
            found = next(pages, None)
            if found is None:
                return
            page, next_token = found
            listed.update(user.user_id for user in page)
            selected = [user.user_id for user in page if self._wanted(user)]
            bodies = [
                self._body(network_id, selected[index : index + MAX_USERS_PER_REINVITE], listed_at_ms, deadline)
                for index in range(0, len(selected), MAX_USERS_PER_REINVITE)
            ]
            if not self._dry_run:
                # All of it, or QueueError: the cursor stays.
                queue.send(bodies, deadline.earlier(self._cursors.budget_s))
                if next_token is None:
                    self._cursors.delete(network_id)
                else:
                    self._cursors.save(network_id, next_token)
                result.users_enqueued += len(selected)
            result.pages += 1
            result.users_listed += len(page)
            result.expired += sum(user.invite_expired for user in page)
            result.users_selected += len(selected)
            if next_token is None:
                result.finished = True

    def _body(self, network_id: str, user_ids: list[str], listed_at_ms: int, deadline: Deadline) -> dict[str, Any]:
        """One message: the users, and the seal that spares them a GetUser while the listing is fresh."""
        body: dict[str, Any] = {"networkId": network_id, "userIds": user_ids}
        if self._seal is None or self._dry_run:
            return body
        try:
            body["listing"] = self._seal.seal(network_id, user_ids, listed_at_ms, deadline).as_body()
        except LedgerUnavailable as error:  # unsealed, its users are checked with GetUser: slower, never wrong
            logger.warning("sweep message not sealed", network_id=network_id, error=str(error))
        return body

    def _wanted(self, user: PendingUser) -> bool:
        return user.invite_expired or not self._only_expired
