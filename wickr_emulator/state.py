"""The emulated networks and their users, and the seed file that fills them.

Nothing here locks: the emulator holds its one state lock around every call into this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

PENDING = 1
ACTIVE = 2
_STATUSES = frozenset({PENDING, ACTIVE})
# Mirrors the model's UserId (1-10 digits) and networkId ([0-9]{8}) so that seeds cannot hold what the API rejects.
_USER_ID = re.compile(r"[0-9]{1,10}")
_NETWORK_ID = re.compile(r"[0-9]{8}")
_MAX_USER_ID = 9_999_999_999


def check_network_id(network_id: str) -> str:
    """Reject a network id the Wickr API could never address.

    Args:
        network_id: The candidate id.

    Returns:
        The id, unchanged.

    Raises:
        ValueError: If it is not 8 digits.
    """
    if not isinstance(network_id, str) or _NETWORK_ID.fullmatch(network_id) is None:
        raise ValueError(f"network id must be 8 digits, got {network_id!r}")
    return network_id


@dataclass(frozen=True)
class SeedUser:
    """A user to put in an emulated network (as an onboarding system would have created it)."""

    user_id: str
    status: int = PENDING
    suspended: bool = False
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    is_invite_expired: bool = False
    is_admin: bool = False
    security_group_ids: tuple[str, ...] = ()
    last_activity: int = 0
    last_login: int = 0

    def __post_init__(self) -> None:
        """Reject values the Wickr API could not hold.

        Raises:
            ValueError: On a malformed id or an unknown status.
        """
        if not isinstance(self.user_id, str) or _USER_ID.fullmatch(self.user_id) is None:
            raise ValueError(f"user id must be 1-10 digits, got {self.user_id!r}")
        if self.status not in _STATUSES:
            raise ValueError(f"status must be 1 (pending) or 2 (active), got {self.status!r}")


@dataclass(frozen=True)
class UserState:
    """A snapshot of one emulated user, including what the emulator recorded about it."""

    user_id: str
    status: int
    suspended: bool
    first_name: str
    last_name: str
    username: str
    is_invite_expired: bool
    is_admin: bool
    security_group_ids: tuple[str, ...]
    last_activity: int
    last_login: int
    invites_sent: int

    @property
    def pending(self) -> bool:
        """Whether the user has not accepted the invitation yet (status 1)."""
        return self.status == PENDING


@dataclass
class User:
    """The mutable record behind a UserState."""

    user_id: str
    status: int
    suspended: bool
    first_name: str
    last_name: str
    username: str
    is_invite_expired: bool
    is_admin: bool
    security_group_ids: tuple[str, ...]
    last_activity: int
    last_login: int
    invites_sent: int = 0

    @classmethod
    def from_seed(cls, seed: SeedUser) -> User:
        """Build the record of a seeded user.

        Args:
            seed: The seed.

        Returns:
            A new record with no invitations sent.
        """
        return cls(
            user_id=seed.user_id,
            status=seed.status,
            suspended=seed.suspended,
            first_name=seed.first_name,
            last_name=seed.last_name,
            username=seed.username,
            is_invite_expired=seed.is_invite_expired,
            is_admin=seed.is_admin,
            security_group_ids=seed.security_group_ids,
            last_activity=seed.last_activity,
            last_login=seed.last_login,
        )

    def snapshot(self) -> UserState:
        """Copy the record into an immutable snapshot.

        Returns:
            The snapshot.
        """
        return UserState(
            user_id=self.user_id,
            status=self.status,
            suspended=self.suspended,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            is_invite_expired=self.is_invite_expired,
            is_admin=self.is_admin,
            security_group_ids=self.security_group_ids,
            last_activity=self.last_activity,
            last_login=self.last_login,
            invites_sent=self.invites_sent,
        )


@dataclass(frozen=True)
class UserFilter:
    """ListUsers' filters; text filters match case-insensitively anywhere in the field."""

    status: int | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    group_id: str | None = None

    def matches(self, user: User) -> bool:
        """Whether `user` passes every filter that is set.

        Args:
            user: The candidate.

        Returns:
            True when it passes.
        """
        if self.status is not None and user.status != self.status:
            return False
        if self.group_id is not None and self.group_id not in user.security_group_ids:
            return False
        return all(
            wanted is None or wanted.casefold() in value.casefold()
            for wanted, value in (
                (self.username, user.username),
                (self.first_name, user.first_name),
                (self.last_name, user.last_name),
            )
        )


@dataclass
class Page:
    """One ListUsers page: the users and the position where the next page starts (None: no more)."""

    users: list[User]
    next_position: int | None
    scanned: int


