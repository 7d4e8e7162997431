"""The fault-injection soak: a real SQS queue with its DLQ, a poller that behaves like Lambda's, the real handler.

SOAK_MESSAGES sets the size (default 100 messages of 5 users, plus 20 poison messages); the issue's full size is
`SOAK_MESSAGES=1000`. SOAK_SWEEP_MESSAGES (default 6) adds messages of 50 users, what the sweep queues, so full
50-user calls go through the ledger under the same faults. Wickr answers 10% of calls 429 and 2% 500, and fails 1% of
users in BatchReinviteUser.

Lambda makes a failed message visible again only after the queue's visibility timeout (1380 s in the template), which
is longer than the ledger's claim lease: a redelivery finds its own stale claim expired and replays it. The poller
keeps that order without sleeping: it returns failed messages in waves (visibility 0 once the queue has nothing else
visible) and moves the ledger's clock on by the visibility timeout at each wave.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from devkit.ledger_table import create_ledger_table
from devkit.moto_peer import serial_moto_server
from tests.conftest import DEMO_NETWORK, FakeLambdaContext, failed_ids
from wickr_emulator import SeedUser, WickrEmulator

pytestmark = pytest.mark.soak

# 25 by default: the adaptive pacer holds ~3 calls/s under the 10% random 429s (see bench/README.md), so CI size is
# what fits in a minute.
MESSAGES = int(os.environ.get("SOAK_MESSAGES", "100"))
USERS_PER_MESSAGE = 5
SWEEP_MESSAGES = int(os.environ.get("SOAK_SWEEP_MESSAGES", "6"))
USERS_PER_SWEEP_MESSAGE = 50
POISON = 20
MAX_RECEIVE_COUNT = 3  # the template's default
VISIBILITY_TIMEOUT_S = 1380  # the template's
MAX_WAVES = 12  # maxReceiveCount waves settle every message; the rest is headroom, the bound keeps a bug from looping


@dataclass
class Figures:
    sent: int = 0
    batches: int = 0
    deliveries: int = 0
    redeliveries: int = 0
    deleted: set[str] = field(default_factory=set)
    waves: int = 0


class VirtualClock:
    """The ledger's wall clock, moved on by each wave of redeliveries instead of sleeping through it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def moto_url() -> Iterator[str]:
    with serial_moto_server() as url:
        yield url


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """What Lambda's SQS poller hands the function for one received message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def poison_bodies() -> list[str]:
    bodies = []
    for n in range(POISON):
        kind = n % 3
        if kind == 0:
            bodies.append('{"networkId": "12345678", "userIds": ["1001"')  # truncated JSON
        elif kind == 1:
            bodies.append(json.dumps({"networkId": "99999999", "userIds": ["1001"]}))  # not an allowed network
        else:
            bodies.append(json.dumps({"networkId": DEMO_NETWORK, "userIds": [str(500000 + i) for i in range(51)]}))
    return bodies


def send_all(sqs: Any, queue_url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])]
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        assert not answer.get("Failed")


def poll(sqs: Any, queue_url: str, queue_arn: str, clock: VirtualClock, figures: Figures) -> None:
    """Lambda's poller: batches of up to 10, delete what succeeded, return the failures after the visibility timeout."""
    from reinviter.handler import lambda_handler

    waiting: dict[str, str] = {}  # failed message id -> its latest receipt handle
    while figures.waves <= MAX_WAVES:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            if not waiting:
                return
            # Nothing else visible: the visibility timeout of the failed ones runs out now.
            handles = list(waiting.items())
            for start in range(0, len(handles), 10):
                sqs.change_message_visibility_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                        for i, (_, handle) in enumerate(handles[start : start + 10])
                    ],
                )
            waiting.clear()
            clock.offset += VISIBILITY_TIMEOUT_S
            figures.waves += 1
            continue
        figures.batches += 1
        figures.deliveries += len(messages)
        figures.redeliveries += sum(int(m["Attributes"]["ApproximateReceiveCount"]) > 1 for m in messages)
        response = lambda_handler({"Records": [lambda_record(m, queue_arn) for m in messages]}, FakeLambdaContext())
        failed = failed_ids(response)
        done = [m for m in messages if m["MessageId"] not in failed]
        for message in messages:
            if message["MessageId"] in failed:
                waiting[message["MessageId"]] = message["ReceiptHandle"]
        if done:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
            figures.deleted.update(m["MessageId"] for m in done)
    pytest.fail(f"the queue did not settle within {MAX_WAVES} waves of redelivery")


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    taken: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        taken += messages
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return taken


