"""planning.chunks and planning.client_token: the 50-id limit and the deterministic X-Client-Token."""

from __future__ import annotations

import re

import pytest

from reinviter.core.model import UserKey
from reinviter.core.planning import CallPlanner, Requester, chunks, client_token

TOKEN_PATTERN = re.compile(r"^[a-zA-Z0-9\-_:]{1,64}$")  # the Wickr model's clientToken


@pytest.mark.parametrize(("count", "sizes"), [(0, []), (1, [1]), (50, [50]), (51, [50, 1]), (120, [50, 50, 20])])
def test_chunks_hold_at_most_50(count: int, sizes: list[int]) -> None:
    items = list(range(count))

    parts = list(chunks(items))

    assert [len(part) for part in parts] == sizes
    assert [item for part in parts for item in part] == items


def test_chunks_take_a_size() -> None:
    assert list(chunks([1, 2, 3, 4, 5], size=2)) == [[1, 2], [3, 4], [5]]


def test_token_is_deterministic_and_fits_the_model() -> None:
    token = client_token("12345678", ["1001", "1002"], ["m1"])

    assert token == client_token("12345678", ["1001", "1002"], ["m1"])
    assert len(token) == 64
    assert TOKEN_PATTERN.match(token)


def test_token_ignores_order() -> None:
    assert client_token("12345678", ["1002", "1001"], ["m2", "m1"]) == client_token(
        "12345678", ["1001", "1002"], ["m1", "m2"]
    )


@pytest.mark.parametrize(
    ("network_id", "user_ids", "salt"),
    [
        ("87654321", ["1001", "1002"], ["m1"]),  # another network
        ("12345678", ["1001"], ["m1"]),  # another chunk
        ("12345678", ["1001", "1003"], ["m1"]),
        ("12345678", ["1001", "1002"], ["m2"]),  # a new message for the same users
        ("12345678", ["1001", "1002"], ["m1", "m2"]),
        ("12345678", ["1001", "1002"], []),
    ],
)
def test_token_changes_with_any_part_of_the_chunk(network_id: str, user_ids: list[str], salt: list[str]) -> None:
    assert client_token(network_id, user_ids, salt) != client_token("12345678", ["1001", "1002"], ["m1"])


def test_token_parts_cannot_run_into_each_other() -> None:
    assert client_token("12345678", ["10", "01"], []) != client_token("12345678", ["1001"], [])
    assert client_token("12345678", ["1001"], ["m"]) != client_token("12345678", ["1001", "m"], [])


def _key(uid: str, network: str = "12345678") -> UserKey:
    return UserKey(network, uid)


def test_with_a_ledger_a_call_is_ready_as_soon_as_50_users_of_a_network_are_confirmed() -> None:
    requesters = {_key(str(1000 + n)): [Requester("m", 1)] for n in range(120)}
    planner = CallPlanner(requesters)

    ready = [chunk for key in requesters for chunk in planner.confirmed(key)]
    rest = planner.flush()

    assert [len(chunk.user_ids) for chunk in ready] == [50, 50]
    assert [len(chunk.user_ids) for chunk in rest] == [20]
    assert planner.flush() == []


def test_calls_never_mix_networks() -> None:
    keys = [_key("1001"), _key("2001", "87654321"), _key("1002")]
    planner = CallPlanner({key: [Requester("m")] for key in keys})
    for key in keys:
        planner.confirmed(key)

    assert sorted((chunk.network_id, chunk.user_ids) for chunk in planner.flush()) == [
        ("12345678", ("1001", "1002")),
        ("87654321", ("2001",)),
    ]


def test_with_a_ledger_the_token_changes_with_the_delivery() -> None:
    first = CallPlanner({_key("1001"): [Requester("m", 1)]}).call_for([_key("1001")])
    second = CallPlanner({_key("1001"): [Requester("m", 2)]}).call_for([_key("1001")])

    assert first.token != second.token


def test_without_a_ledger_a_message_is_one_call_of_its_own_users_whatever_its_neighbours() -> None:
    a_users, b_users = [_key("1001"), _key("1002")], [_key("1004")]
    together = CallPlanner(
        {key: [Requester(m)] for m, keys in (("a", a_users), ("b", b_users)) for key in keys},
        per_message=True,
        owners={"a": a_users, "b": b_users},
    )
    alone = CallPlanner({key: [Requester("a")] for key in a_users}, per_message=True, owners={"a": a_users})

    first = [chunk for key in (*a_users, *b_users) for chunk in together.confirmed(key)]
    again = [chunk for key in a_users for chunk in alone.confirmed(key)]

    assert [chunk.user_ids for chunk in first] == [("1001", "1002"), ("1004",)]
    assert again == first[:1]  # the same users, the same token: Wickr answers the redelivery from memory


def test_without_a_ledger_a_message_waits_for_all_its_users_and_is_held_back_when_one_fails() -> None:
    users = [_key("1001"), _key("1002"), _key("1003")]
    planner = CallPlanner({key: [Requester("a")] for key in users}, per_message=True, owners={"a": users})

    assert planner.confirmed(users[0]) == []
    assert planner.settled(users[1], spoils=True) == []  # its GetUser failed: the call would differ next time
    assert planner.confirmed(users[2]) == []
    assert planner.spoiled() == [users[0], users[2]]


def test_without_a_ledger_a_user_named_by_two_messages_is_in_each_ones_call_with_its_own_token() -> None:
    shared, own = _key("1001"), _key("1002")
    together = CallPlanner(
        {shared: [Requester("a"), Requester("b")], own: [Requester("b")]},
        per_message=True,
        owners={"0": [shared], "1": [shared, own]},
        salts={"0": "a", "1": "b"},
    )
    b_alone = CallPlanner(
        {shared: [Requester("b")], own: [Requester("b")]},
        per_message=True,
        owners={"0": [shared, own]},
        salts={"0": "b"},
    )

    first = together.confirmed(shared) + together.confirmed(own)
    again = b_alone.confirmed(shared) + b_alone.confirmed(own)

    assert [chunk.user_ids for chunk in first] == [("1001",), ("1001", "1002")]
    assert again == first[1:]  # b's call, members and token, whether a shares its batch or not
