"""The sweep finds joins it is not asked about (issue 21): reinvited users its listing no longer shows get a GetUser.

Through the real handler: the Wickr emulator over HTTP, moto's SQS and DynamoDB (with the template's AwaitingIndex)
over HTTP, the ledger's clock held by the test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import (
    DEMO_NETWORK,
    FakeLambdaContext,
    failed_ids,
    metric_values,
    network_metrics,
    sqs_event,
    sqs_record,
)
from tests.conftest import emitted_metrics as service_metrics
from tests.integration.conftest import receive_all, table_items
from wickr_emulator import WickrEmulator

HOUR = 3600.0
REINVITED = ["1001", "1002", "1004", "1007"]  # demo seed users, all pending


def _pk(user_id: str) -> str:
    return f"user#{DEMO_NETWORK}#{user_id}"


def _reinvite(user_ids: list[str]) -> None:
    from reinviter.handler import lambda_handler

    event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": user_ids}, message_id="onboarding-1"))
    assert failed_ids(lambda_handler(event, FakeLambdaContext())) == set()


def _sweep() -> dict[str, Any]:
    from reinviter.handler import lambda_handler

    summary: dict[str, Any] = lambda_handler({"networkIds": [DEMO_NETWORK]}, FakeLambdaContext())
    return summary["sweep"][DEMO_NETWORK]


def test_the_sweep_checks_the_reinvited_users_it_no_longer_lists_and_records_each_outcome_once(  # noqa: PLR0917
    emulator: WickrEmulator,
    queue_url: str,
    ledger_table: str,
    sqs: Any,
    dynamodb: Any,
    clock: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _reinvite(REINVITED)
    assert {pk: item["awaiting"] for pk, item in table_items(dynamodb, ledger_table).items() if "awaiting" in item} == {
        _pk(uid): {"S": DEMO_NETWORK} for uid in REINVITED
    }
    clock[0] += 2 * HOUR  # inside the cooldown: a request would not even check them; the sweep does
    emulator.update_user(DEMO_NETWORK, "1001", status=2)  # accepts
    emulator.remove_user(DEMO_NETWORK, "1002")  # deleted by an administrator
    emulator.update_user(DEMO_NETWORK, "1007", suspended=True)  # suspended: no longer on the pending listing
    emulator.reset_journal()
    capsys.readouterr()

    swept = _sweep()

    checked = sorted(entry.user_ids[0] for entry in emulator.journal if entry.operation == "GetUser")
    assert checked == ["1001", "1002", "1007"]  # 1004 is still on the listing: no call for them
    assert (swept["awaitingChecked"], swept["usersJoined"], swept["awaitingFinished"]) == (3, 1, True)
    items = table_items(dynamodb, ledger_table)
    assert float(items[_pk("1001")]["joined_at"]["N"]) == clock[0]
    assert items[_pk("1002")]["outcome"] == {"S": "deleted"}
    assert items[_pk("1007")]["outcome"] == {"S": "suspended"}
    assert [pk for pk, item in items.items() if "awaiting" in item] == [_pk("1004")]
    assert f"sweep#{DEMO_NETWORK}/awaiting" not in items  # finished: no cursor left
    captured = capsys.readouterr().out
    assert (service_metrics(captured)["UsersJoined"], service_metrics(captured)["UsersChecked"]) == (1, 3)
    assert network_metrics(captured)[DEMO_NETWORK, "UsersJoined"] == 1
    assert metric_values(captured, "HoursToJoin") == [2.0]
    assert metric_values(captured, "ReinvitesBeforeJoin") == [1]
    receive_all(sqs, queue_url)  # the sweep's own messages (the still pending users), not drained here

    emulator.reset_journal()
    again = _sweep()  # nothing awaited is missing from the listing any more: no GetUser at all

    assert emulator.calls("GetUser") == 0
    assert (again["awaitingChecked"], again["usersJoined"]) == (0, 0)
    assert service_metrics(capsys.readouterr().out)["UsersJoined"] == 0


def test_a_user_given_up_who_joins_later_counts_as_a_join(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    queue_url: str,
    ledger_table: str,
    dynamodb: Any,
    clock: list[float],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "1")
    _reinvite(["1001"])
    assert table_items(dynamodb, ledger_table)[_pk("1001")]["given_up"] == {"S": DEMO_NETWORK}
    clock[0] += 30 * 24 * HOUR
    emulator.update_user(DEMO_NETWORK, "1001", status=2)  # the last reminder worked, a month later
    capsys.readouterr()

    assert _sweep()["usersJoined"] == 1

    item = table_items(dynamodb, ledger_table)[_pk("1001")]
    assert "joined_at" in item
    assert "given_up" not in item  # no longer in the operators' given-up list
    assert metric_values(capsys.readouterr().out, "HoursToJoin") == [720.0]


def test_a_dry_run_sweep_checks_no_awaited_user(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    queue_url: str,
    ledger_table: str,
    dynamodb: Any,
    clock: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _reinvite(["1001"])
    emulator.update_user(DEMO_NETWORK, "1001", status=2)
    monkeypatch.setenv("DRY_RUN", "true")
    from reinviter.settings import get_settings
    from reinviter.wiring import container

    container.cache_clear()
    get_settings.cache_clear()
    emulator.reset_journal()

    assert _sweep()["awaitingChecked"] == 0

    assert emulator.calls("GetUser") == 0
    assert "joined_at" not in table_items(dynamodb, ledger_table)[_pk("1001")]