def test_soak_every_user_once_every_poison_in_the_dlq(
    emulator: WickrEmulator, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_url)
    monkeypatch.setenv("WICKR_RETRY_ATTEMPTS", "5")  # the function's default (tests otherwise run with 3)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")  # thousands of per-message lines would dominate the run
    clock = VirtualClock()
    monkeypatch.setattr("reinviter.core.clock.wall_clock", clock)

    sqs = boto3.client("sqs", region_name="us-east-1")
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = f"ledger-{uuid.uuid4().hex[:8]}"
    create_ledger_table(dynamodb, table)
    monkeypatch.setenv("REINVITE_LEDGER_TABLE", table)
    dlq_url = sqs.create_queue(QueueName="soak-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName="soak",
        Attributes={
            "VisibilityTimeout": "60",  # real seconds: longer than any one batch takes here
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("REINVITE_QUEUE_ARN", queue_arn)

    onboarding = MESSAGES * USERS_PER_MESSAGE
    user_ids = [str(100000 + n) for n in range(onboarding + SWEEP_MESSAGES * USERS_PER_SWEEP_MESSAGE)]
    emulator.add_users(DEMO_NETWORK, [SeedUser(user_id=uid, status=1) for uid in user_ids])
    valid = [
        json.dumps({"networkId": DEMO_NETWORK, "userIds": user_ids[n : n + USERS_PER_MESSAGE]})
        for n in range(0, onboarding, USERS_PER_MESSAGE)
    ] + [
        json.dumps({"networkId": DEMO_NETWORK, "userIds": user_ids[n : n + USERS_PER_SWEEP_MESSAGE]})
        for n in range(onboarding, len(user_ids), USERS_PER_SWEEP_MESSAGE)
    ]
    poison = poison_bodies()
    bodies = valid + poison
    random.Random(7).shuffle(bodies)
    send_all(sqs, queue_url, bodies)
    figures = Figures(sent=len(bodies))

    emulator.reset_journal()
    emulator.faults.rate_limit_share = 0.10
    emulator.faults.error_share = {500: 0.02}
    emulator.faults.user_failure_share = 0.01

    poll(sqs, queue_url, queue_arn, clock, figures)

    emulator.faults.clear()
    journal = emulator.journal
    dead = drain(sqs, dlq_url)
    left = drain(sqs, queue_url)
    print(
        f"\nsoak: {len(valid)} messages naming {len(user_ids)} users + {len(poison)} poison;"
        f" {figures.batches} batches, {figures.deliveries} deliveries ({figures.redeliveries} redeliveries),"
        f" {figures.waves} waves; Wickr calls {len(journal)} (GetUser {emulator.calls('GetUser')},"
        f" BatchReinviteUser {emulator.calls('BatchReinviteUser')}), 429s {sum(e.status == 429 for e in journal)},"
        f" 500s {sum(e.status == 500 for e in journal)}, replayed {sum(e.replayed for e in journal)};"
        f" DLQ {len(dead)}; {time.monotonic() - started:.1f} s"
    )

    invites = {uid: emulator.invites_sent(DEMO_NETWORK, uid) for uid in user_ids}
    wrong = {uid: count for uid, count in invites.items() if count != 1}
    history = {
        uid: [(e.operation, e.status, e.error, e.replayed, len(e.user_ids)) for e in journal if uid in e.user_ids]
        for uid in list(wrong)[:5]
    }
    assert wrong == {}, f"{len(wrong)} users not reinvited exactly once: {dict(list(wrong.items())[:20])}; {history}"
    assert sorted(m["Body"] for m in dead) == sorted(poison)
    assert left == []
    assert len(figures.deleted) + len(dead) == figures.sent
