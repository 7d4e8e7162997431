"""The only module that talks to the Wickr Admin API: boto3 behind a small gateway, errors translated, 429 retried.

botocore's `standard` and `adaptive` retry modes do not retry Wickr's RateLimitError (HTTP 429), and its own retries
would multiply with ours, so the client is built with SDK retries off and every retry decision is made here: 429, 5xx
and broken connections are retried with exponential backoff and full jitter, never past the invocation's deadline.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.adapters.aws import user_agent_once
from reinviter.adapters.wickr.answers import (
    RATE_LIMITED,
    STATUS_PENDING,
    Answer,
    IncompleteAnswerError,
    WickrUser,
    read_page,
    read_pending_count,
    read_receipt,
    read_user,
    scrub_errors,
    state_of,
    translate,
)
from reinviter.adapters.wickr.calls import CallCounter
from reinviter.adapters.wickr.pacing import RequestPacer
from reinviter.core.deadline import Deadline
from reinviter.core.errors import (
    DeadlineReached,
    PermanentWickrError,
    RetryableWickrError,
    UsernameTooBroad,
    WickrError,
    WickrNetworkNotFound,
)
from reinviter.core.model import MAX_USERS_PER_REINVITE, ListedUser, PendingUser, ReinviteReceipt, UserState
from reinviter.core.retry import Attempts, Backoff
from reinviter.telemetry import tracing
from reinviter.telemetry.logger import logger

if TYPE_CHECKING:
    from mypy_boto3_wickr import WickrAdminAPIClient as WickrClient
else:
    WickrClient = Any

T = TypeVar("T")

NOT_FOUND = "ResourceNotFoundError"
UNKNOWN_NETWORK_MEMORY_S = 300.0
# A Wickr call that takes longer than this is retried (a reinvite with the same token is one answer, so it is safe).
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 5.0
# A call starts only if it would time out before the deadline: the deadline's margin stays free for reporting.
CALL_BUDGET_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
LIST_PAGE_SIZE = 100  # ListUsers' largest page
# A username lookup reads at most this many pages: the filter matches partially, so a short username (`a@x.org`) may
# match thousands; an exact match hidden among more than 1,000 partial ones fails its entry rather than page forever.
MAX_LOOKUP_PAGES = 10


class KnownNetworks:
    """Which networks Wickr knows, asked once per network and container after a user's 404.

    GetUser answers 404 (ResourceNotFoundError) for an unknown user and an unknown network alike; only the message
    differs, and the model does not promise its wording. A one-user ListUsers tells them apart with a permission the
    function already has: it answers 404 only when the network itself is unknown. Concurrent 404s of one network wait
    for the one question in flight (a call already running, never one queued behind them); an unknown network is
    remembered for a few minutes, so a network created meanwhile is found again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, bool | float] = {}  # True: exists; a number: unknown until then (monotonic)
        self._questions: dict[str, threading.Lock] = {}

    def confirm(self, network_id: str, ask: Callable[[], None]) -> None:
        """Return if the network exists; `ask` is the question (ListUsers), asked only when nothing is remembered.

        Raises:
            WickrNetworkNotFound: Wickr does not know the network.
        """
        with self._lock:
            question = self._questions.setdefault(network_id, threading.Lock())
        with question:
            known = self._known.get(network_id)
            if known is True:
                return
            if known is not None and time.monotonic() < known:
                raise _unknown_network(network_id)
            try:
                ask()
            except PermanentWickrError as error:
                if error.code != NOT_FOUND:
                    raise
                self._known[network_id] = time.monotonic() + UNKNOWN_NETWORK_MEMORY_S
                raise _unknown_network(network_id) from None
            self._known[network_id] = True


