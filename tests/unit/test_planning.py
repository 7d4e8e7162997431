"""planning.chunks and planning.client_token: the 50-id limit and the deterministic X-Client-Token."""

from __future__ import annotations

import re

import pytest

from reinviter.planning import chunks, client_token

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
