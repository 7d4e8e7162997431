"""Usernames to user ids, pure: what a ListUsers answer means, and which user each entry of a message names.

A request may name users by username (the email an identity provider knows). ListUsers' `username` filter matches
partially and ignores case (the model says only "usernames matching this value"; see wickr_emulator/README.md), so
only an exact match (after NFC and case folding, `normalise`) resolves a username: `bob@x.org` never becomes
`jimbob@x.org`. No exact match is
"unknown" (skipped, like a 404 on GetUser); two or more is a per-user failure, since guessing would invite a stranger.

Usernames are personal data: they live in `NameKey` (out of `repr`) and nowhere else, and every log line, reason
and metric names an entry by its place, `usernames[3]` of its message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from reinviter.core.model import ListedUser, Request, SkipReason, UserKey, UserOutcome, UserState, Verdict


def normalise(username: str) -> str:
    """The form two spellings of one username share: Unicode NFC, then full case folding, then NFC again.

    One person's email can reach us composed (`é`) or decomposed (`e` + combining accent), and in cases that only
    full folding equates (`STRASSE` and `straße`); Wickr compares usernames without regard to case.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", username).casefold())


def query_form(username: str) -> str:
    """How a username is asked of ListUsers: NFC, as the message's author typed it otherwise (the filter is Wickr's)."""
    return unicodedata.normalize("NFC", username)


@dataclass(frozen=True, slots=True)
class NameKey:
    """A username within its network, normalised (`username`); `query` is the form ListUsers is asked with.

    Two spellings of one username are one key (`query` takes no part in equality). Its `repr` shows the network only.
    """

    network_id: str
    username: str = field(repr=False)
    query: str = field(repr=False, compare=False, default="")


def name_key(network_id: str, username: str) -> NameKey:
    """The key of a username as a message spells it."""
    return NameKey(network_id, normalise(username), query_form(username))


def label(index: int) -> str:
    """How logs and reasons name a username entry of a message: by its place, never by its value."""
    return f"usernames[{index}]"


@dataclass(frozen=True, slots=True)
class Found:
    """A username resolved to one user, with the state Wickr gave in the same answer.

    The answer is ListUsers', or that of the GetUser that confirmed a cached id: its state is the user's check.
    """

    user_id: str
    state: UserState


Resolution = Found | UserOutcome  # a user, or the outcome of an entry that names none


UNKNOWN = UserOutcome(Verdict.SKIPPED, "unknown username", SkipReason.UNKNOWN_USERNAME)


def match(listed: Iterable[ListedUser], key: NameKey) -> Resolution:
    """What ListUsers' answer for a username filter means: one exact match, none, or too many."""
    exact = {user.user_id: user for user in listed if normalise(user.username) == key.username}
    if not exact:
        return UNKNOWN
    if len(exact) > 1:
        return UserOutcome(Verdict.FAILED, f"ambiguous username: {len(exact)} users match it exactly")
    (user,) = exact.values()
    return Found(user.user_id, user.state)


@dataclass(slots=True)
class Resolutions:
    """Which users a batch's requests name: their ids, and their usernames as resolved so far."""

    resolutions: dict[NameKey, Resolution] = field(default_factory=dict)

    def __getitem__(self, key: NameKey) -> Resolution:
        return self.resolutions[key]

    def __setitem__(self, key: NameKey, resolution: Resolution) -> None:
        self.resolutions[key] = resolution

    @staticmethod
    def keys(requests: Iterable[Request]) -> list[NameKey]:
        """Every distinct username the requests name, in order."""
        keys = (name_key(request.network_id, username) for request in requests for username in request.usernames)
        return list(dict.fromkeys(keys))

    def user_ids(self, request: Request) -> list[str]:
        """The ids of the users a request names, by id or by a resolved username; each user once."""
        ids = dict.fromkeys(request.user_ids)
        for _, entry in self.entries(request):
            if isinstance(entry, UserKey):
                ids.setdefault(entry.user_id)
        return list(ids)

    def entries(self, request: Request) -> Iterator[tuple[str, UserKey | UserOutcome]]:
        """Each entry of a request by its label (a user id, or `usernames[i]`): the user it names, or its outcome."""
        for user_id in request.user_ids:
            yield user_id, UserKey(request.network_id, user_id)
        for index, username in enumerate(request.usernames):
            resolution = self.resolutions.get(name_key(request.network_id, username))
            if resolution is None:
                yield label(index), UserOutcome(Verdict.UNFINISHED, "username not resolved")
            elif isinstance(resolution, Found):
                yield label(index), UserKey(request.network_id, resolution.user_id)
            else:
                yield label(index), resolution

    def unresolved(self) -> dict[NameKey, UserOutcome]:
        """The usernames that name no user (unknown, ambiguous, or not looked up), with their outcomes."""
        return {key: outcome for key, outcome in self.resolutions.items() if isinstance(outcome, UserOutcome)}

    def known_states(self) -> dict[UserKey, UserState]:
        """The states Wickr already reported while resolving: these users need no GetUser."""
        return {
            UserKey(key.network_id, found.user_id): found.state
            for key, found in self.resolutions.items()
            if isinstance(found, Found)
        }
