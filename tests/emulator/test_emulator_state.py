"""Seeding, inspection and the listing algorithm, without HTTP."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wickr_emulator import DEMO_SEED_PATH, SeedUser, WickrEmulator
from wickr_emulator.state import Network, User, UserFilter

NETWORK = "12345678"


def test_demo_seed_has_the_documented_mix():
    emulator = WickrEmulator()
    emulator.load_seed(DEMO_SEED_PATH)
    assert emulator.network_ids() == ["12345678", "87654321"]
    users = emulator.users("12345678")
    pending = [user for user in users if user.pending and not user.suspended]
    assert len(pending) == 6
    assert sum(user.is_invite_expired for user in pending) == 2
    assert len([user for user in users if not user.pending and not user.suspended]) == 3
    suspended = [user for user in users if user.suspended]
    assert sorted(user.pending for user in suspended) == [False, True]
    assert [user.status for user in emulator.users("87654321")] == [1, 1, 1]


def test_seed_from_a_path_with_defaults(tmp_path: Path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"networks": {NETWORK: {"users": [{"userId": "7"}]}, "22222222": {}}}))
    emulator = WickrEmulator()
    emulator.load_seed(seed)
    user = emulator.user(NETWORK, "7")
    assert (user.status, user.suspended, user.is_invite_expired, user.invites_sent) == (1, False, False, 0)
    assert emulator.users("22222222") == []


@pytest.mark.parametrize(
    "seed",
    [
        {"networks": {"123": {"users": []}}},
        {"networks": {NETWORK: {"users": [{"userId": "abc"}]}}},
        {"networks": {NETWORK: {"users": [{"userId": "1", "status": 3}]}}},
        {"networks": {NETWORK: {"users": [{"status": 1}]}}},
    ],
)
def test_malformed_seeds_are_refused(seed):
    with pytest.raises(ValueError, match=r"."):
        WickrEmulator().load_seed(seed)


def test_a_seed_of_the_wrong_shape_is_refused():
    with pytest.raises(TypeError):
        WickrEmulator().load_seed({"users": []})


def test_add_users_is_all_or_nothing():
    emulator = WickrEmulator()
    emulator.add_user(NETWORK, SeedUser(user_id="1"))
    with pytest.raises(ValueError, match="already exists"):
        emulator.add_users(NETWORK, [SeedUser(user_id="2"), SeedUser(user_id="1")])
    assert [user.user_id for user in emulator.users(NETWORK)] == ["1"]


def test_unknown_users_raise_key_error():
    emulator = WickrEmulator()
    with pytest.raises(KeyError):
        emulator.invites_sent(NETWORK, "1")


def test_journal_is_a_copy():
    emulator = WickrEmulator()
    emulator.journal.append("junk")
    assert emulator.journal == []
    assert emulator.calls() == 0


def test_listing_a_100k_network_is_linear():
    network = Network(NETWORK)
    for i in range(100_000):
        network.add(User.from_seed(SeedUser(user_id=str(i + 1), status=1 if i % 10 else 2)))
    pending_filter = UserFilter(status=1)
    listed, pages, position = 0, 0, 0
    while True:
        page = network.page(position, 100, pending_filter)
        listed += len(page.users)
        pages += 1
        if page.next_position is None:
            break
        position = page.next_position
    assert listed == 90_000
    assert pages == 900
    assert network.scanned <= 100_000 + pages


@given(
    statuses=st.lists(st.sampled_from([1, 2]), max_size=60),
    limit=st.integers(min_value=1, max_value=15),
    wanted=st.sampled_from([None, 1, 2]),
)
def test_paging_returns_exactly_the_filtered_users_in_order(statuses, limit, wanted):
    network = Network(NETWORK)
    for i, status in enumerate(statuses):
        network.add(User.from_seed(SeedUser(user_id=str(i + 1), status=status)))
    user_filter = UserFilter(status=wanted)
    pages, position = [], 0
    while True:
        page = network.page(position, limit, user_filter)
        pages.append([user.user_id for user in page.users])
        if page.next_position is None:
            break
        position = page.next_position
    expected = [str(i + 1) for i, status in enumerate(statuses) if wanted in (None, status)]
    assert [user_id for page in pages for user_id in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages) == max(1, -(-len(expected) // limit))
