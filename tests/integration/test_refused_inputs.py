"""Inputs an operator or a misrouted trigger may send: each is refused whole, precisely, with nothing listed or sent."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import DEMO_NETWORK, FakeLambdaContext, Logs, emitted_metrics, load_event, sqs_record
from wickr_emulator import WickrEmulator

API_GATEWAY_SAMPLE = {
    "resource": "/",
    "path": "/",
    "httpMethod": "GET",
    "headers": {"Accept": "*/*"},
    "requestContext": {"stage": "prod"},
    "body": None,
}
CLOUDTRAIL_EVENT = {
    "version": "0",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.wickr",
    "detail": {},
}


def _sqs_with(**changes: Any) -> dict[str, Any]:
    record = sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="m-1")
    record.update(changes)
    return {"Records": [record]}


def _without_message_id() -> dict[str, Any]:
    event = _sqs_with()
    del event["Records"][0]["messageId"]
    return event


SWEEP_MISTAKES = [
    ({"networkIDs": [DEMO_NETWORK]}, "networkIDs: Extra inputs are not permitted"),
    ({"networkIds": None}, "networkIds"),
    ({"networkIds": []}, "networkIds"),
    ({"networkIds": DEMO_NETWORK}, "networkIds"),
    ({"networkIds": [DEMO_NETWORK], "dryRun": True}, "dryRun: Extra inputs are not permitted"),
    ({"networkIds": ["11112222"]}, "not in WICKR_NETWORK_IDS"),
    (API_GATEWAY_SAMPLE, "Extra inputs are not permitted"),
    (CLOUDTRAIL_EVENT, "only as detail-type 'Scheduled Event'"),
    ({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, "a reinvite request invoked directly is refused"),
    ([DEMO_NETWORK], "must be a JSON object"),
    ("sweep", "must be a JSON object"),
]
EVENT_MISTAKES = [
    ({"Records": []}, "non-empty list"),
    ({"Records": None}, "non-empty list"),
    (_sqs_with(eventSource="aws:sns"), "record 0 is not an SQS record"),
    ({"Records": ["not a record"]}, "record 0 is not an SQS record"),
    (_without_message_id(), "record 0 has no messageId"),
    (_sqs_with(messageId=""), "record 0 has no messageId"),
]


@pytest.mark.parametrize(("event", "reason"), SWEEP_MISTAKES + EVENT_MISTAKES)
def test_a_mistaken_input_is_refused_whole_and_nothing_is_done(  # noqa: PLR0917 - fixtures
    emulator: WickrEmulator,
    queue_url: str,
    sqs: Any,
    capsys: pytest.CaptureFixture[str],
    logs: Logs,
    event: Any,
    reason: str,
) -> None:
    from reinviter.handler import lambda_handler

    with pytest.raises(ValueError, match=re.escape(reason)):
        lambda_handler(event, FakeLambdaContext())

    assert emulator.journal == []  # no ListUsers, no GetUser, nothing
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []
    out = capsys.readouterr().out
    refusals = [line for line in logs() if line["message"] == "invocation refused, nothing was done"]
    assert [(line["level"], reason in line["reason"]) for line in refusals] == [("ERROR", True)]
    metrics = emitted_metrics(out)
    assert metrics["UsersEnqueued"] == metrics["UsersReinvited"] == metrics["MessagesFailed"] == 0
    assert "No application metrics" not in out


@pytest.mark.parametrize("name", ["schedule-all.json", "schedule-eventbridge-rule.json", "schedule-subset.json"])
def test_the_three_scheduled_inputs_are_sweeps(
    emulator: WickrEmulator, queue_url: str, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    from reinviter.handler import lambda_handler

    summary = lambda_handler(load_event(name), FakeLambdaContext())

    assert DEMO_NETWORK in summary["sweep"]
    assert summary["finished"] is True
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["UsersEnqueued"] == summary["usersEnqueued"] > 0
    assert metrics["UsersChecked"] == 0  # every metric, zeros included, on a sweep too
