"""The gateway: the exact request shape, error translation, and the retry loop (a Stubber as Wickr, no sockets)."""

from __future__ import annotations

import random
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reinviter.adapters.wickr.answers import scrub_errors
from reinviter.adapters.wickr.gateway import WickrGateway
from reinviter.adapters.wickr.pacing import RequestPacer
from reinviter.core.deadline import Deadline
from reinviter.core.errors import (
    DeadlineReached,
    MalformedAnswer,
    PermanentWickrError,
    RetryableWickrError,
    WickrAccessError,
)
from reinviter.core.model import ReinviteReceipt, UserState
from reinviter.core.retry import Backoff

NETWORK = "12345678"
TOKEN = "a" * 64
ERROR_CODES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "ForbiddenError",
    404: "ResourceNotFoundError",
    422: "ValidationError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "InternalServerError",
}


class Longest(random.Random):
    """Jitter that always draws the longest wait."""

    def uniform(self, a: float, b: float) -> float:
        return b


class Harness:
    def __init__(self) -> None:
        self.client = scrub_errors(
            boto3.client("wickr", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        )
        self.stubber = Stubber(self.client)
        self.sleeps: list[float] = []
        self.gateway = WickrGateway(
            self.client,
            max_attempts=3,
            backoff=Backoff(base_s=0.001),
            pacer=RequestPacer(1000.0),  # a ceiling: a 429 halves it to 500/s, never a real wait here
            rng=random.Random(7),
            sleep=self.sleeps.append,
        )

    def error(self, method: str, status: int) -> None:
        self.stubber.add_client_error(
            method, service_error_code=ERROR_CODES[status], service_message="no", http_status_code=status
        )

    def user(self, **fields: Any) -> None:
        self.stubber.add_response(
            "get_user", {"userId": "1001", **fields}, expected_params={"networkId": NETWORK, "userId": "1001"}
        )

    def reinvite_ok(self, ids: list[str]) -> None:
        self.stubber.add_response(
            "batch_reinvite_user",
            {"successful": [{"userId": uid} for uid in ids], "failed": []},
            expected_params={"networkId": NETWORK, "userIds": ids, "clientToken": TOKEN},
        )


def test_reinvite_sends_network_ids_and_token_and_reads_per_user_failures(wickr: Harness) -> None:
    wickr.stubber.add_response(
        "batch_reinvite_user",
        {"successful": [{"userId": "1001"}], "failed": [{"userId": "1002", "reason": "user is not pending"}]},
        expected_params={"networkId": NETWORK, "userIds": ["1001", "1002"], "clientToken": TOKEN},
    )

    receipt = wickr.gateway.reinvite(NETWORK, ["1001", "1002"], TOKEN, Deadline.never())

    assert receipt == ReinviteReceipt(successful=frozenset({"1001"}), failed={"1002": "not pending"})


@pytest.mark.parametrize("count", [0, 51])
def test_reinvite_refuses_an_empty_or_oversized_chunk_without_calling(wickr: Harness, count: int) -> None:
    with pytest.raises(ValueError, match="1 to 50 user ids"):
        wickr.gateway.reinvite(NETWORK, [str(1000 + n) for n in range(count)], TOKEN, Deadline.never())
    assert wickr.gateway.counter.snapshot() == (0, 0)


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"status": 1, "suspended": False}, UserState.PENDING),
        ({"status": 2, "suspended": False}, UserState.ACTIVE),
        ({"status": 1, "suspended": True}, UserState.SUSPENDED),
        ({"status": 2, "suspended": True}, UserState.SUSPENDED),
        ({"status": 2}, UserState.ACTIVE),
    ],
)
def test_user_state(wickr: Harness, fields: dict[str, Any], state: UserState) -> None:
    wickr.user(**fields)

    assert wickr.gateway.user_state(NETWORK, "1001", Deadline.never()) is state


def test_unknown_user_is_not_found_not_an_error(wickr: Harness) -> None:
    wickr.error("get_user", 404)
    wickr.stubber.add_response("list_users", {"users": []}, expected_params={"networkId": NETWORK, "maxResults": 1})
    wickr.error("get_user", 404)  # the network is known now: no second ListUsers

    assert wickr.gateway.user_state(NETWORK, "1001", Deadline.never()) is UserState.NOT_FOUND
    assert wickr.gateway.user_state(NETWORK, "1001", Deadline.never()) is UserState.NOT_FOUND


def test_a_404_for_the_network_itself_is_no_user_verdict(wickr: Harness) -> None:
    from reinviter.core.errors import WickrNetworkNotFound

    wickr.error("get_user", 404)
    wickr.error("list_users", 404)

    with pytest.raises(WickrNetworkNotFound, match="unknown to Wickr"):
        wickr.gateway.user_state(NETWORK, "1001", Deadline.never())
    assert wickr.sleeps == []


