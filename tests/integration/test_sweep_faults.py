"""The sweep when its peers misbehave: SQS failing some batch entries, Wickr throttling a page."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from reinviter.core.deadline import Deadline
from tests.conftest import DEMO_NETWORK, OTHER_NETWORK, FakeLambdaContext, emitted_metrics
from tests.integration.conftest import receive_all, table_items
from wickr_emulator import SeedUser, WickrEmulator

PENDING_IDS = [str(3000 + n) for n in range(100)]  # 5 pages of 20


class UnreliableSqs:
    """The real (moto) SQS client, except that the entries `fail` picks come back in `Failed`, as SQS may answer.

    Not a mock: every entry it lets through is really queued by moto, and the answer's shape is moto's own.
    """

    def __init__(self, real: Any, fail: Callable[[int, dict[str, Any]], bool]) -> None:
        self.real = real
        self.fail = fail
        self.calls = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        failing = [entry for entry in Entries if self.fail(self.calls, entry)]
        passing = [entry for entry in Entries if entry not in failing]
        answer: dict[str, Any] = {"Successful": [], "Failed": []}
        if passing:
            answer = self.real.send_message_batch(QueueUrl=QueueUrl, Entries=passing)
        answer.setdefault("Failed", []).extend(
            {"Id": entry["Id"], "SenderFault": False, "Code": "InternalError", "Message": "injected"}
            for entry in failing
        )
        return answer


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[WickrEmulator]:
    with WickrEmulator(page_size=20) as emu:
        emu.add_users(DEMO_NETWORK, [SeedUser(user_id=uid) for uid in PENDING_IDS])
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", emu.url)
        yield emu


def _queued_ids(messages: list[dict[str, Any]]) -> Counter[str]:
    return Counter(uid for message in messages for uid in json.loads(message["Body"])["userIds"])


def test_failed_batch_entries_are_retried_until_every_message_is_queued_once(queue_url: str, sqs: Any) -> None:
    from reinviter.adapters.sqs import ReinviteQueue

    unreliable = UnreliableSqs(sqs, lambda call, entry: call == 1 and entry["Id"] in {"0", "7"})
    bodies = [{"networkId": DEMO_NETWORK, "userIds": [str(n)]} for n in range(25)]

    ReinviteQueue(unreliable, queue_url, sleep=lambda _: None).send(bodies, Deadline.never())  # type: ignore[arg-type]

    assert _queued_ids(receive_all(sqs, queue_url)) == Counter(str(n) for n in range(25))
    assert unreliable.calls == 4  # three batches of at most 10, plus one retry of the first batch's two failures


def test_entries_still_failing_after_the_last_round_raise(queue_url: str, sqs: Any) -> None:
    from reinviter.adapters.sqs import ReinviteQueue
    from reinviter.core.errors import QueueError

    unreliable = UnreliableSqs(sqs, lambda _call, entry: entry["Id"] == "1")

    with pytest.raises(QueueError, match="left 1 of 3 entries unsent after 4 rounds"):
        ReinviteQueue(unreliable, queue_url, sleep=lambda _: None).send(  # type: ignore[arg-type]
            [{"networkId": DEMO_NETWORK, "userIds": [str(n)]} for n in range(3)], Deadline.never()
        )
    assert unreliable.calls == 4


def test_no_round_starts_that_could_not_end_before_the_deadline(queue_url: str, sqs: Any) -> None:
    from reinviter.adapters.sqs import ReinviteQueue
    from reinviter.core.errors import QueueError

    unreliable = UnreliableSqs(sqs, lambda _call, _entry: False)

    with pytest.raises(QueueError, match="no time left before the deadline, 1 of 1 entries unsent"):
        ReinviteQueue(unreliable, queue_url).send([{"networkId": DEMO_NETWORK, "userIds": ["1"]}], Deadline(at=0.0))
    assert unreliable.calls == 0


def test_a_page_that_could_not_be_queued_is_not_marked_done_and_the_next_run_resumes_there(
    *,
    network: WickrEmulator,
    queue_url: str,
    ledger_table: str,
    sqs: Any,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reinviter import handler, wiring
    from reinviter.adapters.sqs import sqs_client

    # SQS fails every entry from the third page on: two pages are queued and only their progress is recorded.
    monkeypatch.setattr(wiring, "sqs_client", lambda: UnreliableSqs(sqs_client(), lambda call, _entry: call > 2))
    from reinviter.core.retry import Backoff

    monkeypatch.setattr("reinviter.adapters.sqs.BACKOFF", Backoff(base_s=0.0, cap_s=0.0))  # no waiting between rounds
    first = handler.lambda_handler({"networkIds": [DEMO_NETWORK]}, FakeLambdaContext())["sweep"][DEMO_NETWORK]

    assert (first["pages"], first["usersEnqueued"], first["finished"]) == (2, 40, False)
    assert first["error"].startswith("SendMessageBatch")
    assert f"sweep#{DEMO_NETWORK}" in table_items(dynamodb, ledger_table)
    queued = _queued_ids(receive_all(sqs, queue_url))
    assert sum(queued.values()) == 40

    monkeypatch.setattr(wiring, "sqs_client", sqs_client)
    wiring.container.cache_clear()  # a new container: healthy SQS
    second = handler.lambda_handler({"networkIds": [DEMO_NETWORK]}, FakeLambdaContext())["sweep"][DEMO_NETWORK]

    assert (second["pages"], second["finished"]) == (3, True)
    assert queued + _queued_ids(receive_all(sqs, queue_url)) == Counter(PENDING_IDS)


def test_a_throttled_listing_is_retried_and_counted(
    network: WickrEmulator, queue_url: str, sqs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.handler import lambda_handler

    network.add_users(OTHER_NETWORK, [SeedUser(user_id=uid) for uid in ("2001", "2002")])  # one page
    network.faults.fail_next(429, operation="ListUsers")
    summary = lambda_handler({"networkIds": [OTHER_NETWORK]}, FakeLambdaContext())

    assert summary["sweep"][OTHER_NETWORK]["finished"] is True
    assert network.calls("ListUsers") == 2
    assert _queued_ids(receive_all(sqs, queue_url)) == Counter(["2001", "2002"])
    metrics = emitted_metrics(capsys.readouterr().out)
    assert (metrics["RateLimited"], metrics["UsersEnqueued"]) == (1, 2)


@pytest.mark.parametrize(
    ("fault", "operation"),
    [("fail", "GetItem"), ("hang", "GetItem"), ("fail", "PutItem")],
)
def test_a_cursor_failure_fails_only_its_network_and_the_others_are_swept(  # noqa: PLR0917 - fixtures
    network: WickrEmulator,
    queue_url: str,
    ledger_table: str,
    sqs: Any,
    aws: str,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    operation: str,
) -> None:
    from devkit.dynamodb_proxy import dynamodb_proxy
    from reinviter.handler import lambda_handler

    network.add_users(OTHER_NETWORK, [SeedUser(user_id=uid) for uid in ("2001", "2002")])
    with dynamodb_proxy(aws) as (url, faults):
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", url)
        getattr(faults, fault)[operation] = 2  # both attempts of the first network's cursor request
        summary = lambda_handler({}, FakeLambdaContext())

    first, second = summary["sweep"][DEMO_NETWORK], summary["sweep"][OTHER_NETWORK]
    assert first["error"].startswith("sweep cursor: ")
    assert first["finished"] is False
    assert (second["finished"], second["error"], second["usersEnqueued"]) == (True, None, 2)
    queued = _queued_ids(receive_all(sqs, queue_url))
    assert queued["2001"] == queued["2002"] == 1


def test_no_page_is_listed_without_time_to_queue_it_and_store_its_cursor(
    network: WickrEmulator, queue_url: str, ledger_table: str, sqs: Any
) -> None:
    from reinviter.adapters.dynamodb.cursors import CURSOR_BUDGET_S
    from reinviter.adapters.wickr.gateway import CALL_BUDGET_S
    from reinviter.handler import lambda_handler
    from reinviter.orchestration.sweeper import QUEUE_TAIL_S

    # Time for one ListUsers call, not for the queueing and the cursor write that must follow it.
    remaining_ms = 3_000 + int((CALL_BUDGET_S + CURSOR_BUDGET_S + QUEUE_TAIL_S) * 1000) - 1_000
    summary = lambda_handler({"networkIds": [DEMO_NETWORK]}, FakeLambdaContext(remaining_ms=remaining_ms))

    assert (summary["sweep"][DEMO_NETWORK]["pages"], summary["finished"]) == (0, False)
    assert network.calls("ListUsers") == 0
    assert receive_all(sqs, queue_url) == []