class WickrTransport:
    """How every Wickr call is made: our retries under the one retry rule, pacing, answer validation, counting.

    The client makes one attempt and this class decides every retry, never past the deadline (why: the module's
    docstring).
    """

    def __init__(
        self,
        client: WickrClient,
        *,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
        pacer: RequestPacer | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff()
        self._pacer = pacer or RequestPacer()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._sleep = sleep
        self.counter = CallCounter()
        self._networks = KnownNetworks()  # which networks exist, learnt once per container (see KnownNetworks)

    def _call(
        self,
        operation: str,
        network_id: str,
        deadline: Deadline,
        send: Callable[[], Answer],
        read: Callable[[Answer], T],
    ) -> T:
        """Send with our retries and pacing; `read` checks the answer for what the caller decides on, and reduces it.

        A 200 that `read` refuses is a failed attempt like a 500 (retried, `maybe_sent`): never a verdict.
        """
        maybe_sent = False  # a 5xx or a timeout may have been acted on; a 429 or a 4xx was not
        last: tuple[WickrError, BaseException] | None = None
        attempts = self._attempts(deadline)
        for attempt in attempts:
            # The call must be able to time out before the deadline once the pacer lets it go, wait included.
            if not self._pacer.acquire(deadline, CALL_BUDGET_S) or not deadline.allows(CALL_BUDGET_S):
                break
            try:
                with tracing.span(f"wickr.{operation}", network_id=network_id, attempt=attempt + 1):
                    answer = send()
                    self.counter.record(rate_limited=False)
                    result = read(answer)
            except (ClientError, BotoCoreError, IncompleteAnswerError) as raw:
                error = self._failed(operation, network_id, raw)
                maybe_sent = maybe_sent or (isinstance(error, RetryableWickrError) and error.status != RATE_LIMITED)
                if not isinstance(error, RetryableWickrError):
                    raise _marked(error, maybe_sent) from raw
                last = (error, raw)
                continue
            self._pacer.on_success()
            return result
        if last is None:
            raise _marked(
                DeadlineReached(f"{operation}: no time left before the deadline", code="Deadline"), maybe_sent
            )
        error, cause = last
        if attempts.out_of_time:
            late = DeadlineReached(f"{operation}: retry would pass the deadline ({error})", code=error.code)
            raise _marked(late, maybe_sent) from cause
        raise _marked(error, maybe_sent) from cause

    def _attempts(self, deadline: Deadline) -> Attempts:
        """This call's attempts under the one retry rule (retry.py)."""
        return Attempts(
            deadline,
            budget_s=CALL_BUDGET_S,
            max_attempts=self._max_attempts,
            backoff=self._backoff,
            sleep=self._sleep,
            rng=self._rng,
        )

    def _failed(
        self, operation: str, network_id: str, raw: ClientError | BotoCoreError | IncompleteAnswerError
    ) -> WickrError:
        """One failed attempt: translated, counted, logged when malformed; a 429 slows the pacer."""
        error = translate(operation, raw)
        if isinstance(raw, ClientError):
            self.counter.record(rate_limited=error.status == RATE_LIMITED)
        if isinstance(raw, IncompleteAnswerError):
            logger.warning("wickr answer malformed", operation=operation, network_id=network_id, problem=str(raw))
        if error.status == RATE_LIMITED:
            self._pacer.on_throttled()
        return error


class WickrGateway(WickrTransport):
    """GetUser, ListUsers, GetUsersCount and BatchReinviteUser: each answer validated before anything decides."""

    def user_state(self, network_id: str, user_id: str, deadline: Deadline) -> UserState:
        """What GetUser says of one user; a user Wickr does not know is NOT_FOUND, not an error.

        Raises:
            WickrNetworkNotFound: The 404 was for the network: no user of it can be checked.
        """
        user = self.user(network_id, user_id, deadline)
        return UserState.NOT_FOUND if user is None else user.state

    def user(self, network_id: str, user_id: str, deadline: Deadline) -> ListedUser | None:
        """GetUser reduced to the user's state and username (None: Wickr knows no such user).

        The username is there so that a cached resolution can be confirmed: it never leaves the caller's comparison.

        Raises:
            WickrNetworkNotFound: The 404 was for the network: no user of it can be checked.
        """
        answer = self._get_user(network_id, user_id, deadline)
        if answer is None:
            return None
        return ListedUser(user_id=user_id, state=state_of(answer), username=str(answer.get("username") or ""))

    def user_details(self, network_id: str, user_id: str, deadline: Deadline) -> WickrUser | None:
        """GetUser's answer, names included, for the operator's command line (None: Wickr knows no such user).

        The function itself needs only `user_state`: names are returned here so that an operator who asks can see
        them, never so that anything logs them (`WickrUser` keeps them out of its `repr`).

        Raises:
            WickrNetworkNotFound: The 404 was for the network: no user of it can be checked.
        """
        user = self._get_user(network_id, user_id, deadline)
        if user is None:
            return None
        return WickrUser(
            user_id=user_id,
            state=state_of(user),
            status=int(user["status"]),
            suspended=bool(user.get("suspended")),
            first_name=user.get("firstName") or "",
            last_name=user.get("lastName") or "",
            username=user.get("username") or "",
        )

    def _get_user(self, network_id: str, user_id: str, deadline: Deadline) -> Answer | None:
        try:
            user = self._call(
                "GetUser",
                network_id,
                deadline,
                lambda: self._client.get_user(networkId=network_id, userId=user_id),
                partial(read_user, user_id),
            )
        except PermanentWickrError as error:
            if error.code == NOT_FOUND:
                self._confirm_network(network_id, deadline)
                return None
            raise
        return user

    def reinvite(self, network_id: str, user_ids: list[str], client_token: str, deadline: Deadline) -> ReinviteReceipt:
        """One BatchReinviteUser call; the token makes a repeat of the same chunk one answer on Wickr's side."""
        if not 1 <= len(user_ids) <= MAX_USERS_PER_REINVITE:
            raise ValueError(f"a reinvite takes 1 to {MAX_USERS_PER_REINVITE} user ids, got {len(user_ids)}")
        return self._call(
            "BatchReinviteUser",
            network_id,
            deadline,
            lambda: self._client.batch_reinvite_user(networkId=network_id, userIds=user_ids, clientToken=client_token),
            partial(read_receipt, user_ids),
        )

    def pending_count(self, network_id: str, deadline: Deadline) -> int:
        """How many users of the network have not accepted their invitation (GetUsersCount's `pending`)."""
        return self._call(
            "GetUsersCount",
            network_id,
            deadline,
            lambda: self._client.get_users_count(networkId=network_id),
            read_pending_count,
        )

    def pending_users(
        self, network_id: str, deadline: Deadline, start_token: str | None = None
    ) -> Iterator[tuple[list[PendingUser], str | None]]:
        """Pages of pending users, each with the token of the page after it (None after the last page)."""
        token = start_token
        while True:
            kwargs: dict[str, Any] = {"networkId": network_id, "status": STATUS_PENDING, "maxResults": LIST_PAGE_SIZE}
            if token:
                kwargs["nextToken"] = token
            entries, token = self._list_page(network_id, kwargs, deadline)
            users = [
                PendingUser(user_id=entry["userId"], invite_expired=entry.get("isInviteExpired") is True)
                for entry in entries
                if state_of(entry) is UserState.PENDING
            ]
            yield users, token
            if token is None:
                return

    def users_by_username(
        self, network_id: str, username: str, deadline: Deadline, *, max_pages: int = MAX_LOOKUP_PAGES
    ) -> list[ListedUser]:
        """Every user ListUsers lists for its `username` filter, all pages, suspended users included.

        The filter may match partially (the model does not say), so the caller compares usernames exactly. Each page
        goes through the retry and pacing of `_call`; no page starts past the deadline. An error never carries the
        username, whatever Wickr's message said (`scrub_errors`).

        Raises:
            WickrNetworkNotFound: Wickr does not know the network.
            UsernameTooBroad: The filter matched more than `max_pages` pages of users (a partial match of many).
            WickrError: A page could not be read (after retries, or no time left).
        """
        users: list[ListedUser] = []
        kwargs: dict[str, Any] = {"networkId": network_id, "username": username, "maxResults": LIST_PAGE_SIZE}
        for _ in range(max_pages):
            entries, token = self._list_page(network_id, kwargs, deadline)
            users += [
                ListedUser(user_id=entry["userId"], state=state_of(entry), username=str(entry.get("username") or ""))
                for entry in entries
            ]
            if token is None:
                return users
            kwargs["nextToken"] = token
        raise UsernameTooBroad(
            f"the username filter matched more than {max_pages * LIST_PAGE_SIZE} users", code="TooManyMatches"
        )

    def _list_page(
        self, network_id: str, kwargs: dict[str, Any], deadline: Deadline
    ) -> tuple[list[Answer], str | None]:
        """One ListUsers page (validated) and the next page's token; its 404 is the network's (it names no user)."""
        try:
            return self._call("ListUsers", network_id, deadline, partial(self._client.list_users, **kwargs), read_page)
        except WickrError as error:
            if isinstance(error, PermanentWickrError) and error.code == NOT_FOUND:
                raise _unknown_network(network_id) from None
            raise error from None  # its text is ours alone (see `scrub_errors`): no cause to show a filter

    def _confirm_network(self, network_id: str, deadline: Deadline) -> None:
        """After a 404 for a user, whether Wickr knows the network (`KnownNetworks` asks once per container)."""

        def ask() -> None:
            self._call(
                "ListUsers",
                network_id,
                deadline,
                lambda: self._client.list_users(networkId=network_id, maxResults=1),
                read_page,
            )

        self._networks.confirm(network_id, ask)


def _unknown_network(network_id: str) -> WickrNetworkNotFound:
    return WickrNetworkNotFound(f"network {network_id} is unknown to Wickr", code=NOT_FOUND, status=404)


def _marked(error: WickrError, maybe_sent: bool) -> WickrError:
    error.maybe_sent = maybe_sent
    return error


@cache
def wickr_client(max_concurrency: int) -> WickrClient:
    """The container's one Wickr client, its connection pool sized to the worker pool.

    Built normally, so the standard `AWS_ENDPOINT_URL_WICKR` variable can point it at the local emulator.
    """
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},  # retries are ours (see the module docstring)
        max_pool_connections=max_concurrency,
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        user_agent_extra="wickr-reinviter",
        # Every request is built from checked values (the message schema's ids, the allowlist, the planner's calls of
        # at most 50 and its tokens), and botocore's own check knows less (a network id's length): at Lambda's CPU
        # share it was CPU per call for nothing.
        parameter_validation=False,
    )
    return scrub_errors(user_agent_once(boto3.client("wickr", config=config)))
