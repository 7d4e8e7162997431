"""`python -m bench.sweep_e2e`: the sweep at scale, end to end: sweep -> queue -> drain, 5,000 to 100,000 users.

The deployed configuration: the real handler, warm, the ledger and the stack's key on (sealed listings, so a fresh
listing is the check), `WICKR_MAX_REQUESTS_PER_SECOND` 20. Wickr is the emulator (in this process) with 20 ms a
call and a 20 req/s token bucket; SQS, Secrets Manager and the sweep's cursors are moto's server in a process of its
own. The ledger is DynamoDB (moto) at the sizes in BENCH_E2E_MOTO_SIZES (5,000), and its in-memory fake at every size:
moto's transactions copy the whole table per call (seconds each at these sizes), which real DynamoDB does not, so the
large runs would measure moto. The fake counts requests as DynamoLedger sends them (a BatchGetItem per 100 keys, one
transaction per claim, settle, release, take-over). The drain polls as Lambda's poller does: 10 messages a batch,
one invocation at a time, deleting what the handler did not report failed.

Writes bench/results/sweep_e2e.json (git ignores it). BENCH_E2E_SIZES="5000,20000,50000,100000" by default.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
import uuid
from collections import Counter
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from bench.__main__ import ENV, QUEUE_ARN, Ctx, fresh_container, log, thread_cpu_s  # sets the environment first
from wickr_emulator import SeedUser, WickrEmulator

HERE = Path(__file__).resolve().parent
OUT = HERE / "results"
SIZES = tuple(int(n) for n in os.environ.get("BENCH_E2E_SIZES", "5000,20000,50000,100000").split(","))
MOTO_SIZES = {int(n) for n in os.environ.get("BENCH_E2E_MOTO_SIZES", "5000").split(",") if n}
# The baseline in the same run: freshness off (SWEEP_FRESHNESS_SECONDS=0), every swept user checked with GetUser again,
# as the function did before sealed listings.
BASELINE_SIZES = {int(n) for n in os.environ.get("BENCH_E2E_BASELINE_SIZES", "5000").split(",") if n}
LATENCY_MS = 20.0
RATE_LIMIT = 20.0
BATCH = 10
MEMORY_GB = 1769 / 1024  # template.yaml: MemorySize 1769
# List prices, us-east-1, as published by AWS and read on 2026-12-02 (Lambda's arm64 duration and request prices;
# DynamoDB on-demand since its November 2024 price cut; SQS standard queues). Free tiers left out.
PRICES = {
    "lambda_arm64_gb_s": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,
}
assert ENV["POWERTOOLS_METRICS_DISABLED"] == "true"


class CountingLedger:
    """The ledger port's in-memory fake, counting requests and capacity units as DynamoLedger would spend them."""

    durable = True

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: Counter[str] = Counter()
        self.write_units = 0
        self.read_units = 0

    def read(self, keys: Collection[Any], deadline: Any) -> Any:
        self.requests["BatchGetItem"] += math.ceil(len(keys) / 100)
        self.read_units += len(keys)  # consistent reads of items under 4 KB: one unit each
        return self.inner.read(keys, deadline)

    def _transaction(self, chunk: Any) -> None:
        self.requests["TransactWriteItems"] += 1
        self.write_units += 2 * len(chunk.user_ids)  # a transactional write costs two units per item

    def claim(self, chunk: Any, seen: Mapping[Any, Any], deadline: Any) -> Any:
        self._transaction(chunk)
        return self.inner.claim(chunk, seen, deadline)

    def take_over(self, chunk: Any, deadline: Any) -> bool:
        self._transaction(chunk)
        return bool(self.inner.take_over(chunk, deadline))

    def settle(self, chunk: Any, receipt: Any, attempts: Any, deadline: Any) -> Any:
        self._transaction(chunk)
        return self.inner.settle(chunk, receipt, attempts, deadline)

    def release(self, chunk: Any, deadline: Any) -> None:
        self._transaction(chunk)
        self.inner.release(chunk, deadline)

    def record_join(self, key: Any, seen: Any, deadline: Any) -> bool:
        self.requests["UpdateItem"] += 1
        self.write_units += 1
        return bool(self.inner.record_join(key, seen, deadline))


