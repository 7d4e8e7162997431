"""Fixtures shared by the handler's tests: AWS test credentials, a served Wickr emulator, a Lambda context, events."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devkit import records
from wickr_emulator import DEMO_SEED_PATH, WickrEmulator

# Powertools' Logger and Metrics singletons read these when `reinviter.telemetry` is first imported, which may be
# at collection time, before any fixture runs (as in Lambda, where the environment precedes the import).
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "wickr-reinviter")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "WickrReinviter")

EVENTS = Path(__file__).resolve().parent.parent / "events"
DEMO_NETWORK = "12345678"
OTHER_NETWORK = "87654321"
# The function's own queue, as every record here (and in events/) names it: REINVITE_QUEUE_ARN.
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:wickr-reinviter-ReinviteQueue-Q1W2E3R4T5Y6"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test credentials and the function's configuration, as the template would set them."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "WICKR_NETWORK_IDS": f"{DEMO_NETWORK},{OTHER_NETWORK}",
        "POWERTOOLS_SERVICE_NAME": "wickr-reinviter",
        "POWERTOOLS_METRICS_NAMESPACE": "WickrReinviter",
        "WICKR_RETRY_ATTEMPTS": "3",
        "REINVITE_QUEUE_ARN": QUEUE_ARN,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_DEV", "DRY_RUN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fresh_container() -> Iterator[None]:
    """Every test starts as a cold container: settings, clients and metrics built anew."""
    from reinviter import settings, wiring
    from reinviter.adapters.wickr import wickr_client
    from reinviter.telemetry.metrics import metrics

    def clear() -> None:
        wiring.container.cache_clear()
        settings.get_settings.cache_clear()
        wickr_client.cache_clear()
        metrics.clear_metrics()

    clear()
    yield
    clear()


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[WickrEmulator]:
    """The Wickr emulator over HTTP on loopback, seeded with the demo networks, the function's client aimed at it."""
    with WickrEmulator(page_size=100) as emu:
        emu.load_seed(DEMO_SEED_PATH)
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", emu.url)
        yield emu


@dataclass
class FakeLambdaContext:
    """The parts of Lambda's context object the handler and Powertools read."""

    remaining_ms: int = 60_000
    function_name: str = "wickr-reinviter"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:wickr-reinviter"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


def sqs_record(body: dict[str, Any] | str, message_id: str | None = None) -> dict[str, Any]:
    """One Lambda SQS record around a body (a dict is sent as JSON, a string as it is), from the function's queue."""
    return records.sqs_record(body if isinstance(body, str) else json.dumps(body), message_id, QUEUE_ARN)


def sqs_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def load_event(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return result


def failed_ids(response: dict[str, Any]) -> set[str]:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def emitted_metrics(captured: str) -> dict[str, float]:
    """Sum the service-wide EMF blobs printed to stdout (dimension `service` alone) into {metric name: value}."""
    totals: dict[str, float] = {}
    for network, name, value in _emitted(captured):
        if network is None:
            totals[name] = totals.get(name, 0) + value
    return totals


def network_metrics(captured: str) -> dict[tuple[str, str], float]:
    """Sum the per-network EMF blobs (dimensions `service` and `network_id`) into {(network id, metric name): value}."""
    totals: dict[tuple[str, str], float] = {}
    for network, name, value in _emitted(captured):
        if network is not None:
            totals[network, name] = totals.get((network, name), 0) + value
    return totals


def metric_values(captured: str, name: str, *, per_network: bool = False) -> list[float]:
    """Every value of one metric in emission order: the service-wide blobs' (or, `per_network`, the others')."""
    return [
        value for network, metric, value in _emitted(captured) if metric == name and (network is None) != per_network
    ]


def _emitted(captured: str) -> list[tuple[str | None, str, float]]:
    """(network id or None for the service-wide blob, metric name, value), every value of every EMF blob, in order."""
    found: list[tuple[str | None, str, float]] = []
    for line in captured.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            network = blob.get("network_id") if "network_id" in directive["Dimensions"][0] else None
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                found += [(network, metric["Name"], v) for v in (value if isinstance(value, list) else [value])]
    return found


Invoke = Callable[..., dict[str, Any]]
Logs = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def logs() -> Iterator[Logs]:
    """The function's JSON log lines (Powertools' handler holds the stdout of import time, so point it here)."""
    import io

    from reinviter.telemetry.logger import logger

    buffer = io.StringIO()
    previous = logger.logger_handler.setStream(buffer)  # type: ignore[attr-defined]
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    logger.logger_handler.setStream(previous)  # type: ignore[attr-defined]
