"""Real AWS peers for the sweep and ledger tests: moto's server over HTTP on loopback for SQS and DynamoDB."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from devkit.ledger_table import create_ledger_table
from devkit.moto_process import moto_process
from tests.conftest import FakeLambdaContext, failed_ids, sqs_event, sqs_record


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server for the session, each test its own queue and table (serialized: see devkit/moto_peer.py).

    In a process of its own: moto spends up to a second of CPU on a 50-update transaction; sharing our interpreter's
    lock, on a loaded 2-core machine, that took longer than the ledger's 2 s read timeout three times in a row.
    """
    with moto_process() as url:
        yield url


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the function's SQS and DynamoDB clients at moto (the standard service-specific endpoint variables)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_url)
    return moto_url


@pytest.fixture
def sqs(aws: str) -> Any:
    return boto3.client("sqs", endpoint_url=aws, region_name="us-east-1")


@pytest.fixture
def dynamodb(aws: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=aws, region_name="us-east-1")


@pytest.fixture
def queue_url(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh reinvite queue, named in REINVITE_QUEUE_URL."""
    url: str = sqs.create_queue(QueueName=f"reinvite-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    monkeypatch.setenv("REINVITE_QUEUE_URL", url)
    return url


@pytest.fixture
def username_cache(aws: str, ledger_table: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The deployed setup: the ledger table and the stack's key (UsernameHashKey) in moto's Secrets Manager."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", aws)
    secrets = boto3.client("secretsmanager", endpoint_url=aws, region_name="us-east-1")
    arn: str = secrets.create_secret(Name=f"hash-key-{uuid.uuid4().hex[:8]}", SecretString=uuid.uuid4().hex * 2)["ARN"]
    monkeypatch.setenv("USERNAME_HASH_KEY_SECRET", arn)
    return ledger_table


@pytest.fixture
def ledger_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh ledger table shaped as the template's (partition key `pk`, string), named in REINVITE_LEDGER_TABLE."""
    name = f"ledger-{uuid.uuid4().hex[:12]}"
    create_ledger_table(dynamodb, name)
    monkeypatch.setenv("REINVITE_LEDGER_TABLE", name)
    return name


@pytest.fixture
def outcomes(aws: str, sqs: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A bus of the test's own (OUTCOME_EVENT_BUS) and the queue its rule for `source: wickr.reinviter` fills."""
    events = boto3.client("events", endpoint_url=aws, region_name="us-east-1")
    bus = f"outcomes-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"told-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="onboarding", EventBusName=bus, EventPattern=json.dumps({"source": ["wickr.reinviter"]}))
    events.put_targets(Rule="onboarding", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
    monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", aws)
    monkeypatch.setenv("OUTCOME_EVENT_BUS", bus)
    return queue_url


def told(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """The events the rule delivered since the last call: EventBridge's envelopes, in no particular order."""
    return [json.loads(message["Body"]) for message in receive_all(sqs, queue_url)]


def table_items(dynamodb: Any, table: str) -> dict[str, dict[str, Any]]:
    """Every item of a table by its pk."""
    items = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    return {item["pk"]["S"]: item for item in items}


def receive_all(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Take every message off a queue (for tests that inspect what the sweep queued rather than process it)."""
    taken: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return taken
        taken += messages
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


Handler = Callable[[dict[str, Any], FakeLambdaContext], dict[str, Any]]


def drain(sqs: Any, queue_url: str, handler: Handler, *, max_batches: int = 100) -> list[dict[str, Any]]:
    """Poll the queue as Lambda's SQS poller does: up to 10 messages a batch, delete only those not reported failed.

    Returns every handler response (a test asserts on their failures).
    """
    responses: list[dict[str, Any]] = []
    for _ in range(max_batches):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return responses
        event = sqs_event(*(sqs_record(m["Body"], message_id=m["MessageId"]) for m in messages))
        response = handler(event, FakeLambdaContext())
        responses.append(response)
        failed = failed_ids(response)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
    raise AssertionError(f"queue not drained after {max_batches} batches")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The ledger's wall clock, held still and moved by the test (`clock[0] += seconds`)."""
    now = [1_800_000_000.0]
    monkeypatch.setattr("reinviter.core.clock.wall_clock", lambda: now[0])
    return now


@pytest.fixture
def crash_in_next_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next invocation dies between its Wickr call and the ledger's settle (later ones settle normally)."""
    from reinviter.adapters.dynamodb.ledger import DynamoLedger

    real_settle = DynamoLedger.settle

    def crash_once(self: DynamoLedger, *args: Any) -> list[Any]:
        monkeypatch.setattr(DynamoLedger, "settle", real_settle)
        raise RuntimeError("injected: the invocation dies between the Wickr call and the ledger update")

    monkeypatch.setattr(DynamoLedger, "settle", crash_once)
