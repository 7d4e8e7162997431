"""BatchCreateUser: the onboarding side, which tests use to seed users through the API."""

import pytest

from wickr_emulator import WickrEmulator

NETWORK = "87654321"


def _new(username: str, first_name: str = "New") -> dict:
    return {"username": username, "firstName": first_name, "lastName": "User", "securityGroupIds": ["sg-1"]}


def test_created_users_are_pending_with_new_ids(demo: WickrEmulator, wickr):
    response = wickr.batch_create_user(networkId=NETWORK, users=[_new("a@example.net"), _new("b@example.net")])
    created = response["successful"]
    assert [user["username"] for user in created] == ["a@example.net", "b@example.net"]
    ids = [user["userId"] for user in created]
    assert ids == ["2004", "2005"]  # above every id in use
    assert all(user["status"] == 1 and not user["isInviteExpired"] for user in created)
    assert response["failed"] == []
    assert wickr.get_user(networkId=NETWORK, userId="2004")["firstName"] == "New"
    pending = [user["userId"] for user in wickr.list_users(networkId=NETWORK, status=1)["users"]]
    assert pending[-2:] == ids
    assert demo.journal[0].user_ids == tuple(ids)
    assert demo.user(NETWORK, "2005").security_group_ids == ("sg-1",)


def test_a_taken_username_fails_that_user_only(demo: WickrEmulator, wickr):
    response = wickr.batch_create_user(
        networkId=NETWORK, users=[_new("MIRA.szabo@example.org"), _new("c@example.net"), _new("c@example.net")]
    )
    assert [user["username"] for user in response["successful"]] == ["c@example.net"]
    assert [(item["userId"], item["field"]) for item in response["failed"]] == [
        ("2002", "username"),
        ("2004", "username"),
    ]


def test_the_same_token_does_not_create_twice(demo: WickrEmulator, wickr):
    first = wickr.batch_create_user(networkId=NETWORK, users=[_new("d@example.net")], clientToken="onboard-1")
    again = wickr.batch_create_user(networkId=NETWORK, users=[_new("d@example.net")], clientToken="onboard-1")
    assert again["successful"] == first["successful"]
    assert len(demo.users(NETWORK)) == 4
    assert demo.journal[-1].replayed


def test_two_security_groups_are_a_validation_error(demo: WickrEmulator, wickr):
    user = _new("e@example.net") | {"securityGroupIds": ["sg-1", "sg-2"]}
    with pytest.raises(wickr.exceptions.ValidationError) as caught:
        wickr.batch_create_user(networkId=NETWORK, users=[user])
    assert caught.value.response["reasons"][0]["field"] == "users[0].securityGroupIds"
    assert len(demo.users(NETWORK)) == 3


def test_more_than_fifty_users_is_a_validation_error(demo: WickrEmulator, wickr):
    with pytest.raises(wickr.exceptions.ValidationError):
        wickr.batch_create_user(networkId=NETWORK, users=[_new(f"u{i}@example.net") for i in range(51)])
