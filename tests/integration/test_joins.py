"""Joins (issue 21): a reinvited user a check sees active is recorded as joined, counted once, never reinvited again.

Through the real handler: the Wickr emulator over HTTP (the user accepts with `update_user`), moto's DynamoDB behind
the fault proxy, the ledger's clock held by the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devkit.dynamodb_proxy import Faults, dynamodb_proxy
from tests.conftest import DEMO_NETWORK, FakeLambdaContext, Logs, failed_ids, metric_values, sqs_event, sqs_record
from tests.integration.conftest import table_items
from wickr_emulator import WickrEmulator

HOUR = 3600.0
USER_PK = f"user#{DEMO_NETWORK}#1001"


@pytest.fixture
def proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    with dynamodb_proxy(aws) as (url, faults):
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", url)
        yield faults


def _reinvite(user_ids: list[str], message_id: str) -> dict[str, Any]:
    from reinviter.handler import lambda_handler

    event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": user_ids}, message_id=message_id))
    return lambda_handler(event, FakeLambdaContext())


def _cold_start() -> None:
    """A new container: the next invocation reads the environment again."""
    from reinviter.settings import get_settings
    from reinviter.wiring import container

    container.cache_clear()
    get_settings.cache_clear()


def test_a_reinvited_user_who_accepts_is_recorded_once_and_never_reinvited_again(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    clock: list[float],
    capsys: pytest.CaptureFixture[str],
    logs: Logs,
) -> None:
    start = clock[0]
    assert failed_ids(_reinvite(["1001"], "m-1")) == set()
    clock[0] += 25 * HOUR  # past the 24 h cooldown
    assert failed_ids(_reinvite(["1001"], "m-2")) == set()  # the second reinvite
    capsys.readouterr()
    clock[0] += 30 * HOUR
    emulator.update_user(DEMO_NETWORK, "1001", status=2)  # the user accepts

    assert failed_ids(_reinvite(["1001", "1002"], "m-3")) == set()

    item = table_items(dynamodb, ledger_table)[USER_PK]
    assert float(item["joined_at"]["N"]) == clock[0]
    assert float(item["first_reinvited_at"]["N"]) == start
    assert item["attempts"] == {"N": "2"}
    captured = capsys.readouterr().out
    assert metric_values(captured, "UsersJoined") == [1]
    assert metric_values(captured, "UsersJoined", per_network=True) == [1]
    assert metric_values(captured, "UsersReinvited", per_network=True) == [1]  # 1002, beside the join: the conversion
    assert metric_values(captured, "ReinvitesBeforeJoin") == [2]
    assert metric_values(captured, "HoursToJoin") == [55.0]  # from the first reinvite
    joined = [line for line in logs() if line["message"] == "user joined"]
    assert [(line["user_id"], line["reinvites"], line["hours_since_last_reinvite"]) for line in joined] == [
        ("1001", 2, 30.0)
    ]

    # A later request, past any cooldown: the ledger says joined, so no GetUser and no reinvite, and no second count.
    emulator.reset_journal()
    clock[0] += 100 * HOUR
    assert failed_ids(_reinvite(["1001"], "m-4")) == set()
    assert emulator.calls() == 0
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 2
    captured = capsys.readouterr().out
    assert metric_values(captured, "UsersJoined") == [0]
    assert metric_values(captured, "UsersJoined", per_network=True) == [0]  # the network the batch named, zero included
    assert (
        metric_values(captured, "ReinvitesBeforeJoin") == []
    )  # no join, no sample (a zero would skew the percentiles)
    skipped = [line for line in logs() if line["message"] == "reinvite skipped"]
    assert skipped[-1]["reason"] == "joined"


def test_a_user_active_without_a_reinvite_is_no_join(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.update_user(DEMO_NETWORK, "1001", status=2)

    assert failed_ids(_reinvite(["1001"], "m-1")) == set()

    assert USER_PK not in table_items(dynamodb, ledger_table)
    assert metric_values(capsys.readouterr().out, "UsersJoined") == [0]


def test_a_join_whose_answer_was_lost_is_counted_once(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    proxy: Faults,
    clock: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert failed_ids(_reinvite(["1001"], "m-1")) == set()
    clock[0] += 25 * HOUR  # past the cooldown (a user in cooldown is skipped without a GetUser)
    emulator.update_user(DEMO_NETWORK, "1001", status=2)
    proxy.lose_answer["UpdateItem"] = 1  # the join is written, its answer lost; the retry is known by its join mark
    capsys.readouterr()

    assert failed_ids(_reinvite(["1001"], "m-2")) == set()

    assert proxy.seen["UpdateItem"] == 2
    assert "joined_at" in table_items(dynamodb, ledger_table)[USER_PK]
    assert metric_values(capsys.readouterr().out, "UsersJoined") == [1]


def test_a_join_the_ledger_cannot_record_leaves_the_message_done_and_is_recorded_by_the_next_check(  # noqa: PLR0917
    emulator: WickrEmulator,
    ledger_table: str,
    dynamodb: Any,
    proxy: Faults,
    clock: list[float],
    capsys: pytest.CaptureFixture[str],
    logs: Logs,
) -> None:
    assert failed_ids(_reinvite(["1001"], "m-1")) == set()
    clock[0] += 25 * HOUR  # past the cooldown (a user in cooldown is skipped without a GetUser)
    emulator.update_user(DEMO_NETWORK, "1001", status=2)
    proxy.fail["UpdateItem"] = 3  # every attempt of the join's write refused with a 500
    capsys.readouterr()

    assert failed_ids(_reinvite(["1001"], "m-2")) == set()  # the user was skipped as active: done either way
    assert "joined_at" not in table_items(dynamodb, ledger_table)[USER_PK]
    assert [line["user_id"] for line in logs() if line["message"] == "join not recorded"] == ["1001"]
    assert metric_values(capsys.readouterr().out, "UsersJoined") == [0]

    assert failed_ids(_reinvite(["1001"], "m-3")) == set()
    assert "joined_at" in table_items(dynamodb, ledger_table)[USER_PK]
    assert metric_values(capsys.readouterr().out, "UsersJoined") == [1]


def test_a_dry_run_records_no_join(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert failed_ids(_reinvite(["1001"], "m-1")) == set()
    clock[0] += 25 * HOUR  # past the cooldown (a user in cooldown is skipped without a GetUser)
    emulator.update_user(DEMO_NETWORK, "1001", status=2)
    monkeypatch.setenv("DRY_RUN", "true")
    _cold_start()

    assert failed_ids(_reinvite(["1001"], "m-2")) == set()

    assert "joined_at" not in table_items(dynamodb, ledger_table)[USER_PK]


def test_the_reminder_schedule_sets_the_wait_before_each_reinvite(
    emulator: WickrEmulator, ledger_table: str, dynamodb: Any, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REINVITE_SCHEDULE_HOURS", "2,6")
    sent = []
    for hours, message_id in [(0, "m-1"), (1, "m-2"), (1.5, "m-3"), (5, "m-4"), (6.5, "m-5"), (6.5, "m-6")]:
        clock[0] += hours * HOUR
        assert failed_ids(_reinvite(["1001"], message_id)) == set()
        sent.append(emulator.invites_sent(DEMO_NETWORK, "1001"))

    # 0 h sent; 1 h waits (2 h before the 2nd); 2.5 h sent; 7.5 h waits (6 h before the 3rd); 14 h sent; 20.5 h sent
    # (the last wait repeats).
    assert sent == [1, 1, 2, 2, 3, 4]
    assert table_items(dynamodb, ledger_table)[USER_PK]["attempts"] == {"N": "4"}
