"""ReinviteRequest names users by id, by username or both; a bad username is refused without being echoed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from reinviter.core.model import MAX_USERNAME_LENGTH
from reinviter.entry.messages import ReinviteRequest
from reinviter.entry.sqs import ReinviteRecord, read_records
from tests.conftest import QUEUE_ARN, sqs_record

NETWORK = "12345678"
# What may appear in a username: anything printable but whitespace (letters of any script, digits, symbols, marks).
username_chars = st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cf", "Cs"))
usernames = st.text(username_chars, min_size=1, max_size=MAX_USERNAME_LENGTH)
forbidden_chars = st.characters(whitelist_categories=("Zs", "Zl", "Zp", "Cc", "Cf"))


def _request(**fields: Any) -> ReinviteRequest:
    return ReinviteRequest.model_validate({"networkId": NETWORK, **fields})


def _refusal(**fields: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        _request(**fields)
    return caught.value


def test_usernames_alone_are_a_request() -> None:
    request = _request(usernames=["ana@example.org", "Bob.Smith@example.org"])

    assert request.usernames == ["ana@example.org", "Bob.Smith@example.org"]
    assert request.user_ids == []


def test_ids_and_usernames_together() -> None:
    request = _request(userIds=["1001"], usernames=["ana@example.org"])

    assert (request.user_ids, request.usernames) == (["1001"], ["ana@example.org"])


def test_a_username_need_not_be_an_email() -> None:
    # Wickr's model allows any string (bots' usernames end in "bot"; some identity providers use plain names).
    assert _request(usernames=["support-bot"]).usernames == ["support-bot"]


@pytest.mark.parametrize("fields", [{}, {"userIds": []}, {"usernames": []}, {"userIds": [], "usernames": []}])
def test_at_least_one_user_is_named(fields: dict[str, Any]) -> None:
    [error] = _refusal(**fields).errors()

    assert error["msg"] == "Value error, name at least one user in userIds or usernames"


def test_at_most_50_users_in_all() -> None:
    ids = [str(1000 + n) for n in range(25)]
    names = [f"user{n}@example.org" for n in range(26)]

    [error] = _refusal(userIds=ids, usernames=names).errors()
    assert error["msg"] == "Value error, userIds and usernames name 51 users, at most 50 in all"
    assert len(_request(userIds=ids, usernames=names[:25]).usernames) == 25


def test_51_usernames_are_refused_as_a_list() -> None:
    [error] = _refusal(usernames=[f"u{n}@example.org" for n in range(51)]).errors()

    assert error["loc"] == ("usernames",)
    assert error["msg"].startswith("List should have at most 50 items")


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "String should have at least 1 character"),
        ("a" * (MAX_USERNAME_LENGTH + 1), f"String should have at most {MAX_USERNAME_LENGTH} characters"),
        ("ana @example.org", "must contain no whitespace"),
        (" ana@example.org", "must contain no whitespace"),
        ("ana@example.org\n", "must contain no whitespace"),
        ("ana\u00a0@example.org", "must contain no whitespace"),  # no-break space
        ("ana\u200b@example.org", "invisible formatting"),  # zero-width space (Cf)
        ("ana\x00@example.org", "control"),
    ],
)
def test_bad_usernames_are_refused_by_position(username: str, message: str) -> None:
    [error] = _refusal(usernames=["ok@example.org", username]).errors()

    assert error["loc"] == ("usernames", 1)
    assert message in error["msg"]


@pytest.mark.parametrize("value", [123, None, ["a@b.c"], {"u": "a@b.c"}])
def test_a_username_is_a_string(value: Any) -> None:
    [error] = _refusal(usernames=[value]).errors()

    assert error["loc"] == ("usernames", 0)


def test_usernames_must_be_a_list() -> None:
    [error] = _refusal(usernames="ana@example.org").errors()

    assert error["loc"] == ("usernames",)


def test_the_exact_bound_of_256_characters_is_accepted() -> None:
    name = "a" * (MAX_USERNAME_LENGTH - len("@x.io")) + "@x.io"

    assert _request(usernames=[name]).usernames == [name]


@given(usernames)
def test_any_username_without_whitespace_or_control_characters_is_accepted(name: str) -> None:
    assert _request(usernames=[name]).usernames == [name]


@given(usernames, forbidden_chars, st.integers(min_value=0, max_value=MAX_USERNAME_LENGTH - 1))
def test_any_whitespace_or_control_character_refuses_the_username(name: str, bad: str, at: int) -> None:
    tainted = (name[:at] + bad + name[at:])[:MAX_USERNAME_LENGTH]
    if tainted == name[:MAX_USERNAME_LENGTH]:  # the bad character was cut off the end
        return
    [error] = _refusal(usernames=[tainted]).errors()

    assert error["loc"] == ("usernames", 0)


@given(st.text(username_chars, min_size=12, max_size=40), st.sampled_from(["too long", "space", "not a list"]))
def test_no_refusal_echoes_the_username(name: str, defect: str) -> None:
    bad = {"too long": name * 30, "space": f"{name} x", "not a list": name}[defect]
    body = {"networkId": NETWORK, "usernames": bad if defect == "not a list" else [bad]}

    error = _refusal(**{"usernames": body["usernames"]})
    assert name not in str(error)
    assert name not in repr(error.errors(include_input=False))
    with pytest.raises(ValidationError) as record_error:
        ReinviteRecord.model_validate(sqs_record(body))
    assert name not in str(record_error.value)
    # what the function logs and reports for the record
    [rejection] = read_records(
        [sqs_record(json.dumps(body), message_id="m-1")], frozenset({NETWORK}), QUEUE_ARN
    ).rejections
    assert rejection.message_id == "m-1"
    assert name not in rejection.reason
    assert rejection.reason.startswith("invalid body: usernames")
