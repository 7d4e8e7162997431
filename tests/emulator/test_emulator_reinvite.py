"""BatchReinviteUser: per-user outcomes, validation, and idempotency tokens."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from wickr_emulator import WickrEmulator

NETWORK = "12345678"
OTHER_NETWORK = "87654321"


def test_reinvite_reports_each_user(demo: WickrEmulator, wickr):
    response = wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001", "1002", "1003", "1008", "1011", "4242"])
    assert response["successful"] == [{"userId": "1001"}, {"userId": "1002"}]
    failed = {item["userId"]: item for item in response["failed"]}
    assert set(failed) == {"1003", "1008", "1011", "4242"}
    assert failed["1003"]["reason"] == "User has already accepted the invitation"
    assert failed["1011"]["reason"] == "User is suspended"  # pending but suspended: not reinvited
    assert failed["4242"] == {"userId": "4242", "field": "userId", "reason": "User not found"}
    assert response["message"]


def test_reinvite_sends_only_to_successful_users_and_renews_the_invite(demo: WickrEmulator, wickr):
    assert demo.user(NETWORK, "1001").is_invite_expired
    wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001", "1003", "1011"])
    assert demo.invites_sent(NETWORK, "1001") == 1
    assert not demo.user(NETWORK, "1001").is_invite_expired
    assert demo.invites_sent(NETWORK, "1003") == 0
    assert demo.invites_sent(NETWORK, "1011") == 0
    assert demo.total_invites_sent() == 1


def test_a_repeated_id_is_reinvited_once(demo: WickrEmulator, wickr):
    response = wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1002", "1002"])
    assert response["successful"] == [{"userId": "1002"}]
    assert demo.invites_sent(NETWORK, "1002") == 1


@pytest.mark.parametrize(
    ("user_ids", "reason_part"),
    [
        ([str(1000 + i) for i in range(51)], "between 1 and 50"),
        ([], "between 1 and 50"),
        (["1001", "12ab"], "'12ab'"),
        (["12345678901"], "at most 10"),
    ],
)
def test_invalid_batches_are_validation_errors(demo: WickrEmulator, wickr, user_ids, reason_part):
    with pytest.raises(wickr.exceptions.ValidationError) as caught:
        wickr.batch_reinvite_user(networkId=NETWORK, userIds=user_ids)
    reasons = caught.value.response["reasons"]
    assert reasons[0]["field"] == "userIds"
    assert any(reason_part in reason["reason"] for reason in reasons)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 422
    assert demo.total_invites_sent() == 0


def test_fifty_ids_are_accepted(demo: WickrEmulator, wickr):
    ids = ["1001"] + [str(5000 + i) for i in range(49)]
    response = wickr.batch_reinvite_user(networkId=NETWORK, userIds=ids)
    assert len(response["successful"]) + len(response["failed"]) == 50


def test_a_malformed_client_token_is_a_validation_error(demo: WickrEmulator, wickr):
    with pytest.raises(wickr.exceptions.ValidationError) as caught:
        wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"], clientToken="has spaces")
    assert caught.value.response["reasons"][0]["field"] == "clientToken"
    assert demo.invites_sent(NETWORK, "1001") == 0


def test_the_same_token_replays_without_sending_again(demo: WickrEmulator, wickr):
    first = wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001", "1003"], clientToken="batch-1")
    demo.update_user(NETWORK, "1003", status=1)  # the replay must not look at the users again
    again = wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001", "1003"], clientToken="batch-1")
    assert (again["successful"], again["failed"]) == (first["successful"], first["failed"])
    assert demo.invites_sent(NETWORK, "1001") == 1
    assert demo.invites_sent(NETWORK, "1003") == 0
    assert [entry.replayed for entry in demo.journal] == [False, True]
    assert demo.journal[1].client_token == "batch-1"


def test_a_new_token_sends_again(demo: WickrEmulator, wickr):
    wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"], clientToken="batch-1")
    wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"], clientToken="batch-2")
    assert demo.invites_sent(NETWORK, "1001") == 2


def test_without_a_token_the_sdk_fills_a_fresh_one_each_call(demo: WickrEmulator, wickr):
    wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"])
    wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"])
    tokens = [entry.client_token for entry in demo.journal]
    assert all(tokens)
    assert tokens[0] != tokens[1]
    assert demo.invites_sent(NETWORK, "1001") == 2


def test_a_token_is_scoped_to_its_network(demo: WickrEmulator, wickr):
    wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"], clientToken="shared")
    response = wickr.batch_reinvite_user(networkId=OTHER_NETWORK, userIds=["2001"], clientToken="shared")
    assert response["successful"] == [{"userId": "2001"}]
    assert demo.invites_sent(OTHER_NETWORK, "2001") == 1


def test_a_failed_call_is_not_stored_for_replay(demo: WickrEmulator, wickr):
    demo.faults.fail_next(500, operation="BatchReinviteUser")
    with pytest.raises(wickr.exceptions.InternalServerError):
        wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"], clientToken="retry-me")
    response = wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"], clientToken="retry-me")
    assert response["successful"] == [{"userId": "1001"}]
    assert demo.invites_sent(NETWORK, "1001") == 1
    assert [entry.replayed for entry in demo.journal] == [False, False]


def test_reinvite_in_an_unknown_network_is_resource_not_found(demo: WickrEmulator, wickr):
    with pytest.raises(wickr.exceptions.ResourceNotFoundError):
        wickr.batch_reinvite_user(networkId="11111111", userIds=["1001"])


def test_concurrent_calls_keep_exact_counts(demo: WickrEmulator, make_client):
    clients = [make_client() for _ in range(8)]

    def reinvite(index: int) -> list[int]:
        client = clients[index]
        sent = []
        for round_ in range(10):
            # Every thread also repeats one shared token: exactly one of those calls may send.
            token = "shared-token" if round_ == 0 else f"t{index}-{round_}"
            response = client.batch_reinvite_user(networkId=NETWORK, userIds=["1001"], clientToken=token)
            sent.append(len(response["successful"]))
        return sent

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(reinvite, range(8)))
    assert all(sum(sent) == 10 for sent in results)  # a replay repeats the stored answer, successful included
    assert demo.invites_sent(NETWORK, "1001") == 8 * 9 + 1
    assert demo.calls("BatchReinviteUser") == 80
    assert sum(entry.replayed for entry in demo.journal) == 7
