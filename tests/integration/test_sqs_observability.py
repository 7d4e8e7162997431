"""No personal data in any output; metrics flushed when the handler fails; configuration errors name the variable."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import (
    DEMO_NETWORK,
    OTHER_NETWORK,
    FakeLambdaContext,
    Logs,
    emitted_metrics,
    failed_ids,
    sqs_event,
    sqs_record,
)
from wickr_emulator import DEMO_SEED_PATH, WickrEmulator

# Settings fail before any metric is added: Powertools then warns that it has nothing to publish.
NOTHING_TO_PUBLISH = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def _personal_strings() -> set[str]:
    seed = json.loads(DEMO_SEED_PATH.read_text())
    found = set()
    for network in seed["networks"].values():
        for user in network["users"]:
            found |= {user[name] for name in ("firstName", "lastName", "username") if user.get(name)}
    return found


Outputs = Callable[[dict[str, Any]], dict[str, str]]


@pytest.fixture
def everything(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Outputs]:
    """Every output of an invocation at DEBUG: its JSON log, stdout, stderr, log records and its response."""
    from reinviter.telemetry.logger import logger

    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG, logger="wickr-reinviter")
    caplog.set_level(logging.DEBUG, logger="reinviter")
    buffer = io.StringIO()
    # Powertools' handler holds the stdout of import time (and its level was read then): point it here, at DEBUG.
    previous_stream = logger.logger_handler.setStream(buffer)  # type: ignore[attr-defined]
    previous_level = logger.log_level
    logger.setLevel("DEBUG")

    def collect(response: dict[str, Any]) -> dict[str, str]:
        captured = capsys.readouterr()
        return {
            "log": buffer.getvalue(),
            "stdout": captured.out,
            "stderr": captured.err,
            "caplog": "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records),
            "response": json.dumps(response),
        }

    yield collect
    logger.setLevel(previous_level)
    logger.logger_handler.setStream(previous_stream)  # type: ignore[attr-defined]


@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_no_personal_data_in_any_output(
    emulator: WickrEmulator,
    lambda_context: FakeLambdaContext,
    everything: Outputs,
    monkeypatch: pytest.MonkeyPatch,
    dry_run: str,
) -> None:
    from reinviter.handler import lambda_handler

    monkeypatch.setenv("DRY_RUN", dry_run)
    emulator.faults.fail_user(DEMO_NETWORK, "1002")  # a failure path logs too
    ids = [str(uid) for uid in range(1001, 1012)] + ["9999"]
    event = sqs_event(
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ids}),
        sqs_record({"networkId": OTHER_NETWORK, "userIds": ["2001", "2002", "2003"]}),
        sqs_record("not json: Ada Quill"),  # the body is never echoed either
    )

    outputs = everything(lambda_handler(event, lambda_context))

    assert '"level":"DEBUG"' in outputs["log"] or '"message_id"' in outputs["log"]  # the capture did capture
    assert '"UsersChecked"' in outputs["stdout"]
    leaks = {(where, text) for where, output in outputs.items() for text in _personal_strings() if text in output}
    assert leaks == set()
    assert "Ada" not in outputs["log"]


def test_metrics_are_flushed_when_the_handler_fails(
    emulator: WickrEmulator,
    lambda_context: FakeLambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reinviter.handler import lambda_handler
    from reinviter.telemetry import tracing

    def broken(**_: object) -> None:
        raise RuntimeError("tracing backend down")

    monkeypatch.setattr(tracing, "annotate", broken)  # fails after the batch's metrics were added

    with pytest.raises(RuntimeError, match="tracing backend down"):
        lambda_handler(sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]})), lambda_context)

    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["UsersReinvited"] == 1
    assert metrics["UsersChecked"] == 1


@NOTHING_TO_PUBLISH
@pytest.mark.parametrize("value", ["1234567", "12345678,abc", "", " , "])
def test_invalid_network_ids_fail_loudly_naming_the_variable(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    from reinviter.handler import lambda_handler
    from reinviter.settings import SettingsError

    monkeypatch.setenv("WICKR_NETWORK_IDS", value)

    with pytest.raises(SettingsError, match="WICKR_NETWORK_IDS"):
        lambda_handler(sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]})), lambda_context)
    assert emulator.calls() == 0


@NOTHING_TO_PUBLISH
def test_missing_network_ids_fail_loudly_naming_the_variable(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reinviter.handler import lambda_handler
    from reinviter.settings import SettingsError

    monkeypatch.delenv("WICKR_NETWORK_IDS")

    with pytest.raises(SettingsError, match="WICKR_NETWORK_IDS: Field required"):
        lambda_handler(sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]})), lambda_context)
    assert emulator.calls() == 0


@NOTHING_TO_PUBLISH
def test_a_fixed_configuration_is_read_on_the_next_cold_start(
    emulator: WickrEmulator, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reinviter import handler, settings, wiring
    from reinviter.settings import SettingsError

    event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id="m"))
    monkeypatch.setenv("WICKR_MAX_CONCURRENCY", "0")
    with pytest.raises(SettingsError, match="WICKR_MAX_CONCURRENCY"):
        handler.lambda_handler(event, lambda_context)

    monkeypatch.setenv("WICKR_MAX_CONCURRENCY", "2")
    wiring.container.cache_clear()
    settings.get_settings.cache_clear()
    assert failed_ids(handler.lambda_handler(event, lambda_context)) == set()


def test_the_message_line_carries_the_requesters_correlation_id(emulator: WickrEmulator, logs: Logs) -> None:
    from reinviter.handler import lambda_handler

    body = {"networkId": DEMO_NETWORK, "userIds": ["1001"], "correlationId": "hr:4711"}
    plain = {"networkId": DEMO_NETWORK, "userIds": ["1002"]}
    event = sqs_event(sqs_record(body, message_id="m-1"), sqs_record(plain, message_id="m-2"))

    assert failed_ids(lambda_handler(event, FakeLambdaContext())) == set()

    done = {line["message_id"]: line for line in logs() if line["message"] == "message done"}
    assert done["m-1"]["correlation_id"] == "hr:4711"
    assert "correlation_id" not in done["m-2"]  # none given, none logged


def test_the_wickr_client_sends_its_user_agent_built_once(emulator: WickrEmulator) -> None:
    """botocore builds the header twice a request; ours is built once, and still says who calls (and what botocore)."""
    from reinviter.adapters.wickr.gateway import wickr_client

    client = wickr_client(2)
    sent: list[str] = []
    client.meta.events.register(
        "before-send.wickr", lambda request, **_: sent.append(request.headers["User-Agent"].decode())
    )
    for user_id in ("1001", "1002"):
        client.get_user(networkId=DEMO_NETWORK, userId=user_id)

    assert len(sent) == 2
    assert sent[0] == sent[1]
    assert sent[0].startswith(client._user_agent_creator.to_string())  # the fixed string; Powertools appends its own
    assert "wickr-reinviter" in sent[0]
    assert "Botocore/" in sent[0]