def test_429_is_retried_then_succeeds(wickr: Harness) -> None:
    wickr.error("batch_reinvite_user", 429)
    wickr.reinvite_ok(["1001"])  # the retry repeats the same token

    receipt = wickr.gateway.reinvite(NETWORK, ["1001"], TOKEN, Deadline.never())

    assert receipt.successful == {"1001"}
    assert len(wickr.sleeps) == 1
    assert 0.0 <= wickr.sleeps[0] <= 0.001
    assert wickr.gateway.counter.snapshot() == (2, 1)


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retried_then_succeeds(wickr: Harness, status: int) -> None:
    wickr.error("get_user", status)
    wickr.user(status=1)

    assert wickr.gateway.user_state(NETWORK, "1001", Deadline.never()) is UserState.PENDING
    assert len(wickr.sleeps) == 1


@pytest.mark.parametrize(("status", "kind"), [(400, PermanentWickrError), (422, PermanentWickrError)])
def test_refusals_are_not_retried(wickr: Harness, status: int, kind: type[Exception]) -> None:
    wickr.error("batch_reinvite_user", status)

    with pytest.raises(kind) as raised:
        wickr.gateway.reinvite(NETWORK, ["1001"], TOKEN, Deadline.never())

    assert not isinstance(raised.value, RetryableWickrError)
    assert raised.value.status == status  # type: ignore[attr-defined]
    assert raised.value.maybe_sent is False  # type: ignore[attr-defined]
    assert wickr.sleeps == []


@pytest.mark.parametrize("status", [401, 403])
def test_access_errors_are_not_retried(wickr: Harness, status: int) -> None:
    wickr.error("get_user", status)

    with pytest.raises(WickrAccessError) as raised:
        wickr.gateway.user_state(NETWORK, "1001", Deadline.never())

    assert raised.value.status == status
    assert wickr.sleeps == []


def test_exhausted_429_was_never_sent(wickr: Harness) -> None:
    for _ in range(3):
        wickr.error("batch_reinvite_user", 429)

    with pytest.raises(RetryableWickrError) as raised:
        wickr.gateway.reinvite(NETWORK, ["1001"], TOKEN, Deadline.never())

    assert raised.value.status == 429
    assert raised.value.maybe_sent is False
    assert len(wickr.sleeps) == 2  # attempts are bounded: 3 calls, 2 waits
    assert wickr.gateway.counter.snapshot() == (3, 3)


def test_exhausted_500_may_have_been_sent(wickr: Harness) -> None:
    for _ in range(3):
        wickr.error("batch_reinvite_user", 500)

    with pytest.raises(RetryableWickrError) as raised:
        wickr.gateway.reinvite(NETWORK, ["1001"], TOKEN, Deadline.never())

    assert raised.value.maybe_sent is True


def test_500_then_429_still_may_have_been_sent(wickr: Harness) -> None:
    wickr.error("batch_reinvite_user", 500)
    wickr.error("batch_reinvite_user", 429)
    wickr.error("batch_reinvite_user", 429)

    with pytest.raises(RetryableWickrError) as raised:
        wickr.gateway.reinvite(NETWORK, ["1001"], TOKEN, Deadline.never())

    assert raised.value.status == 429
    assert raised.value.maybe_sent is True


def test_no_call_once_the_deadline_has_passed(wickr: Harness) -> None:
    with pytest.raises(DeadlineReached):
        wickr.gateway.user_state(NETWORK, "1001", Deadline.after(remaining_ms=0, margin_ms=0))

    assert wickr.gateway.counter.snapshot() == (0, 0)  # the stubber has nothing queued: a call would have failed


def test_no_retry_that_would_end_past_the_deadline() -> None:
    harness = Harness()
    harness.gateway = WickrGateway(
        harness.client,
        max_attempts=3,
        backoff=Backoff(base_s=100.0, cap_s=100.0),
        rng=Longest(),
        sleep=harness.sleeps.append,
    )
    with harness.stubber:
        harness.error("batch_reinvite_user", 500)
        deadline = Deadline.after(remaining_ms=60_000, margin_ms=0)

        with pytest.raises(DeadlineReached) as raised:
            harness.gateway.reinvite(NETWORK, ["1001"], TOKEN, deadline)

    assert raised.value.maybe_sent is True
    assert harness.sleeps == []  # it gave up instead of sleeping into the deadline (a 100 s wait with 60 s left)


@pytest.mark.parametrize(("attempt", "ceiling"), [(0, 0.2), (1, 0.4), (3, 1.6), (4, 3.2), (5, 5.0), (30, 5.0)])
def test_backoff_stays_within_full_jitter_bounds(attempt: int, ceiling: float) -> None:
    backoff = Backoff()
    rng = random.Random(attempt)

    delays = [backoff.delay(attempt, rng) for _ in range(200)]

    assert all(0.0 <= delay <= ceiling for delay in delays)
    assert max(delays) > ceiling / 2  # jittered over the whole range, not a fixed value


