"""GetUser and ListUsers through a real boto3 client."""

import pytest

from wickr_emulator import SeedUser, WickrEmulator

NETWORK = "12345678"


def test_get_user_returns_every_field(demo: WickrEmulator, wickr):
    user = wickr.get_user(networkId=NETWORK, userId="1003")
    user.pop("ResponseMetadata")
    assert user == {
        "userId": "1003",
        "firstName": "Cora",
        "lastName": "Lindqvist",
        "username": "cora.lindqvist@example.com",
        "isAdmin": True,
        "suspended": False,
        "status": 2,
        "lastActivity": 1761955200,
        "lastLogin": 1761955200,
        "securityGroupIds": [],
    }


def test_get_user_of_a_pending_user(demo: WickrEmulator, wickr):
    user = wickr.get_user(networkId=NETWORK, userId="1011")
    assert (user["status"], user["suspended"]) == (1, True)


@pytest.mark.parametrize(("network_id", "user_id"), [(NETWORK, "4242"), ("99999999", "1001")])
def test_unknown_user_or_network_is_resource_not_found(demo: WickrEmulator, wickr, network_id, user_id):
    with pytest.raises(wickr.exceptions.ResourceNotFoundError) as caught:
        wickr.get_user(networkId=network_id, userId=user_id)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_malformed_user_id_is_a_validation_error(demo: WickrEmulator, wickr):
    with pytest.raises(wickr.exceptions.ValidationError) as caught:
        wickr.get_user(networkId=NETWORK, userId="12x")
    assert caught.value.response["reasons"][0]["field"] == "userId"


def test_list_users_filters_by_status_in_insertion_order(demo: WickrEmulator, wickr):
    users = wickr.list_users(networkId=NETWORK, status=1)["users"]
    assert [user["userId"] for user in users] == ["1001", "1002", "1004", "1005", "1007", "1009", "1011"]
    expired = {user["userId"] for user in users if user["isInviteExpired"]}
    assert expired == {"1001", "1004"}
    assert all(user["status"] == 1 for user in users)


def test_list_users_without_a_filter_lists_everyone(demo: WickrEmulator, wickr):
    response = wickr.list_users(networkId=NETWORK, maxResults=100)
    assert len(response["users"]) == 11
    assert "nextToken" not in response


def test_list_users_filters_by_username(demo: WickrEmulator, wickr):
    users = wickr.list_users(networkId=NETWORK, username="DARIO")["users"]
    assert [user["userId"] for user in users] == ["1004"]


def test_paginator_walks_every_page(emulator: WickrEmulator, wickr):
    emulator.add_users(NETWORK, (SeedUser(user_id=str(10_000 + i)) for i in range(250)))
    pages = list(wickr.get_paginator("list_users").paginate(networkId=NETWORK, PaginationConfig={"PageSize": 100}))
    assert [len(page["users"]) for page in pages] == [100, 100, 50]
    listed = [user["userId"] for page in pages for user in page["users"]]
    assert listed == [str(10_000 + i) for i in range(250)]
    # Each page resumes where the last stopped: a full listing examines each user about once.
    assert emulator.listing_scans(NETWORK) <= 250 + len(pages)


def test_paginator_with_a_status_filter_and_small_pages(emulator: WickrEmulator, wickr):
    emulator.add_users(NETWORK, (SeedUser(user_id=str(100 + i), status=1 + i % 3 // 2) for i in range(90)))
    pending = [user.user_id for user in emulator.users(NETWORK) if user.status == 1]
    pages = list(
        wickr.get_paginator("list_users").paginate(networkId=NETWORK, status=1, PaginationConfig={"PageSize": 7})
    )
    assert [user["userId"] for page in pages for user in page["users"]] == pending
    assert all(page["users"] for page in pages), "no empty trailing page"
    assert emulator.calls("ListUsers") == -(-len(pending) // 7)


def test_max_results_is_capped_at_the_page_size(make_client, monkeypatch):
    with WickrEmulator(page_size=3) as small:
        small.load_seed({"networks": {NETWORK: {"users": [{"userId": str(i)} for i in range(1, 6)]}}})
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", small.url)
        response = make_client().list_users(networkId=NETWORK, maxResults=50)
    assert [user["userId"] for user in response["users"]] == ["1", "2", "3"]
    assert "nextToken" in response


def test_a_token_is_tied_to_its_filters(demo: WickrEmulator, wickr):
    token = wickr.list_users(networkId=NETWORK, status=1, maxResults=2)["nextToken"]
    with pytest.raises(wickr.exceptions.ValidationError) as caught:
        wickr.list_users(networkId=NETWORK, status=2, nextToken=token)
    assert caught.value.response["reasons"][0]["field"] == "nextToken"


def test_a_forged_token_is_rejected(demo: WickrEmulator, wickr):
    with pytest.raises(wickr.exceptions.ValidationError):
        wickr.list_users(networkId=NETWORK, nextToken="not-a-token")


def test_update_user_is_seen_by_the_api(demo: WickrEmulator, wickr):
    state = demo.update_user(NETWORK, "1002", status=2)
    assert state.status == 2
    assert wickr.get_user(networkId=NETWORK, userId="1002")["status"] == 2
    assert "1002" not in {user["userId"] for user in wickr.list_users(networkId=NETWORK, status=1)["users"]}


def test_without_max_results_a_page_holds_10_users_as_the_model_says(make_client, monkeypatch):
    with WickrEmulator() as emu:
        emu.load_seed({"networks": {NETWORK: {"users": [{"userId": str(i)} for i in range(1, 26)]}}})
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", emu.url)
        client = make_client()
        first = client.list_users(networkId=NETWORK)
        full = client.list_users(networkId=NETWORK, maxResults=100)
        with pytest.raises(client.exceptions.ValidationError) as caught:
            client.list_users(networkId=NETWORK, maxResults=101)
    assert [user["userId"] for user in first["users"]] == [str(i) for i in range(1, 11)]
    assert "nextToken" in first
    assert len(full["users"]) == 25
    assert caught.value.response["reasons"][0]["field"] == "maxResults"


def test_update_user_renames_and_the_username_filter_follows(demo: WickrEmulator, wickr):
    answer = wickr.update_user(
        networkId=NETWORK, userId="1001", userDetails={"username": "ada.renamed@example.com", "firstName": "Ada"}
    )

    assert (answer["userId"], answer["firstName"], answer["status"]) == ("1001", "Ada", 1)
    assert wickr.get_user(networkId=NETWORK, userId="1001")["username"] == "ada.renamed@example.com"
    old = wickr.list_users(networkId=NETWORK, username="ada.quill@example.com")["users"]
    assert old == []  # the old username names nobody now
    new = wickr.list_users(networkId=NETWORK, username="ADA.RENAMED@example.com")["users"]
    assert [user["userId"] for user in new] == ["1001"]


def test_update_user_refuses_a_username_another_user_has(demo: WickrEmulator, wickr):
    with pytest.raises(wickr.exceptions.BadRequestError):
        wickr.update_user(networkId=NETWORK, userId="1001", userDetails={"username": "Bruno.Vale@example.com"})
    assert wickr.get_user(networkId=NETWORK, userId="1001")["username"] == "ada.quill@example.com"
