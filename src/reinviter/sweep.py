"""The scheduled sweep: list every pending user of the chosen networks and queue them as reinvite requests.

The sweep only fans out; the SQS path does the checking, the ledger and the reinvites, so a user queued twice (a page
queued again after a crash before its cursor was saved) is still reinvited once per cooldown. Progress is kept per
page: a page's messages are all queued before the cursor moves past it, and a run that meets its deadline leaves a
cursor the next run continues from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from reinviter.aws_errors import error_code
from reinviter.deadline import Deadline
from reinviter.errors import DeadlineReached, LedgerUnavailable, PermanentWickrError, WickrError, WickrNetworkNotFound
from reinviter.listing import ListingSeal
from reinviter.models import MAX_USERS_PER_REINVITE, SweepSubset
from reinviter.observability import logger
from reinviter.ports import Cursors
from reinviter.queue import QueueError, ReinviteQueue
from reinviter.wickr import WickrGateway
from reinviter.wickr_answers import PendingUser

SCHEDULED_EVENT = "Scheduled Event"  # the classic EventBridge rule's detail-type
REFUSED_TOKEN_CODES = frozenset({"ValidationError", "BadRequestError"})
# A cursor request's worst case under CURSORS_CONFIG (handler.py): 2 attempts of 1 s to connect and 2 s to read.
CURSOR_BUDGET_S = 6.0
PAGE_TAIL_S = CURSOR_BUDGET_S + 4.0  # after a page: its SendMessageBatch calls (a few hundred ms) and its cursor


class SweepConfigError(ValueError):
    """The deployment cannot sweep (no queue to fan out to)."""


class SweepInputError(ValueError):
    """The scheduled input names something the function may not sweep."""


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
        }


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


def _aws_error(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        return error_code(error) or "ClientError"
    return type(error).__name__


class Sweeper:
    """Lists pending users page by page and queues them, 50 ids to a message, keeping a cursor per network."""

    def __init__(
        self,
        gateway: WickrGateway,
        queue: ReinviteQueue | None,
        cursors: Cursors,
        *,
        only_expired: bool = False,
        dry_run: bool = False,
        seal: ListingSeal | None = None,
    ) -> None:
        self._gateway = gateway
        self._queue = queue
        self._cursors = cursors
        self._only_expired = only_expired
        self._dry_run = dry_run
        self._seal = seal

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

    def _sweep(self, network_id: str, queue: ReinviteQueue, deadline: Deadline) -> NetworkSweep:
        result = NetworkSweep()
        try:
            start = self._start(network_id, deadline)
            result.pending = self._backlog(network_id, deadline)
            try:
                self._pages(network_id, start, queue, deadline, result)
            except PermanentWickrError as error:
                if start is None or result.pages or error.code not in REFUSED_TOKEN_CODES:
                    raise
                # Wickr does not say how long it honours a token; an old one is refused: list from the start.
                logger.warning("stored sweep cursor refused, restarting the network", network_id=network_id)
                result.restarted = True
                self._pages(network_id, None, queue, deadline, result)
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
        except (ClientError, BotoCoreError) as error:  # the cursor's DynamoDB: this network fails, the others go on
            result.error = f"sweep cursor: {_aws_error(error)}"
            logger.error("sweep cursor failed", network_id=network_id, error=_aws_error(error))
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
        if not deadline.allows(CURSOR_BUDGET_S):
            raise DeadlineReached("no time left to read the sweep cursor", code="Deadline")
        return self._cursors.load(network_id)

    def _pages(
        self, network_id: str, start: str | None, queue: ReinviteQueue, deadline: Deadline, result: NetworkSweep
    ) -> None:
        # A page is listed only if there is time to queue it and store its cursor after it, so no run ends between.
        pages = self._gateway.pending_users(network_id, deadline.earlier(PAGE_TAIL_S), start)
        while True:
            listed_at_ms = self._seal.now_ms() if self._seal is not None else 0  # before the page is asked for
            found = next(pages, None)
            if found is None:
                return
            page, next_token = found
            selected = [user.user_id for user in page if self._wanted(user)]
            bodies = [
                self._body(network_id, selected[index : index + MAX_USERS_PER_REINVITE], listed_at_ms, deadline)
                for index in range(0, len(selected), MAX_USERS_PER_REINVITE)
            ]
            if not self._dry_run:
                queue.send(bodies, deadline.earlier(CURSOR_BUDGET_S))  # all of it, or QueueError: the cursor stays
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
