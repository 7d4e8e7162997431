"""The scheduled sweep through the real handler: the Wickr emulator over HTTP, moto's SQS and DynamoDB over HTTP."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import DEMO_NETWORK, OTHER_NETWORK, FakeLambdaContext, emitted_metrics, load_event
from tests.integration.conftest import drain, receive_all, table_items
from wickr_emulator import ACTIVE, SeedUser, WickrEmulator

PAGE_SIZE = 20
PENDING_IDS = [str(3000 + n) for n in range(130)]
EXPIRED_IDS = PENDING_IDS[::4]  # every fourth pending user's invitation code has expired
ACTIVE_IDS = [str(4000 + n) for n in range(20)]
SUSPENDED_IDS = ["5001", "5002", "5003"]  # pending but suspended: Wickr would refuse them, the sweep leaves them out
OTHER_PENDING = ["2001", "2002", "2003", "2004"]
OTHER_ACTIVE = ["2101"]


def _seed(emu: WickrEmulator) -> None:
    users = [SeedUser(user_id=uid, is_invite_expired=uid in EXPIRED_IDS) for uid in PENDING_IDS]
    # Interleave active and suspended users with the pending ones, so pages mix them as a real network would.
    for index, uid in enumerate(ACTIVE_IDS):
        users.insert(index * 7, SeedUser(user_id=uid, status=ACTIVE))
    for index, uid in enumerate(SUSPENDED_IDS):
        users.insert(index * 40 + 3, SeedUser(user_id=uid, suspended=True))
    emu.add_users(DEMO_NETWORK, users)
    emu.add_users(OTHER_NETWORK, [SeedUser(user_id=uid) for uid in OTHER_PENDING])
    emu.add_users(OTHER_NETWORK, [SeedUser(user_id=uid, status=ACTIVE) for uid in OTHER_ACTIVE])


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[WickrEmulator]:
    """An emulator with small pages (so the sweep pages) and a network of 130 pending, 20 active, 3 suspended."""
    with WickrEmulator(page_size=PAGE_SIZE) as emu:
        _seed(emu)
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", emu.url)
        yield emu


def _queued(messages: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(network, user) -> how many times the queued messages name it; also checks each message's shape."""
    counts: Counter[tuple[str, str]] = Counter()
    for message in messages:
        body = json.loads(message["Body"])
        assert set(body) == {"networkId", "userIds"}
        assert 1 <= len(body["userIds"]) <= 50
        counts.update((body["networkId"], uid) for uid in body["userIds"])
    return counts


def _expected(network_id: str, user_ids: list[str]) -> Counter[tuple[str, str]]:
    return Counter((network_id, uid) for uid in user_ids)


class DeadlineAfterPages:
    """A deadline that comes close once Wickr has answered `pages` ListUsers calls (whichever way the code asks it).

    Close means 15 s left: too little to list another page (a page keeps the cursor budget and QUEUE_TAIL_S free
    after it), enough to queue the page just listed and store its cursor.
    """

    def __init__(self, emu: WickrEmulator, pages: int, kept_free: float = 0.0) -> None:
        self.emu = emu
        self.pages = pages
        self.kept_free = kept_free

    def remaining(self) -> float:
        return (15.0 if self.emu.calls("ListUsers") >= self.pages else 60.0) - self.kept_free

    def expired(self) -> bool:
        return self.remaining() <= 0

    def allows(self, seconds: float) -> bool:
        return self.remaining() > seconds

    def earlier(self, seconds: float) -> DeadlineAfterPages:
        return DeadlineAfterPages(self.emu, self.pages, self.kept_free + seconds)


