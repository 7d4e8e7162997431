"""ListUsers' `username` filter: the loosest reading of "matching this value" (case-insensitive, anywhere in it).

The model does not say whether Wickr matches exactly or partially; the emulator answers the worst case for a caller
that wants one person, so the reinviter's own exact comparison is what the integration tests prove.
"""

from __future__ import annotations

from typing import Any

from wickr_emulator import SeedUser, WickrEmulator

NETWORK = "12345678"


def _seed(emulator: WickrEmulator, *usernames: str, status: int = 1) -> list[str]:
    """Add users with these usernames; returns their ids."""
    emulator.add_network(NETWORK)
    first = 5000 + len(emulator.users(NETWORK))
    ids = [str(first + n) for n in range(len(usernames))]
    emulator.add_users(
        NETWORK, (SeedUser(user_id=i, username=u, status=status) for i, u in zip(ids, usernames, strict=True))
    )
    return ids


def _listed(wickr: Any, **filters: Any) -> list[str]:
    pages = wickr.get_paginator("list_users").paginate(networkId=NETWORK, **filters)
    return [user["username"] for page in pages for user in page["users"]]


def test_the_filter_matches_any_part_of_the_username_in_any_case(emulator: WickrEmulator, wickr: Any) -> None:
    _seed(emulator, "bob@x.org", "jimbob@x.org", "BOB@X.ORG", "bob@x.org.uk", "alice@x.org")

    assert _listed(wickr, username="bob@x.org") == ["bob@x.org", "jimbob@x.org", "BOB@X.ORG", "bob@x.org.uk"]
    assert _listed(wickr, username="Bob@X.org") == _listed(wickr, username="bob@x.org")
    assert _listed(wickr, username="x.org") == ["bob@x.org", "jimbob@x.org", "BOB@X.ORG", "bob@x.org.uk", "alice@x.org"]


def test_no_match_is_an_empty_page_without_a_token(emulator: WickrEmulator, wickr: Any) -> None:
    _seed(emulator, "bob@x.org")

    answer = wickr.list_users(networkId=NETWORK, username="carol@x.org", maxResults=100)

    assert answer["users"] == []
    assert "nextToken" not in answer


def test_the_filter_combines_with_status(emulator: WickrEmulator, wickr: Any) -> None:
    _seed(emulator, "bob@x.org")
    _seed(emulator, "jimbob@x.org", status=2)

    assert _listed(wickr, username="bob@x.org", status=1) == ["bob@x.org"]
    assert _listed(wickr, username="bob@x.org", status=2) == ["jimbob@x.org"]


def test_a_filtered_listing_pages_and_its_token_keeps_the_filter(emulator: WickrEmulator, wickr: Any) -> None:
    _seed(emulator, *(f"user{n}@x.org" for n in range(5)), "other@y.org", *(f"user{n}@x.org" for n in range(5, 8)))

    first = wickr.list_users(networkId=NETWORK, username="user", maxResults=3)
    pages = list(
        wickr.get_paginator("list_users").paginate(networkId=NETWORK, username="USER", PaginationConfig={"PageSize": 3})
    )

    assert [user["username"] for user in first["users"]] == ["user0@x.org", "user1@x.org", "user2@x.org"]
    assert [len(page["users"]) for page in pages] == [3, 3, 2]
    assert "other@y.org" not in [user["username"] for page in pages for user in page["users"]]


def test_plus_signs_and_non_ascii_letters_reach_the_filter_intact(emulator: WickrEmulator, wickr: Any) -> None:
    _seed(emulator, "ana+wickr@x.org", "ana wickr@x.org", "zoë@x.org", "ZOË@x.org")

    assert _listed(wickr, username="ana+wickr@x.org") == ["ana+wickr@x.org"]
    assert _listed(wickr, username="zoë@x.org") == ["zoë@x.org", "ZOË@x.org"]


def test_seeded_duplicates_are_kept_for_ambiguity_tests(emulator: WickrEmulator, wickr: Any) -> None:
    # BatchCreateUser refuses a taken username; a seed may hold two (as a directory synced twice might).
    ids = _seed(emulator, "dup@x.org", "DUP@x.org")

    listed = wickr.list_users(networkId=NETWORK, username="dup@x.org")["users"]
    assert [user["userId"] for user in listed] == ids
