"""`WickrGateway.users_by_username`: the exact ListUsers requests, every page, and errors cleared of the username."""

from __future__ import annotations

import traceback
from typing import Any

import pytest

from reinviter.core.deadline import Deadline
from reinviter.core.errors import DeadlineReached, PermanentWickrError, RetryableWickrError, WickrNetworkNotFound
from reinviter.core.model import ListedUser, UserState
from tests.unit.adapters.test_wickr_gateway import ERROR_CODES, NETWORK, Harness

NAME = "Ana.Lima@example.org"


def _page(harness: Harness, users: list[dict[str, Any]], token: str | None = None, after: str | None = None) -> None:
    expected: dict[str, Any] = {"networkId": NETWORK, "username": NAME, "maxResults": 100}
    if after:
        expected["nextToken"] = after
    answer: dict[str, Any] = {"users": users}
    if token:
        answer["nextToken"] = token
    harness.stubber.add_response("list_users", answer, expected_params=expected)


def test_every_page_is_read_and_every_listed_user_kept(wickr: Harness) -> None:
    _page(wickr, [{"userId": "1001", "username": NAME, "status": 1, "suspended": False}], token="t1")
    _page(
        wickr,
        [
            {"userId": "1002", "username": "jim" + NAME, "status": 2, "suspended": False},
            {"userId": "1003", "username": NAME.upper(), "status": 1, "suspended": True},
        ],
        after="t1",
    )

    users = wickr.gateway.users_by_username(NETWORK, NAME, Deadline.never())

    assert users == [
        ListedUser("1001", UserState.PENDING, NAME),
        ListedUser("1002", UserState.ACTIVE, "jim" + NAME),
        ListedUser("1003", UserState.SUSPENDED, NAME.upper()),
    ]
    assert wickr.gateway.counter.snapshot() == (2, 0)


def test_a_page_listing_a_status_this_code_does_not_know_is_no_answer(wickr: Harness) -> None:
    from reinviter.core.errors import MalformedAnswer

    for _ in range(3):
        _page(wickr, [{"userId": "1004", "username": NAME, "status": 9}])

    with pytest.raises(MalformedAnswer, match="no known status") as raised:
        wickr.gateway.users_by_username(NETWORK, NAME, Deadline.never())
    assert NAME not in str(raised.value)


def test_no_match_is_an_empty_list(wickr: Harness) -> None:
    _page(wickr, [])

    assert wickr.gateway.users_by_username(NETWORK, NAME, Deadline.never()) == []


def test_a_listed_user_never_shows_its_username_in_repr() -> None:
    assert NAME not in repr(ListedUser("1001", UserState.PENDING, NAME))


def test_a_429_is_retried_like_any_call(wickr: Harness) -> None:
    wickr.error("list_users", 429)
    _page(wickr, [{"userId": "1001", "username": NAME, "status": 1}])

    assert [user.user_id for user in wickr.gateway.users_by_username(NETWORK, NAME, Deadline.never())] == ["1001"]
    assert wickr.gateway.counter.snapshot() == (2, 1)


def test_a_404_is_the_network_unknown(wickr: Harness) -> None:
    wickr.error("list_users", 404)

    with pytest.raises(WickrNetworkNotFound, match=f"network {NETWORK} is unknown"):
        wickr.gateway.users_by_username(NETWORK, NAME, Deadline.never())


@pytest.mark.parametrize(("status", "kind"), [(422, PermanentWickrError), (500, RetryableWickrError)])
def test_an_error_never_carries_the_username_even_when_wickr_echoed_it(
    wickr: Harness, status: int, kind: type[Exception]
) -> None:
    for _ in range(3 if status == 500 else 1):  # a 500 is retried to the last attempt
        wickr.stubber.add_client_error(
            "list_users",
            service_error_code=ERROR_CODES[status],
            service_message=f"no user named {NAME.lower()} here",
            http_status_code=status,
        )

    with pytest.raises(kind) as caught:
        wickr.gateway.users_by_username(NETWORK, NAME, Deadline.never())

    shown = "".join(traceback.format_exception(caught.value)).casefold()
    assert NAME.casefold() not in shown
    assert str(caught.value).startswith(f"ListUsers answered {status} {ERROR_CODES[status]}")
    assert caught.value.status == status


def test_no_call_starts_past_the_deadline(wickr: Harness) -> None:
    with pytest.raises(DeadlineReached):
        wickr.gateway.users_by_username(NETWORK, NAME, Deadline(at=0.0))
    assert wickr.gateway.counter.snapshot() == (0, 0)
