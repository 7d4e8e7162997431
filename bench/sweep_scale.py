"""`python -m bench.sweep_scale`: one scheduled sweep over networks of 1k to 100k pending users.

The Wickr emulator (no injected latency) and moto's SQS and DynamoDB over HTTP on loopback. Writes
bench/sweep_scale.json and bench/sweep_scale.png.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import time
import uuid
from pathlib import Path
from typing import Any

from bench.__main__ import ENV, Ctx, fresh_container, log  # sets the environment; AWS modules are imported after it
from wickr_emulator import SeedUser, WickrEmulator

HERE = Path(__file__).resolve().parent
OUT = HERE / "results"  # ignored by git: a run never dirties the tree
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SWEEP_SIZES", "1000,10000,30000,100000").split(","))
USERS_PER_MESSAGE = 50
ENTRIES_PER_BATCH = 10
PAGE_SIZE = 100
ROUND_TRIP_MS = (50.0, 100.0)  # per ListUsers page and per SendMessageBatch call on Lambda
LAMBDA_TIMEOUT_S = 180.0
assert ENV["POWERTOOLS_METRICS_DISABLED"] == "true"
assert ENV["POWERTOOLS_LOG_LEVEL"] == "ERROR"


class CallTimer:
    """Counts and times the client calls made through boto3's default session (the handler's clients)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.seconds: dict[str, float] = {}
        self._started = 0.0

    def before(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)
        self._started = time.perf_counter()

    def after(self, model: Any, **_: Any) -> None:
        self.seconds[model.name] = self.seconds.get(model.name, 0.0) + time.perf_counter() - self._started

    def clear(self) -> None:
        self.names.clear()
        self.seconds.clear()


def sweep_once(emu: WickrEmulator, sqs: Any, dynamodb: Any, calls: CallTimer, size: int) -> dict[str, Any]:
    network_id = str(70_000_000 + size)  # a fresh network per size
    emu.add_users(network_id, [SeedUser(user_id=str(i)) for i in range(size)])
    queue_url = sqs.create_queue(QueueName=f"sweep-scale-{size}-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    table = f"sweep-ledger-{size}-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    handler = fresh_container(WICKR_NETWORK_IDS=network_id, REINVITE_QUEUE_URL=queue_url, REINVITE_LEDGER_TABLE=table)
    from reinviter import wiring  # noqa: PLC0415 - after the environment is set

    wiring.container()  # build the container (clients) outside the timed part
    emu.reset_journal()
    calls.clear()
    started = time.perf_counter()
    summary = handler.lambda_handler({"networkIds": [network_id]}, Ctx(remaining_ms=900_000))
    elapsed = time.perf_counter() - started
    sent = calls.names.count("SendMessageBatch")
    cursor_writes = calls.names.count("PutItem") + calls.names.count("DeleteItem")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    messages = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    list_pages = emu.calls("ListUsers")
    row: dict[str, Any] = {
        "users": size,
        "wall_s": round(elapsed, 2),
        "ms_per_1000_users": round(elapsed * 1000 / size * 1000, 1),
        "list_users_calls": list_pages,
        "send_message_batch_calls": sent,
        "send_message_batch_calls_if_packed": math.ceil(size / USERS_PER_MESSAGE / ENTRIES_PER_BATCH),
        "dynamodb_cursor_calls": cursor_writes,
        "users_enqueued": summary["usersEnqueued"],
        "messages_in_queue": messages,
        "users_in_queue": messages * USERS_PER_MESSAGE,
        "finished": summary["finished"],
        "emulator_users_scanned": emu.listing_scans(network_id),
        "client_seconds_by_operation": {op: round(sec, 2) for op, sec in sorted(calls.seconds.items())},
    }
    for ms in ROUND_TRIP_MS:
        row[f"lambda_estimate_s_at_{ms:g}ms"] = round((list_pages + sent) * ms / 1000, 1)
    assert summary["finished"], summary
    assert summary["usersEnqueued"] == size, summary
    assert messages == size // USERS_PER_MESSAGE, (messages, size)
    return row


def plot(rows: list[dict[str, Any]]) -> None:
    import matplotlib as mpl  # noqa: PLC0415 - only needed at the end

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    sizes = [r["users"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(sizes, [r["wall_s"] for r in rows], "o-", label="measured (emulator + moto on loopback)")
    for ms, style in zip(ROUND_TRIP_MS, ("s--", "^:"), strict=True):
        estimate = [r[f"lambda_estimate_s_at_{ms:g}ms"] for r in rows]
        ax.plot(sizes, estimate, style, label=f"Lambda estimate, {ms:g} ms per ListUsers / SendMessageBatch")
    ax.axhline(LAMBDA_TIMEOUT_S, color="tab:red", linestyle="--", label=f"function timeout {LAMBDA_TIMEOUT_S:g} s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("pending users in the network")
    ax.set_ylabel("seconds for one scheduled invocation")
    ax.set_title("Sweep scale")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "sweep_scale.png", dpi=110)
    plt.close(fig)


def main() -> None:
    import boto3  # noqa: PLC0415 - after the environment bench.__main__ sets
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - moto is a dev tool, loaded only here

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    started = time.perf_counter()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL_SQS"] = url
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = url
    boto3.setup_default_session()
    calls = CallTimer()
    boto3.DEFAULT_SESSION.events.register("before-call", calls.before)
    boto3.DEFAULT_SESSION.events.register("after-call", calls.after)
    sqs = boto3.client("sqs")
    dynamodb = boto3.client("dynamodb")
    rows = []
    try:
        with WickrEmulator(page_size=PAGE_SIZE) as emu:
            os.environ["AWS_ENDPOINT_URL_WICKR"] = emu.url
            for size in SIZES:
                log(f"sweep of {size:,} pending users ...")
                row = sweep_once(emu, sqs, dynamodb, calls, size)
                log(f"  {row}")
                rows.append(row)
    finally:
        for name in ("AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_WICKR"):
            os.environ.pop(name, None)
        boto3.DEFAULT_SESSION = None
        server.stop()
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "page_size": PAGE_SIZE,
        "round_trip_ms_assumed": list(ROUND_TRIP_MS),
        "lambda_timeout_s": LAMBDA_TIMEOUT_S,
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "sweep_scale.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(rows)
    log(f"done in {results['seconds']} s: bench/sweep_scale.json, bench/sweep_scale.png")


if __name__ == "__main__":
    main()