@dataclass
class Network:
    """One network's users in insertion order, addressable both by id and by position."""

    network_id: str
    by_id: dict[str, User] = field(default_factory=dict)
    ordered: list[User] = field(default_factory=list)
    by_username: dict[str, User] = field(default_factory=dict)  # casefolded; keeps BatchCreateUser O(batch)
    scanned: int = 0  # users examined by page(), summed: lets a test prove listing is linear
    _next_id: int = 1001

    def add(self, user: User) -> None:
        """Append a user.

        Args:
            user: The new user.

        Raises:
            ValueError: If the id is taken.
        """
        if user.user_id in self.by_id:
            raise ValueError(f"user {user.user_id} already exists in network {self.network_id}")
        self.by_id[user.user_id] = user
        self.ordered.append(user)
        if user.username:
            self.by_username.setdefault(user.username.casefold(), user)
        self._next_id = max(self._next_id, int(user.user_id) + 1)

    def remove(self, user_id: str) -> None:
        """Delete a user, as BatchDeleteUser would (its id is never reused: `_next_id` stays above it).

        Args:
            user_id: The user.

        Raises:
            KeyError: If there is no such user.
        """
        user = self.by_id.pop(user_id)
        self.ordered.remove(user)
        if user.username and self.by_username.get(user.username.casefold()) is user:
            del self.by_username[user.username.casefold()]

    def rename(self, user: User, username: str) -> None:
        """Change a user's username, as UpdateUser does, keeping the username index right.

        Args:
            user: The user (of this network).
            username: The new username.

        Raises:
            ValueError: If another user has that username already.
        """
        holder = self.find_username(username)
        if holder is not None and holder is not user:
            raise ValueError("A user with this username already exists")
        if user.username and self.by_username.get(user.username.casefold()) is user:
            del self.by_username[user.username.casefold()]
        user.username = username
        if username:
            self.by_username[username.casefold()] = user

    def new_user_id(self) -> str:
        """Allocate an id above every id in use.

        Returns:
            The id.

        Raises:
            ValueError: When the 10-digit id space is exhausted.
        """
        if self._next_id > _MAX_USER_ID:
            raise ValueError(f"network {self.network_id} has no user ids left")
        return str(self._next_id)

    def find_username(self, username: str) -> User | None:
        """Find a user by exact username (case-insensitive).

        Args:
            username: The username.

        Returns:
            The user, or None.
        """
        return self.by_username.get(username.casefold())

    def page(self, start: int, limit: int, user_filter: UserFilter) -> Page:
        """Scan forward from `start` for up to `limit` matching users.

        The next page starts at the next matching user, found here, so a listing never ends in an empty page and
        listing a whole network scans each user once: O(n) in all, whatever the page size.

        Args:
            start: The position to scan from.
            limit: The page size.
            user_filter: The filters.

        Returns:
            The page.
        """
        found: list[User] = []
        position = start
        total = len(self.ordered)
        next_position: int | None = None
        while position < total:
            user = self.ordered[position]
            if user_filter.matches(user):
                if len(found) == limit:
                    next_position = position
                    break
                found.append(user)
            position += 1
        scanned = min(position + 1, total) - start
        self.scanned += scanned
        return Page(found, next_position, scanned)


def _seed_user(raw: Mapping[str, Any]) -> SeedUser:
    if not isinstance(raw, Mapping) or "userId" not in raw:
        raise ValueError(f"a seed user needs a userId: {raw!r}")
    return SeedUser(
        user_id=str(raw["userId"]),
        status=int(raw.get("status", PENDING)),
        suspended=bool(raw.get("suspended", False)),
        first_name=str(raw.get("firstName", "")),
        last_name=str(raw.get("lastName", "")),
        username=str(raw.get("username", "")),
        is_invite_expired=bool(raw.get("isInviteExpired", False)),
        is_admin=bool(raw.get("isAdmin", False)),
        security_group_ids=tuple(str(group) for group in raw.get("securityGroupIds", ())),
        last_activity=int(raw.get("lastActivity", 0)),
        last_login=int(raw.get("lastLogin", 0)),
    )


def parse_seed(source: str | PathLike[str] | Mapping[str, Any]) -> Iterator[tuple[str, list[SeedUser]]]:
    """Read a seed: `{"networks": {"12345678": {"users": [{"userId": "1001", "status": 1, ...}]}}}`.

    User keys are the API's names: userId (required), status, suspended, firstName, lastName, username,
    isInviteExpired, isAdmin, securityGroupIds, lastActivity, lastLogin.

    Args:
        source: A path to a JSON file, or the already-parsed mapping.

    Yields:
        Each network id with its users (possibly none).

    Raises:
        ValueError: On a malformed id or status.
        TypeError: On a seed of the wrong shape.
    """
    data: Any = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
    networks = data.get("networks") if isinstance(data, Mapping) else None
    if not isinstance(networks, Mapping):
        raise TypeError('a seed is a JSON object with a "networks" object')
    for network_id, network in networks.items():
        check_network_id(network_id)
        raw_users = network.get("users", []) if isinstance(network, Mapping) else None
        if not isinstance(raw_users, list):
            raise TypeError(f'network {network_id}: "users" must be a list')
        yield network_id, [_seed_user(raw) for raw in raw_users]