def test_scheduled_sweep_then_queue_drain_reinvites_every_pending_user_exactly_once(
    *,
    network: WickrEmulator,
    queue_url: str,
    ledger_table: str,
    sqs: Any,
    dynamodb: Any,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reinviter.handler import lambda_handler

    summary = lambda_handler(load_event("schedule-all.json"), lambda_context)

    assert summary["finished"] is True
    assert summary["usersEnqueued"] == len(PENDING_IDS) + len(OTHER_PENDING)
    demo = summary["sweep"][DEMO_NETWORK]
    assert (demo["usersEnqueued"], demo["finished"], demo["resumable"]) == (len(PENDING_IDS), True, False)
    assert demo["pages"] == network.calls("ListUsers") - summary["sweep"][OTHER_NETWORK]["pages"] > 1
    assert emitted_metrics(capsys.readouterr().out)["UsersEnqueued"] == len(PENDING_IDS) + len(OTHER_PENDING)
    assert not [pk for pk in table_items(dynamodb, ledger_table) if pk.startswith("sweep#")]  # finished: no cursor
    assert network.total_invites_sent() == 0  # the sweep only queues

    responses = drain(sqs, queue_url, lambda_handler)

    assert [response["batchItemFailures"] for response in responses] == [[]] * len(responses)
    for uid in PENDING_IDS:
        assert network.invites_sent(DEMO_NETWORK, uid) == 1, uid
    for uid in OTHER_PENDING:
        assert network.invites_sent(OTHER_NETWORK, uid) == 1, uid
    for uid in ACTIVE_IDS + SUSPENDED_IDS:
        assert network.invites_sent(DEMO_NETWORK, uid) == 0, uid
    assert network.invites_sent(OTHER_NETWORK, OTHER_ACTIVE[0]) == 0
    assert network.total_invites_sent() == len(PENDING_IDS) + len(OTHER_PENDING)


def test_sweep_cut_short_by_the_deadline_resumes_from_its_cursor(
    network: WickrEmulator, queue_url: str, ledger_table: str, sqs: Any, dynamodb: Any
) -> None:
    from reinviter.core.deadline import Deadline
    from reinviter.wiring import container

    sweeper = container().sweeper
    first = sweeper.run([DEMO_NETWORK], DeadlineAfterPages(network, 3))[DEMO_NETWORK]  # type: ignore[arg-type]

    assert (first.pages, first.finished) == (3, False)
    cursor = table_items(dynamodb, ledger_table)[f"sweep#{DEMO_NETWORK}"]
    assert cursor["next_token"]["S"]
    queued_first = _queued(receive_all(sqs, queue_url))
    assert sum(queued_first.values()) == first.users_enqueued > 0

    second = sweeper.run([DEMO_NETWORK], Deadline.never())[DEMO_NETWORK]

    assert (second.finished, second.restarted) == (True, False)
    # Continued, not started over: the two runs together listed each page once.
    assert network.calls("ListUsers") == first.pages + second.pages
    assert f"sweep#{DEMO_NETWORK}" not in table_items(dynamodb, ledger_table)
    queued = queued_first + _queued(receive_all(sqs, queue_url))
    assert queued == _expected(DEMO_NETWORK, PENDING_IDS)  # every pending user exactly once


def test_a_cursor_wickr_refuses_restarts_the_network_from_the_beginning(
    *,
    network: WickrEmulator,
    queue_url: str,
    ledger_table: str,
    sqs: Any,
    dynamodb: Any,
    lambda_context: FakeLambdaContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from reinviter.handler import lambda_handler

    dynamodb.put_item(
        TableName=ledger_table, Item={"pk": {"S": f"sweep#{DEMO_NETWORK}"}, "next_token": {"S": "bm90LWEtdG9rZW4"}}
    )

    summary = lambda_handler(load_event("schedule-subset.json"), lambda_context)

    demo = summary["sweep"][DEMO_NETWORK]
    assert (demo["restarted"], demo["finished"], demo["error"]) == (True, True, None)
    assert "stored sweep cursor refused, restarting the network" in caplog.messages
    assert _queued(receive_all(sqs, queue_url)) == _expected(DEMO_NETWORK, PENDING_IDS)
    assert f"sweep#{DEMO_NETWORK}" not in table_items(dynamodb, ledger_table)


def test_subset_input_sweeps_only_the_named_networks(
    network: WickrEmulator, queue_url: str, sqs: Any, lambda_context: FakeLambdaContext
) -> None:
    from reinviter.handler import lambda_handler

    summary = lambda_handler({"networkIds": [OTHER_NETWORK]}, lambda_context)

    assert set(summary["sweep"]) == {OTHER_NETWORK}
    assert _queued(receive_all(sqs, queue_url)) == _expected(OTHER_NETWORK, OTHER_PENDING)


def test_classic_eventbridge_rule_event_sweeps_every_allowed_network(
    network: WickrEmulator, queue_url: str, sqs: Any, lambda_context: FakeLambdaContext
) -> None:
    from reinviter.handler import lambda_handler

    summary = lambda_handler(load_event("schedule-eventbridge-rule.json"), lambda_context)

    assert set(summary["sweep"]) == {DEMO_NETWORK, OTHER_NETWORK}
    assert _queued(receive_all(sqs, queue_url)) == _expected(DEMO_NETWORK, PENDING_IDS) + _expected(
        OTHER_NETWORK, OTHER_PENDING
    )


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"networkIds": [DEMO_NETWORK, "11112222"]}, "['11112222'] are not in WICKR_NETWORK_IDS"),
        ({"networkIds": ["12"]}, "invalid sweep input: networkIds.0"),
        ({"networkIds": []}, "invalid sweep input: networkIds"),
    ],
)
def test_a_subset_outside_the_allowlist_or_malformed_is_refused_and_nothing_is_sent(
    *,
    network: WickrEmulator,
    queue_url: str,
    sqs: Any,
    lambda_context: FakeLambdaContext,
    event: dict[str, Any],
    message: str,
) -> None:
    from reinviter.entry.schedule import SweepInputError
    from reinviter.handler import lambda_handler

    with pytest.raises(SweepInputError) as raised:
        lambda_handler(event, lambda_context)

    assert message in str(raised.value)
    assert network.calls("ListUsers") == 0
    assert receive_all(sqs, queue_url) == []


