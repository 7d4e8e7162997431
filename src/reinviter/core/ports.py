"""Every port the core and the orchestration depend on, on one page: they are built from these, adapters implement them.

Production adapters (under `adapters/`): `wickr.WickrGateway` (Wickr, both ports), `dynamodb.DynamoLedger` (claims),
`dynamodb.DynamoNameCache`, `dynamodb.DynamoCursors`, `dynamodb.DynamoAwaiting`, `sqs.ReinviteQueue` (the sweep's
queue), `events.OutcomeBus` (outcome events), `secrets.SecretKey` (the stack's key), `core.clock.current_time`.
The null adapters beside the ports are the explicit "not configured" modes (no table: nothing recorded, nothing
remembered, nothing resumed; no bus: nothing published). Unit and model-based tests implement them over dicts
(devkit/fakes.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, Protocol

from reinviter.core.deadline import Deadline
from reinviter.core.events import OutcomeEvent
from reinviter.core.model import HashKey, ListedUser, PendingUser, ReinviteReceipt, UserKey, UserState
from reinviter.core.planning import ReinviteCall
from reinviter.core.policy import LedgerRecord
from reinviter.core.usernames import NameKey

Clock = Callable[[], float]  # epoch seconds
KeySource = Callable[[Deadline], HashKey]  # the stack's current key; raises LedgerUnavailable when it cannot be read


class WickrPort(Protocol):
    """The Wickr calls the core makes (`wickr.WickrGateway` in production)."""

    def user_state(self, network_id: str, user_id: str, deadline: Deadline) -> UserState:
        """GetUser, reduced to what decides a reinvite."""

    def user(self, network_id: str, user_id: str, deadline: Deadline) -> ListedUser | None:
        """GetUser, reduced to the state and the username (None: no such user)."""

    def reinvite(self, network_id: str, user_ids: list[str], client_token: str, deadline: Deadline) -> ReinviteReceipt:
        """One BatchReinviteUser call."""

    def users_by_username(self, network_id: str, username: str, deadline: Deadline) -> list[ListedUser]:
        """ListUsers with its username filter, every page (the match may be partial)."""


class SweepListing(Protocol):
    """The Wickr calls the sweep makes (`wickr.WickrGateway` in production)."""

    def pending_count(self, network_id: str, deadline: Deadline) -> int:
        """GetUsersCount's pending users of the network."""

    def pending_users(
        self, network_id: str, deadline: Deadline, start_token: str | None = None
    ) -> Iterator[tuple[list[PendingUser], str | None]]:
        """Pages of pending users, each with the token of the page after it (None after the last page)."""


class Ledger(Protocol):
    """The ledger as the reinvite core uses it. Every method raises LedgerUnavailable when DynamoDB fails it."""

    # Whether it records anything. The one switch of the no-ledger mode: without a durable ledger, each message is a
    # call of its own users with a token of its own (planning.py), the only guard against sending twice.
    durable: bool

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        """The records of these users (a user without one is absent)."""

    def claim(
        self, call: ReinviteCall, seen: Mapping[UserKey, LedgerRecord | None], deadline: Deadline
    ) -> dict[UserKey, LedgerRecord | None]:
        """Claim every user of the call, or none: those whose record is no longer what was `seen` (empty: claimed)."""

    def take_over(self, call: ReinviteCall, deadline: Deadline) -> bool:
        """Extend the lease of a stale claim held by all of `call`'s users; False if another invocation was first."""

    def settle(
        self, call: ReinviteCall, receipt: ReinviteReceipt, attempts: Mapping[UserKey, int], deadline: Deadline
    ) -> list[UserKey]:
        """Record Wickr's answer (`attempts`: each user's count when claimed); returns who reached the cap."""

    def release(self, call: ReinviteCall, deadline: Deadline) -> None:
        """The call certainly never reached Wickr: free its users."""

    def record_join(self, key: UserKey, seen: LedgerRecord, deadline: Deadline) -> bool:
        """Mark a reinvited user joined; True if this call did (a join is counted once), False if the record moved."""