def test_backoff_is_uniform_over_zero_to_the_capped_exponential() -> None:
    assert [Backoff(base_s=0.5, cap_s=3.0).delay(n, Longest()) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_a_paced_call_does_not_start_when_the_pacer_wait_leaves_too_little_time(wickr: Harness) -> None:
    import time

    from reinviter.adapters.wickr.gateway import CALL_BUDGET_S

    sleeps: list[float] = []
    wickr.gateway._pacer = RequestPacer(1.0, sleep=sleeps.append)  # one request a second: the next waits ~1 s
    wickr.user(status=1)
    wickr.gateway.user_state(NETWORK, "1001", Deadline.never())  # takes the bucket's only token
    # Enough for a call's budget now, not after the pacer's wait: the first version checked before waiting.
    deadline = Deadline(time.monotonic() + CALL_BUDGET_S + 0.5)

    with pytest.raises(DeadlineReached):
        wickr.gateway.user_state(NETWORK, "1001", deadline)

    assert sleeps == []  # neither waited for nor sent


# -- answers are data to validate: botocore checks requests, never responses ------------------------------------------
@pytest.mark.parametrize(
    "answer",
    [
        {"userId": "1001"},  # the body cut short before `status`
        {"userId": "1001", "status": 7},  # a status this code does not know
        {"userId": "1002", "status": 1},  # another user
    ],
)
def test_a_getuser_answer_without_what_the_verdict_needs_is_a_failed_call(
    wickr: Harness, answer: dict[str, Any]
) -> None:
    for _ in range(3):
        wickr.stubber.add_response("get_user", answer)

    with pytest.raises(MalformedAnswer, match="GetUser: malformed answer") as raised:
        wickr.gateway.user_state(NETWORK, "1001", Deadline.never())
    assert raised.value.maybe_sent  # retried as a 500 would be
    assert len(wickr.sleeps) == 2


@pytest.mark.parametrize(
    "page",
    [
        {},  # cut short: no users, no nextToken
        {"users": [{"userId": "1001"}]},  # an entry without its status
        {"users": [{"status": 1}]},  # an entry without its id
    ],
)
def test_a_listusers_page_must_be_well_formed_to_count_let_alone_to_end_a_listing(
    wickr: Harness, page: dict[str, Any]
) -> None:
    for _ in range(3):
        wickr.stubber.add_response("list_users", page)

    with pytest.raises(MalformedAnswer, match="ListUsers"):
        list(wickr.gateway.pending_users(NETWORK, Deadline.never()))


@pytest.mark.parametrize(
    "answer",
    [
        {},  # cut short: nobody accounted for
        {"successful": [{"userId": "1001"}]},  # 1002 in neither list
        {"successful": [{"userId": "1001"}, {"userId": "1003"}], "failed": [{"userId": "1002"}]},  # not asked for
        {"successful": [{"userId": "1001"}], "failed": [{"userId": "1001"}, {"userId": "1002"}]},  # listed twice
    ],
)
def test_a_reinvite_answer_that_does_not_account_for_every_user_is_replayed_with_the_same_token(
    wickr: Harness, answer: dict[str, Any]
) -> None:
    expected = {"networkId": NETWORK, "userIds": ["1001", "1002"], "clientToken": TOKEN}
    wickr.stubber.add_response("batch_reinvite_user", answer, expected_params=expected)
    wickr.stubber.add_response(
        "batch_reinvite_user", {"successful": [{"userId": "1001"}, {"userId": "1002"}]}, expected_params=expected
    )

    receipt = wickr.gateway.reinvite(NETWORK, ["1001", "1002"], TOKEN, Deadline.never())

    assert receipt.successful == {"1001", "1002"}


def test_a_reinvite_never_answered_in_full_is_maybe_sent(wickr: Harness) -> None:
    for _ in range(3):
        wickr.stubber.add_response("batch_reinvite_user", {"successful": [{"userId": "1001"}]})

    with pytest.raises(MalformedAnswer) as raised:
        wickr.gateway.reinvite(NETWORK, ["1001", "1002"], TOKEN, Deadline.never())
    assert raised.value.maybe_sent
    assert "1 of 2 requested users" in str(raised.value)


def test_per_user_failure_reasons_become_fixed_codes(wickr: Harness) -> None:
    wickr.stubber.add_response(
        "batch_reinvite_user",
        {
            "failed": [
                {"userId": "1001", "reason": "ana@example.org is suspended"},
                {"userId": "1002", "field": "userId", "reason": "something about ana@example.org"},
                {"userId": "1003", "field": "=HYPERLINK(ana@example.org)", "reason": "?"},
            ]
        },
    )

    receipt = wickr.gateway.reinvite(NETWORK, ["1001", "1002", "1003"], TOKEN, Deadline.never())

    assert receipt.failed == {"1001": "suspended", "1002": "failed (userId)", "1003": "failed"}
