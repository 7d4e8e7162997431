"""Injected faults: each one observed through a real client and the journal (never through timing)."""

import pytest
from botocore.config import Config

from wickr_emulator import Faults, WickrEmulator

NETWORK = "12345678"
OTHER_NETWORK = "87654321"


def test_latency_is_recorded_per_call(demo: WickrEmulator, wickr):
    demo.faults.latency_ms = 5
    wickr.get_user(networkId=NETWORK, userId="1001")
    demo.faults.latency_ms = 0
    wickr.get_user(networkId=NETWORK, userId="1001")
    assert [entry.latency_ms for entry in demo.journal] == [5.0, 0.0]


def test_fail_next_answers_429_then_serves(demo: WickrEmulator, wickr):
    demo.faults.fail_next(429)
    with pytest.raises(wickr.exceptions.RateLimitError) as caught:
        wickr.get_user(networkId=NETWORK, userId="1001")
    assert caught.value.response["Error"]["Code"] == "RateLimitError"
    assert wickr.get_user(networkId=NETWORK, userId="1001")["userId"] == "1001"
    assert [(entry.status, entry.error) for entry in demo.journal] == [(429, "RateLimitError"), (200, None)]


def test_fail_next_counts_only_its_operation_and_sends_nothing(demo: WickrEmulator, wickr):
    demo.faults.fail_next(500, count=2, operation="BatchReinviteUser")
    assert wickr.get_user(networkId=NETWORK, userId="1001")["userId"] == "1001"
    for _ in range(2):
        with pytest.raises(wickr.exceptions.InternalServerError):
            wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"])
    assert demo.invites_sent(NETWORK, "1001") == 0
    assert wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"])["successful"] == [{"userId": "1001"}]
    assert [entry.status for entry in demo.journal] == [200, 500, 500, 200]
    assert demo.journal[1].user_ids == ("1001",)


def test_the_sdk_retries_an_injected_500_by_itself(demo: WickrEmulator, make_client):
    client = make_client(config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    demo.faults.fail_next(500)
    response = client.get_user(networkId=NETWORK, userId="1001")
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [entry.status for entry in demo.journal] == [500, 200]


def test_fail_network_fails_only_that_network(demo: WickrEmulator, wickr):
    demo.faults.fail_network(NETWORK)
    with pytest.raises(wickr.exceptions.InternalServerError):
        wickr.list_users(networkId=NETWORK)
    assert wickr.list_users(networkId=OTHER_NETWORK)["users"]
    demo.faults.clear_network(NETWORK)
    assert wickr.list_users(networkId=NETWORK)["users"]


def test_fail_network_with_another_status(demo: WickrEmulator, wickr):
    demo.faults.fail_network(NETWORK, status=403)
    with pytest.raises(wickr.exceptions.ForbiddenError):
        wickr.get_user(networkId=NETWORK, userId="1001")


def test_fail_user_once_then_ok(demo: WickrEmulator, wickr):
    demo.faults.fail_user(NETWORK, "1002", reason="Mail server unavailable", times=1)
    first = wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001", "1002"])
    assert first["successful"] == [{"userId": "1001"}]
    assert first["failed"] == [{"userId": "1002", "field": "userId", "reason": "Mail server unavailable"}]
    assert demo.invites_sent(NETWORK, "1002") == 0
    second = wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1002"])
    assert second["successful"] == [{"userId": "1002"}]
    assert demo.invites_sent(NETWORK, "1002") == 1


def test_fail_user_always(demo: WickrEmulator, wickr):
    demo.faults.fail_user(NETWORK, "1002")
    for _ in range(3):
        assert wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1002"])["failed"][0]["userId"] == "1002"
    assert demo.invites_sent(NETWORK, "1002") == 0


def test_rate_limit_share_of_one_throttles_everything(demo: WickrEmulator, wickr):
    demo.faults.rate_limit_share = 1.0
    for _ in range(5):
        with pytest.raises(wickr.exceptions.RateLimitError):
            wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"])
    assert {entry.status for entry in demo.journal} == {429}
    assert demo.invites_sent(NETWORK, "1001") == 0


def test_error_share_of_one_fails_everything(demo: WickrEmulator, wickr):
    demo.faults.error_share = {500: 1.0}
    with pytest.raises(wickr.exceptions.InternalServerError):
        wickr.get_user(networkId=NETWORK, userId="1001")
    demo.faults.error_share[500] = 0.0
    assert wickr.get_user(networkId=NETWORK, userId="1001")["userId"] == "1001"


def _statuses(wickr, calls: int) -> list[int]:
    statuses = []
    for _ in range(calls):
        try:
            wickr.get_user(networkId=NETWORK, userId="1001")
            statuses.append(200)
        except wickr.exceptions.RateLimitError:
            statuses.append(429)
    return statuses


def test_token_bucket_rejects_a_burst(demo: WickrEmulator, wickr):
    demo.faults.rate_limit_rps = 0.001  # burst max(1, rps) = 1; refilling one token takes 1000 s
    assert _statuses(wickr, 4) == [200, 429, 429, 429]


def test_token_bucket_burst_option(demo: WickrEmulator, wickr):
    demo.faults.rate_limit_rps = 0.001
    demo.faults.rate_limit_burst = 3
    assert _statuses(wickr, 5) == [200, 200, 200, 429, 429]


def test_user_failure_share_of_one_fails_every_eligible_user(demo: WickrEmulator, wickr):
    demo.faults.user_failure_share = 1.0
    response = wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001", "1002", "1003"])
    assert response["successful"] == []
    assert {item["userId"] for item in response["failed"]} == {"1001", "1002", "1003"}
    assert demo.total_invites_sent() == 0


def test_shares_are_reproducible_with_a_seed():
    def draws(seed: int) -> list[int | None]:
        faults = Faults(seed)
        faults.rate_limit_share = 0.5
        return [faults.call_fault("GetUser", NETWORK) for _ in range(40)]

    assert draws(7) == draws(7)
    assert 429 in draws(7)
    assert None in draws(7)
    assert draws(7) != draws(8)


def test_clear_removes_every_fault(demo: WickrEmulator, wickr):
    faults = demo.faults
    faults.latency_ms = 1
    faults.rate_limit_share = 1.0
    faults.error_share = {500: 1.0}
    faults.rate_limit_rps = 0.001
    faults.user_failure_share = 1.0
    faults.fail_network(NETWORK)
    faults.fail_next(429)
    faults.fail_user(NETWORK, "1001")
    faults.clear()
    assert wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1001"])["successful"] == [{"userId": "1001"}]
    assert wickr.batch_reinvite_user(networkId=NETWORK, userIds=["1002"])["successful"] == [{"userId": "1002"}]
    assert demo.journal[0].latency_ms == 0


@pytest.mark.parametrize(
    "configure",
    [
        lambda faults: setattr(faults, "rate_limit_share", 1.5),
        lambda faults: setattr(faults, "latency_ms", -1),
        lambda faults: setattr(faults, "error_share", {200: 0.5}),
        lambda faults: setattr(faults, "rate_limit_rps", 0),
        lambda faults: faults.fail_next(200),
        lambda faults: faults.fail_next(429, count=0),
        lambda faults: faults.fail_user(NETWORK, "1001", times=0),
    ],
)
def test_nonsense_faults_are_refused(configure):
    with pytest.raises(ValueError, match=r"."):
        configure(Faults())