class NoLedger:
    """No table configured: nothing is recorded, nothing refused."""

    durable = False

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        """No records."""
        return {}

    def claim(
        self, call: ReinviteCall, seen: Mapping[UserKey, LedgerRecord | None], deadline: Deadline
    ) -> dict[UserKey, LedgerRecord | None]:
        """Always claimed."""
        return {}

    def take_over(self, call: ReinviteCall, deadline: Deadline) -> bool:
        """There are no stale claims without a table."""
        return False

    def settle(
        self, call: ReinviteCall, receipt: ReinviteReceipt, attempts: Mapping[UserKey, int], deadline: Deadline
    ) -> list[UserKey]:
        """Nothing to record."""
        return []

    def release(self, call: ReinviteCall, deadline: Deadline) -> None:
        """Nothing to release."""

    def record_join(self, key: UserKey, seen: LedgerRecord, deadline: Deadline) -> bool:
        """Without records nobody is known to have been reinvited."""
        return False


class NameCache(Protocol):
    """Resolutions remembered across invocations (`dynamodb.DynamoNameCache` in production)."""

    def read(self, keys: Sequence[NameKey], deadline: Deadline) -> dict[NameKey, str]:
        """The remembered user ids of these usernames (a miss is simply absent)."""

    def remember(self, resolved: dict[NameKey, str], deadline: Deadline) -> None:
        """Remember these resolutions (best effort: a failure costs a lookup next time, nothing else)."""

    def forget(self, keys: Sequence[NameKey], deadline: Deadline) -> None:
        """Drop these resolutions: Wickr no longer knows the ids they remembered."""


class NoNameCache:
    """No table: every username is looked up."""

    def read(self, keys: Sequence[NameKey], deadline: Deadline) -> dict[NameKey, str]:
        """Nothing is remembered."""
        return {}

    def remember(self, resolved: dict[NameKey, str], deadline: Deadline) -> None:
        """Nothing to remember it in."""

    def forget(self, keys: Sequence[NameKey], deadline: Deadline) -> None:
        """Nothing to forget."""


class AwaitingOutcomes(Protocol):
    """Reinvited users with no outcome yet, by network (`dynamodb.DynamoAwaiting`). Raises LedgerUnavailable."""

    def page(self, network_id: str, after: str | None, deadline: Deadline) -> tuple[list[str], str | None]:
        """A page of awaiting user ids after the key `after`, and the key to continue from (None: the last page)."""

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        """The users' records, read consistently."""

    def record_join(self, key: UserKey, seen: LedgerRecord, deadline: Deadline) -> bool:
        """Mark the user joined (True if this call did), as `Ledger.record_join`."""

    def record_gone(self, key: UserKey, seen: LedgerRecord, outcome: str, deadline: Deadline) -> bool:
        """Record that the user was deleted or suspended, and stop awaiting them (True if this call did)."""


class Cursors(Protocol):
    """Where each network's unfinished sweep continues. Every method raises LedgerUnavailable when its store fails."""

    budget_s: float  # the longest one request can take (its timeouts and attempts): it starts only if this fits

    def load(self, network_id: str) -> str | None:
        """The stored next token, if any."""

    def save(self, network_id: str, token: str) -> None:
        """Store the next token."""

    def delete(self, network_id: str) -> None:
        """Forget the network's cursor."""


class NoCursors:
    """No ledger table: every run starts from the beginning (and a run cut short is not resumed)."""

    budget_s = 0.0

    def load(self, network_id: str) -> str | None:
        """Nothing stored."""
        return None

    def save(self, network_id: str, token: str) -> None:
        """Nothing to store."""

    def delete(self, network_id: str) -> None:
        """Nothing to delete."""


class OutcomePublisher(Protocol):
    """Where outcome events go (`events.OutcomeBus`: EventBridge PutEvents)."""

    enabled: bool  # False: no bus configured, so no event is even built

    def publish(self, events: Sequence[OutcomeEvent], deadline: Deadline) -> set[str]:
        """Publish every event (retrying failed entries); the ids of those still unpublished (empty: all were)."""


class NoPublisher:
    """OUTCOME_EVENT_BUS is empty: outcomes are logged and counted, not published."""

    enabled = False

    def publish(self, events: Sequence[OutcomeEvent], deadline: Deadline) -> set[str]:
        """Nothing to publish to."""
        return set()


class QueuePort(Protocol):
    """The sweep's way to the reinvite queue."""

    def send(self, bodies: Sequence[dict[str, Any]], deadline: Deadline) -> None:
        """Queue every body, or raise before the caller records progress past them."""
