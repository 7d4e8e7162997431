"""`python -m bench`: the handler against the Wickr emulator with injected latency; writes bench/results.json and plots.

Not timed tests: figures to read side by side. Sizes are bounded so a run takes a few minutes on 2 cores.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from itertools import count
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
NETWORK = "12345678"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:reinvite"  # what every record here names, and REINVITE_QUEUE_ARN
LATENCY_MS = 20.0
RATE_LIMIT = 20.0
RATE_USERS = int(os.environ.get("BENCH_RATE_USERS", "600"))
RATE_TIME_CAP_S = float(os.environ.get("BENCH_RATE_CAP_S", "60"))
RATE_MESSAGE_USERS = 50  # what the sweep queues
OUT = HERE / "results"  # ignored by git: a run never dirties the tree; bench/README.md quotes a run on purpose

ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "WICKR_NETWORK_IDS": NETWORK,
    "POWERTOOLS_SERVICE_NAME": "wickr-reinviter",
    "POWERTOOLS_METRICS_NAMESPACE": "WickrReinviter",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "REINVITE_QUEUE_ARN": QUEUE_ARN,  # the function takes records from its own queue only
}
os.environ.update(ENV)
for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "REINVITE_LEDGER_TABLE", "DRY_RUN"):
    os.environ.pop(name, None)
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import boto3  # noqa: E402 - the environment above must precede every AWS import
from botocore.config import Config  # noqa: E402

from devkit.ledger_table import create_ledger_table  # noqa: E402
from devkit.moto_process import moto_process  # noqa: E402
from devkit.records import sqs_event  # noqa: E402
from wickr_emulator import SeedUser, WickrEmulator  # noqa: E402

_ids = count(3_000_000)


class Ctx:
    """The parts of Lambda's context the handler reads."""

    function_name = "wickr-reinviter"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:wickr-reinviter"

    def __init__(self, remaining_ms: int = 300_000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def log(text: str) -> None:
    print(text, flush=True)


def fresh_container(**env: str) -> Any:
    """A cold container with these variables (others back to their defaults)."""
    from reinviter import handler, settings, wiring  # noqa: PLC0415 - after the environment is set
    from reinviter.adapters.wickr import wickr_client  # noqa: PLC0415

    for name in (
        "WICKR_MAX_REQUESTS_PER_SECOND",
        "REINVITE_LEDGER_TABLE",
        "WICKR_MAX_CONCURRENCY",
        "USERNAME_HASH_KEY_SECRET",
        "REINVITE_COOLDOWN_HOURS",
        "SWEEP_FRESHNESS_SECONDS",
        "REINVITE_QUEUE_URL",
    ):
        os.environ.pop(name, None)
    os.environ.update({"WICKR_NETWORK_IDS": NETWORK, **env})
    wiring.container.cache_clear()
    settings.get_settings.cache_clear()
    wickr_client.cache_clear()
    return handler


def new_users(emu: WickrEmulator, n: int) -> list[str]:
    ids = [str(next(_ids)) for _ in range(n)]
    emu.add_users(NETWORK, [SeedUser(user_id=uid, status=1) for uid in ids])
    return ids


def new_named_users(emu: WickrEmulator, n: int) -> list[tuple[str, str]]:
    """Pending users with usernames: (id, username)."""
    users = [(uid, f"joiner{uid}@example.org") for uid in (str(next(_ids)) for _ in range(n))]
    emu.add_users(NETWORK, [SeedUser(user_id=uid, username=name, status=1) for uid, name in users])
    return users


def event_for(messages: list[list[str]], field: str = "userIds") -> dict[str, Any]:
    return sqs_event(NETWORK, messages, QUEUE_ARN, field)


def raw_client() -> Any:
    return boto3.client("wickr", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


# -- fidelity ----------------------------------------------------------------------------------------------------
def fidelity(emu: WickrEmulator) -> dict[str, Any]:
    client = raw_client()
    new = new_users(emu, 1)[0]
    client.get_user(networkId=NETWORK, userId=new)  # connect
    times = []
    for _ in range(50):
        started = time.perf_counter()
        client.get_user(networkId=NETWORK, userId=new)
        times.append((time.perf_counter() - started) * 1000)
    result = {
        "configured_ms": emu.faults.latency_ms,
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(sorted(times)[int(len(times) * 0.95)], 2),
        "max_ms": round(max(times), 2),
    }
    log(f"fidelity: GetUser {result}")
    return result


# -- 1 and 2: a batch as deployed (ledger on, warm container) against a naive baseline --------------------------
def naive(client: Any, messages: list[list[str]]) -> None:
    """The baseline: GetUser one user at a time, one BatchReinviteUser per message, no ledger."""
    for ids in messages:
        pending = [uid for uid in ids if client.get_user(networkId=NETWORK, userId=uid).get("status") == 1]
        if pending:
            client.batch_reinvite_user(networkId=NETWORK, userIds=pending, clientToken=uuid.uuid4().hex)


def thread_cpu_s(names: tuple[str, ...] | None = None) -> float:
    """CPU seconds of this process's main thread plus its threads whose names start with `names`.

    Read per thread from /proc, so the emulator's and moto's threads (same process) are left out: this is our CPU.
    """
    wanted = {threading.main_thread().native_id}
    for thread in threading.enumerate():
        if names and thread.name.startswith(names):
            wanted.add(thread.native_id)
    ticks = 0
    for tid in wanted:
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


class DynamoTimer:
    """Counts the DynamoDB requests of the default session's clients (the function's ledger client among them)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", self._before)

    def _before(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def reset(self) -> None:
        self.calls.clear()


PEERS = {
    "moto": "the ledger on, DynamoDB = moto's server (a process of its own)",
    "instant": "the ledger on, DynamoDB answered instantly (the ledger port's in-memory fake, in devkit/fakes.py)",
    "none": "no ledger (REINVITE_LEDGER_TABLE empty)",
}


def batch_as_deployed(emu: WickrEmulator, moto_url: str, repeats: int = 5) -> list[dict[str, Any]]:
    """A warm container per configuration; each batch beside the naive loop on fresh users in the same run.

    moto spends ~5 ms of its own CPU per item of a transaction (a 50-user claim: ~0.3 s), which real DynamoDB does
    not. "instant" runs the same orchestration with the ledger answering at once: the gap between the two is moto's.
    """
    from devkit.fakes import InMemoryLedger  # noqa: PLC0415
    from reinviter.core.policy import Policy  # noqa: PLC0415 - after the environment is set

    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = moto_url
    timer = DynamoTimer()
    rows = []
    for peer in PEERS:
        table = f"bench-{uuid.uuid4().hex[:8]}"
        if peer == "moto":
            create_ledger_table(boto3.client("dynamodb"), table)
        handler = fresh_container(**({"REINVITE_LEDGER_TABLE": table} if peer != "none" else {}))
        from reinviter import wiring  # noqa: PLC0415 - after the environment is set

        if peer == "instant":
            policy: Policy = wiring.container().settings.policy
            wiring.container().service._ledger = InMemoryLedger(policy, time.time)
        handler.lambda_handler(event_for([new_users(emu, 10)]), Ctx())  # warm: container, clients, connections
        concurrency = wiring.container().settings.max_concurrency
        client = raw_client()
        naive(client, [new_users(emu, 1)])
        for n_messages, per_message in ((10, 10), (10, 50)):
            users = n_messages * per_message
            runs: list[dict[str, float]] = []
            for _ in range(repeats):
                messages = [new_users(emu, per_message) for _ in range(n_messages)]
                emu.reset_journal()
                timer.reset()
                cpu, started = thread_cpu_s(("wickr", "ledger")), time.perf_counter()
                response = handler.lambda_handler(event_for(messages), Ctx())
                wall, cpu = time.perf_counter() - started, thread_cpu_s(("wickr", "ledger")) - cpu
                assert response["batchItemFailures"] == [], response
                assert all(emu.invites_sent(NETWORK, uid) == 1 for ids in messages for uid in ids)
                handler_run = {"wall": wall, "cpu": cpu, "wickr": emu.calls(), "dynamodb": len(timer.calls)}
                messages = [new_users(emu, per_message) for _ in range(n_messages)]
                cpu, started = thread_cpu_s(), time.perf_counter()
                naive(client, messages)
                naive_run = {"naive_wall": time.perf_counter() - started, "naive_cpu": thread_cpu_s() - cpu}
                runs.append(handler_run | naive_run)
            med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            floor_s = (math.ceil(users / concurrency) + math.ceil(users / 50)) * LATENCY_MS / 1000
            row = {
                "dynamodb": peer,
                "messages": n_messages,
                "users": users,
                "handler_ms": round(med["wall"] * 1000, 1),
                "naive_ms": round(med["naive_wall"] * 1000, 1),
                "floor_ms": round(floor_s * 1000, 1),
                "speedup_vs_naive": round(med["naive_wall"] / med["wall"], 2),
                "handler_cpu_ms": round(med["cpu"] * 1000, 1),
                "naive_cpu_ms": round(med["naive_cpu"] * 1000, 1),
                "cpu_vs_naive": round(med["cpu"] / med["naive_cpu"], 2) if med["naive_cpu"] else None,
                "wickr_calls_per_user": round(med["wickr"] / users, 3),
                "dynamodb_calls_per_user": round(med["dynamodb"] / users, 3),
            }
            log(f"batch as deployed: {row}")
            rows.append(row)
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    return rows


# -- 2b: a batch named by username -------------------------------------------------------------------------------
def by_username(emu: WickrEmulator, moto_url: str, repeats: int = 3) -> list[dict[str, Any]]:
    """10 x 50 users named by username, as deployed (ledger and username cache on moto), warm container.

    Pass "new": usernames never seen (the floor: one ListUsers each, no GetUser, 10 BatchReinviteUser). Pass "again":
    the same usernames in new messages (cooldown 0), resolved from the cache: GetUser checks each cached id.
    """
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = moto_url
    os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = moto_url
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"bench-{uuid.uuid4().hex[:8]}", SecretString=uuid.uuid4().hex * 2
    )
    table = f"bench-{uuid.uuid4().hex[:8]}"
    create_ledger_table(boto3.client("dynamodb"), table)
    timer = DynamoTimer()  # before the container: its clients come from the session the timer watches
    handler = fresh_container(
        REINVITE_LEDGER_TABLE=table, USERNAME_HASH_KEY_SECRET=secret["ARN"], REINVITE_COOLDOWN_HOURS="0"
    )
    handler.lambda_handler(event_for([[name for _, name in new_named_users(emu, 10)]], "usernames"), Ctx())  # warm
    runs: dict[str, list[dict[str, float]]] = {"new": [], "again": []}
    for _ in range(repeats):
        messages = [[name for _, name in new_named_users(emu, 50)] for _ in range(10)]
        for phase in ("new", "again"):
            emu.reset_journal()
            timer.reset()
            cpu, started = thread_cpu_s(("wickr", "ledger")), time.perf_counter()
            response = handler.lambda_handler(event_for(messages, "usernames"), Ctx())
            wall, cpu = time.perf_counter() - started, thread_cpu_s(("wickr", "ledger")) - cpu
            assert response["batchItemFailures"] == [], response
            runs[phase].append(
                {
                    "wall": wall,
                    "cpu": cpu,
                    "ListUsers": emu.calls("ListUsers"),
                    "GetUser": emu.calls("GetUser"),
                    "BatchReinviteUser": emu.calls("BatchReinviteUser"),
                    "dynamodb": len(timer.calls),
                }
            )
    rows = []
    for phase, measured in runs.items():
        med = {key: statistics.median(run[key] for run in measured) for key in measured[0]}
        row = {
            "usernames": phase,
            "users": 500,
            "handler_ms": round(med["wall"] * 1000, 1),
            "handler_cpu_ms": round(med["cpu"] * 1000, 1),
            **{f"{op}_per_user": round(med[op] / 500, 3) for op in ("ListUsers", "GetUser", "BatchReinviteUser")},
            "wickr_calls_per_user": round((med["ListUsers"] + med["GetUser"] + med["BatchReinviteUser"]) / 500, 3),
            "dynamodb_calls_per_user": round(med["dynamodb"] / 500, 3),
        }
        log(f"by username: {row}")
        rows.append(row)
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        os.environ.pop(name, None)
    return rows


# -- 3: throughput under a rate limit ----------------------------------------------------------------------------
def throughput(emu: WickrEmulator, moto_url: str, max_rps: str) -> dict[str, Any]:
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = moto_url
    table = f"bench-{uuid.uuid4().hex[:8]}"
    create_ledger_table(boto3.client("dynamodb"), table)
    handler = fresh_container(WICKR_MAX_REQUESTS_PER_SECOND=max_rps, REINVITE_LEDGER_TABLE=table)
    ids = new_users(emu, RATE_USERS)
    queue = [ids[n : n + RATE_MESSAGE_USERS] for n in range(0, len(ids), RATE_MESSAGE_USERS)]
    emu.faults.rate_limit_rps = RATE_LIMIT  # refills the bucket
    emu.reset_journal()
    started = time.perf_counter()
    invocations = failures = 0
    while queue and time.perf_counter() - started < RATE_TIME_CAP_S:
        batch, queue = queue[:10], queue[10:]
        event = event_for(batch)
        response = handler.lambda_handler(event, Ctx())
        invocations += 1
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        failures += len(failed)
        for record, users in zip(event["Records"], batch, strict=True):
            if record["messageId"] in failed:
                queue.append(users)  # redelivered later
    elapsed = time.perf_counter() - started
    emu.faults.rate_limit_rps = None
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    journal = emu.journal
    ok = sum(entry.status == 200 for entry in journal)
    reinvited = sum(emu.invites_sent(NETWORK, uid) >= 1 for uid in ids)
    result = {
        "max_requests_per_second": float(max_rps),
        "users": len(ids),
        "seconds": round(elapsed, 1),
        "finished": not queue,
        "calls": len(journal),
        "calls_ok": ok,
        "answered_429": sum(entry.status == 429 for entry in journal),
        "achieved_ok_calls_per_s": round(ok / elapsed, 2),
        "share_of_limit": round(ok / elapsed / RATE_LIMIT, 3),
        "invocations": invocations,
        "failed_messages": failures,
        "users_reinvited": reinvited,
        "users_not_yet_reinvited": len(ids) - reinvited,
        "double_invites": sum(emu.invites_sent(NETWORK, uid) > 1 for uid in ids),
    }
    log(f"throughput (limit {RATE_LIMIT}/s, pacer ceiling {max_rps}): {result}")
    return result


# -- 4: cold start -----------------------------------------------------------------------------------------------
# Peak RSS is read as VmHWM (per address space, reset by exec): ru_maxrss of a child keeps the forking parent's peak.
PEAK_KIB = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
IMPORT_PROBE = """
import sys, time
started = time.perf_counter()
import {module}
print(time.perf_counter() - started, {peak})
"""
INVOKE_PROBE = """
import json, sys, uuid
sys.path[:0] = {paths!r}
from bench.__main__ import Ctx, event_for
from reinviter.handler import lambda_handler
messages = json.loads(sys.argv[1])
answer = lambda_handler(event_for(messages), Ctx())
assert answer["batchItemFailures"] == [], answer
print({peak})
"""


def cold_start(emu: WickrEmulator, runs: int = 5) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    result: dict[str, Any] = {}
    for module in ("boto3", "reinviter.handler"):
        samples = []
        for _ in range(runs):
            out = subprocess.run(  # noqa: S603 - our own interpreter and probe
                [sys.executable, "-c", IMPORT_PROBE.format(module=module, peak=PEAK_KIB)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            samples.append((float(out[0]), int(out[1])))
        result[module] = {
            "import_ms_median": round(statistics.median(s[0] for s in samples) * 1000, 1),
            "peak_rss_mib": round(statistics.median(s[1] for s in samples) / 1024, 1),
        }
    messages = [new_users(emu, 10) for _ in range(10)]
    out = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [
            sys.executable,
            "-c",
            INVOKE_PROBE.format(paths=[str(ROOT / "src"), str(ROOT)], peak=PEAK_KIB),
            json.dumps(messages),
        ],
        env={**env, "AWS_ENDPOINT_URL_WICKR": emu.url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    result["invocation_100_users_peak_rss_mib"] = round(int(out[-1]) / 1024, 1)
    log(f"cold start: {result}")
    return result


# -- plots -------------------------------------------------------------------------------------------------------
def plots(results: dict[str, Any]) -> None:
    import matplotlib as mpl  # noqa: PLC0415 - only needed at the end

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = results["batch_as_deployed"]
    sizes = sorted({(r["messages"], r["users"]) for r in rows})
    series = [("naive (sequential)", "naive_ms", "moto")] + [
        (f"handler, {peer}", "handler_ms", peer) for peer in ("moto", "instant", "none")
    ]
    series.append(("floor (round trips x latency)", "floor_ms", "moto"))
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(series)
    for n, (label, field, peer) in enumerate(series):
        values = [next(r[field] for r in rows if r["dynamodb"] == peer and r["users"] == users) for _, users in sizes]
        ax.bar([i + (n - len(series) / 2 + 0.5) * width for i in range(len(sizes))], values, width, label=label)
    ax.set_xticks(range(len(sizes)), [f"{m} msg / {u} users" for m, u in sizes])
    ax.set_ylabel("ms per SQS batch")
    ax.set_yscale("log")
    ax.set_title(f"Batch latency, warm container, Wickr latency {LATENCY_MS:.0f} ms")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "batch_latency.png", dpi=110)
    plt.close(fig)

    runs = results["throughput"]
    fig, ax = plt.subplots(figsize=(6, 4))
    names = [
        f"ceiling {r['max_requests_per_second']:g}" if r["max_requests_per_second"] else "adaptive only" for r in runs
    ]
    ax.bar(names, [r["achieved_ok_calls_per_s"] for r in runs], color="tab:blue", label="achieved (200 answers/s)")
    ax.axhline(RATE_LIMIT, color="tab:red", linestyle="--", label=f"Wickr limit {RATE_LIMIT:g}/s")
    for i, r in enumerate(runs):
        ax.text(i, r["achieved_ok_calls_per_s"], f"{r['answered_429']} x 429", ha="center", va="bottom")
    ax.set_ylabel("calls/s")
    ax.set_title("Throughput under a rate limit")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(OUT / "throughput.png", dpi=110)
    plt.close(fig)


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "wickr_latency_ms": LATENCY_MS,
        }
    }
    log(f"machine: {results['machine']}")
    with WickrEmulator(page_size=100) as emu, moto_process() as moto_url:
        os.environ["AWS_ENDPOINT_URL_WICKR"] = emu.url
        emu.faults.latency_ms = LATENCY_MS
        results["fidelity"] = fidelity(emu)
        results["batch_as_deployed"] = batch_as_deployed(emu, moto_url)
        results["by_username"] = by_username(emu, moto_url)
        results["throughput"] = [throughput(emu, moto_url, "0"), throughput(emu, moto_url, "18")]
        results["cold_start"] = cold_start(emu)
    results["seconds"] = round(time.perf_counter() - started, 1)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plots(results)
    log(f"done in {results['seconds']} s: {OUT.relative_to(ROOT)}/ (results.json and the plots; not tracked by git)")


if __name__ == "__main__":
    main()