class Requests:
    """Counts the requests of the default session's clients (the function's) by service and operation."""

    def __init__(self) -> None:
        import boto3  # noqa: PLC0415 - after the environment is set

        self.seen: Counter[str] = Counter()
        boto3.setup_default_session()
        for service in ("sqs", "dynamodb", "secretsmanager"):
            boto3.DEFAULT_SESSION.events.register(f"before-call.{service}", self._before)

    def _before(self, model: Any, **_: Any) -> None:
        self.seen[f"{model.service_model.service_name}:{model.name}"] += 1


def records(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": message["Attributes"]["ApproximateReceiveCount"],
                    "SentTimestamp": message["Attributes"]["SentTimestamp"],
                    "SenderId": message["Attributes"]["SenderId"],
                    "ApproximateFirstReceiveTimestamp": message["Attributes"]["ApproximateFirstReceiveTimestamp"],
                },
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


def run(size: int, ledger: str, moto_url: str, *, freshness_s: float = 900.0) -> dict[str, Any]:
    import boto3  # noqa: PLC0415

    from devkit.fakes import InMemoryLedger  # noqa: PLC0415
    from devkit.ledger_table import create_ledger_table  # noqa: PLC0415
    from reinviter.core.policy import Policy  # noqa: PLC0415

    network = f"{60_000_000 + size // 1000 * 10 + (ledger == 'moto')}"
    sqs = boto3.client("sqs", endpoint_url=moto_url)
    queue_url = sqs.create_queue(QueueName=f"e2e-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    table = f"e2e-{uuid.uuid4().hex[:10]}"
    create_ledger_table(boto3.client("dynamodb", endpoint_url=moto_url), table)
    secrets = boto3.client("secretsmanager", endpoint_url=moto_url)
    key = secrets.create_secret(Name=f"e2e-{uuid.uuid4().hex[:8]}", SecretString=uuid.uuid4().hex * 2)["ARN"]
    with WickrEmulator(page_size=100) as emu:
        emu.add_users(network, [SeedUser(user_id=str(1_000_000 + n)) for n in range(size)])
        emu.faults.latency_ms = LATENCY_MS
        emu.faults.rate_limit_rps = RATE_LIMIT
        for service in ("SQS", "DYNAMODB", "SECRETS_MANAGER"):
            os.environ[f"AWS_ENDPOINT_URL_{service}"] = moto_url
        os.environ["AWS_ENDPOINT_URL_WICKR"] = emu.url
        requests = Requests()  # before the container builds its clients on the default session
        handler = fresh_container(
            WICKR_NETWORK_IDS=network,
            REINVITE_QUEUE_URL=queue_url,
            REINVITE_LEDGER_TABLE=table,
            USERNAME_HASH_KEY_SECRET=key,
            WICKR_MAX_REQUESTS_PER_SECOND=str(RATE_LIMIT),
            SWEEP_FRESHNESS_SECONDS=str(freshness_s),
        )
        from reinviter import wiring  # noqa: PLC0415 - after the environment is set

        counting = None
        if ledger == "fake":
            policy: Policy = wiring.container().settings.policy
            counting = CountingLedger(InMemoryLedger(policy, time.time))
            wiring.container().service._ledger = counting
        durations: list[float] = []
        cpu_before = thread_cpu_s(("wickr", "ledger"))

        started = time.perf_counter()
        finished = False
        while not finished:  # a sweep that meets its deadline resumes from its cursor on the next run
            begun = time.perf_counter()
            summary = handler.lambda_handler({"networkIds": [network]}, Ctx(remaining_ms=180_000))
            durations.append(time.perf_counter() - begun)
            finished = summary["finished"]
        sweep_s = time.perf_counter() - started
        sweep_invocations = len(durations)

        poller = Counter()
        started = time.perf_counter()
        while True:
            poller["ReceiveMessage"] += 1
            taken = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=BATCH, AttributeNames=["All"])
            messages = taken.get("Messages", [])
            if not messages:
                break
            begun = time.perf_counter()
            response = handler.lambda_handler(records(messages), Ctx(remaining_ms=180_000))
            durations.append(time.perf_counter() - begun)
            failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                poller["DeleteMessageBatch"] += 1
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
                )
        drain_s = time.perf_counter() - started
        cpu_s = thread_cpu_s(("wickr", "ledger")) - cpu_before

        invited = Counter(emu.invites_sent(network, str(1_000_000 + n)) for n in range(size))
        wickr = {op: emu.calls(op) for op in ("ListUsers", "GetUsersCount", "GetUser", "BatchReinviteUser")}
        throttled = sum(1 for entry in emu.journal if entry.status == 429)
    for service in ("SQS", "DYNAMODB", "SECRETS_MANAGER", "WICKR"):
        os.environ.pop(f"AWS_ENDPOINT_URL_{service}", None)

    dynamodb = {op.split(":")[1]: n for op, n in requests.seen.items() if op.startswith("dynamodb:")}
    write_units = dynamodb.get("PutItem", 0) + dynamodb.get("DeleteItem", 0)  # the sweep's cursors
    read_units = dynamodb.get("GetItem", 0)
    if counting is not None:
        dynamodb |= dict(counting.requests)
        write_units += counting.write_units
        read_units += counting.read_units
    else:  # moto: the same arithmetic from the requests seen (a claim and a settle per 50-user call)
        write_units += 2 * 2 * size
        read_units += size
    sqs_requests = requests.seen["sqs:SendMessageBatch"] + sum(poller.values())
    invocations = len(durations)
    cost = {
        "lambda": sum(durations) * MEMORY_GB * PRICES["lambda_arm64_gb_s"] + invocations * PRICES["lambda_request"],
        "dynamodb": write_units * PRICES["dynamodb_write_unit"] + read_units * PRICES["dynamodb_read_unit"],
        "sqs": sqs_requests * PRICES["sqs_request"],
    }
    wickr_calls = sum(wickr.values())
    row = {
        "users": size,
        "ledger": "DynamoDB (moto)" if ledger == "moto" else "in-memory fake",
        "listing_is_the_check": freshness_s > 0,
        "invited_once": invited[1],
        "invited_twice_or_more": sum(n for times, n in invited.items() if times > 1),
        "missed": invited[0],
        "wickr_calls": wickr,
        "wickr_calls_per_user": round(wickr_calls / size, 4),
        "wickr_time_at_limit_s": round(wickr_calls / RATE_LIMIT, 1),
        "wickr_429": throttled,
        "dynamodb_requests": dynamodb,
        "dynamodb_requests_per_user": round(sum(dynamodb.values()) / size, 4),
        "sqs_requests": {"SendMessageBatch": requests.seen["sqs:SendMessageBatch"], **poller},
        "sqs_requests_per_user": round(sqs_requests / size, 4),
        "secrets_manager_requests": sum(n for op, n in requests.seen.items() if op.startswith("secretsmanager:")),
        "invocations": {"sweep": sweep_invocations, "drain": invocations - sweep_invocations},
        "sweep_s": round(sweep_s, 1),
        "drain_s": round(drain_s, 1),
        "handler_s": round(sum(durations), 1),
        "our_cpu_s": round(cpu_s, 1),
        "cost_usd": {name: round(value, 5) for name, value in cost.items()},
        "cost_usd_per_100k_users": round(sum(cost.values()) * 100_000 / size, 4),
    }
    log(f"sweep e2e: {json.dumps(row)}")
    assert row["missed"] == 0, row
    assert row["invited_twice_or_more"] == 0, row
    return row


def main() -> None:
    import logging  # noqa: PLC0415

    from devkit.moto_process import moto_process  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    rows = []
    with moto_process() as moto_url:
        for size in SIZES:
            for ledger in ("moto", "fake") if size in MOTO_SIZES else ("fake",):
                rows.append(run(size, ledger, moto_url))
            if size in BASELINE_SIZES:
                rows.append(run(size, "fake", moto_url, freshness_s=0.0))
    OUT.mkdir(exist_ok=True)
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "latency_ms": LATENCY_MS,
        "rate_limit_rps": RATE_LIMIT,
        "prices": PRICES,
        "rows": rows,
    }
    (OUT / "sweep_e2e.json").write_text(json.dumps(result, indent=2))
    log(f"wrote {OUT / 'sweep_e2e.json'}")


if __name__ == "__main__":
    main()