def test_sweep_only_expired_queues_only_users_whose_invitation_expired(
    network: WickrEmulator, queue_url: str, sqs: Any, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reinviter.handler import lambda_handler

    monkeypatch.setenv("SWEEP_ONLY_EXPIRED", "true")
    summary = lambda_handler({"networkIds": [DEMO_NETWORK]}, lambda_context)

    demo = summary["sweep"][DEMO_NETWORK]
    assert (demo["usersListed"], demo["usersEnqueued"]) == (len(PENDING_IDS), len(EXPIRED_IDS))
    assert _queued(receive_all(sqs, queue_url)) == _expected(DEMO_NETWORK, EXPIRED_IDS)


def test_dry_run_sweep_lists_and_reports_but_sends_nothing_and_writes_no_cursor(
    *,
    network: WickrEmulator,
    queue_url: str,
    ledger_table: str,
    sqs: Any,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reinviter.handler import lambda_handler

    monkeypatch.setenv("DRY_RUN", "true")
    summary = lambda_handler({}, FakeLambdaContext())

    assert summary["dryRun"] is True
    demo = summary["sweep"][DEMO_NETWORK]
    assert (demo["usersSelected"], demo["usersEnqueued"], demo["finished"]) == (len(PENDING_IDS), 0, True)
    assert receive_all(sqs, queue_url) == []
    assert table_items(dynamodb, ledger_table) == {}


def test_sweep_without_a_queue_url_is_a_configuration_error(
    network: WickrEmulator, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reinviter.handler import lambda_handler
    from reinviter.orchestration.sweeper import SweepConfigError

    monkeypatch.delenv("REINVITE_QUEUE_URL", raising=False)
    with pytest.raises(SweepConfigError, match="REINVITE_QUEUE_URL is empty"):
        lambda_handler({}, lambda_context)
    assert network.calls("ListUsers") == 0


def test_each_sweep_reports_every_networks_backlog_with_one_call_a_network(
    network: WickrEmulator, queue_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from reinviter.handler import lambda_handler

    summary = lambda_handler({}, FakeLambdaContext())

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"network_id"' in line]
    backlog = {
        (blob["network_id"], name): blob[name][0]
        for blob in blobs
        for name in ("PendingUsers", "ExpiredInvitations")
        if name in blob
    }
    wickr_pending = sum(user.status == 1 for user in network.users(DEMO_NETWORK))  # suspended ones included
    assert backlog[(DEMO_NETWORK, "PendingUsers")] == wickr_pending > len(PENDING_IDS)
    assert backlog[(DEMO_NETWORK, "ExpiredInvitations")] == len(EXPIRED_IDS)
    assert all(blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "network_id"]] for blob in blobs)
    assert summary["sweep"][DEMO_NETWORK]["pendingUsers"] == wickr_pending
    assert network.calls("GetUsersCount") == len(summary["sweep"])  # the backlog's whole cost: one call a network
