"""`python -m bench.cpu_share` (`make bench-lambda`): the handler and the naive loop at Lambda's CPU share.

Lambda gives a function CPU in proportion to its memory: MemorySize / 1769 of one vCPU. Here each measured process
(the handler's, the naive loop's) runs in a cgroup v1 CPU group whose quota is that share of a core, while the fakes
(the Wickr emulator with 20 ms a call, moto's server) run outside it, unthrottled, as AWS's services would. Where no
cgroup can be made (not root, no cgroup v1 cpu controller), it says so and runs unthrottled.

Under a quota moto's own time cannot be told apart from ours in the wall time, so each batch is reported twice: the
wall time measured (moto's slow transactions included) and its CPU divided by the share, the least time Lambda could
take for it (what the batch costs at that size whatever DynamoDB answers).

Writes bench/results/cpu_share.json (ignored by git). Knobs: BENCH_SHARE_SIZES (MB, comma-separated; default
256,512,1024,1769,3008), BENCH_SHARE_REPEATS (3), BENCH_SHARE_THROUGHPUT (1: also the 20 calls/s
drain at 1,769 MB), BENCH_SHARE_IMPORTS (1: also `-X importtime` of the cold start at 1,769 MB; with
BENCH_SHARE_SIZES empty, only these two), BENCH_PROFILE (a path: the warm batches under py-spy,
`--gil`, collapsed stacks).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CGROUP_CPU = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000
VCPU_MB = 1769  # Lambda: 1,769 MB of memory buys one vCPU
# arm64 list price (us-east-1, read 2026-12-04 from aws.amazon.com/lambda/pricing): per GB-second, per request.
PRICE_GB_S = 0.0000133334
PRICE_REQUEST = 0.20 / 1_000_000
MESSAGES, PER_MESSAGE = 10, 50  # the template's largest batch: 10 messages x 50 users
COLD_USERS = 5
# Tracing as deployed (Tracing: Active): the X-Ray SDK in Lambda mode, its segments sent over UDP to a local port
# (a sink in the driver, outside the group) as they would be to Lambda's X-Ray daemon.
TRACED = {
    "AWS_LAMBDA_FUNCTION_NAME": "wickr-reinviter",
    "LAMBDA_TASK_ROOT": str(ROOT / "src"),
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    "POWERTOOLS_TRACE_DISABLED": "false",
    # and the rest as deployed: metrics printed (EMF), logs at INFO (the bench's own default is quieter)
    "POWERTOOLS_METRICS_DISABLED": "false",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
SIZES = [int(mb) for mb in os.environ.get("BENCH_SHARE_SIZES", "256,512,1024,1769,3008").split(",") if mb]
REPEATS = int(os.environ.get("BENCH_SHARE_REPEATS", "3"))
THROUGHPUT = os.environ.get("BENCH_SHARE_THROUGHPUT", "1") == "1"  # section 3's rate-limited drain, at 1,769 MB
IMPORTS = os.environ.get("BENCH_SHARE_IMPORTS", "1") == "1"  # `-X importtime` of the cold start, at 1,769 MB


@contextmanager
def xray_sink() -> Iterator[tuple[str, list[int]]]:
    """A UDP port that takes what the X-Ray SDK sends (as Lambda's daemon would); yields its address and byte count."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(0.2)
    received = [0]
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            with suppress(TimeoutError):
                received[0] += len(sink.recv(65_536))

    thread = threading.Thread(target=drain, name="xray-sink", daemon=True)
    thread.start()
    try:
        host, port = sink.getsockname()
        yield f"{host}:{port}", received
    finally:
        stop.set()
        thread.join()
        sink.close()


@contextmanager
def cpu_share(memory_mb: int) -> Iterator[Path | None]:
    """A cgroup whose CPU quota is Lambda's share at this MemorySize (None: none could be made; unthrottled)."""
    group = CGROUP_CPU / f"wickr-reinviter-bench-{os.getpid()}-{memory_mb}"
    try:
        group.mkdir()
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(round(PERIOD_US * memory_mb / VCPU_MB)))
    except OSError as error:
        print(f"no cgroup for {memory_mb} MB ({error}): running unthrottled", flush=True)
        with suppress(OSError):
            group.rmdir()
        yield None
        return
    try:
        yield group
    finally:
        with suppress(OSError):
            group.rmdir()  # empty again once its processes have exited


def joiner(group: Path | None) -> Callable[[], None]:
    """A `preexec_fn`: in the child, before exec, so a process is in the group from its first instruction."""

    def join() -> None:
        if group is not None:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    return join


def run_in(group: Path | None, args: list[str], env: dict[str, str], *, isolated: bool = False) -> dict[str, Any]:
    """Run a worker (this module with `args`) inside the group; its last stdout line is its JSON report.

    `isolated`: `python -I -S -B` on this file: no venv, no PYTHONPATH, no byte code written (Lambda's filesystem is
    read-only), only the tree it is given: a cold start from the artifact as Lambda has it.
    """
    command = [sys.executable, "-I", "-S", "-B", __file__] if isolated else [sys.executable, "-m", "bench.cpu_share"]
    profile = os.environ.get("BENCH_PROFILE")  # a path: the warm handler runs under `py-spy record --gil`
    if profile and args[0] == "handler" and "instant" not in args[1]:
        spy = [str(Path(sys.executable).with_name("py-spy")), "record", "--gil", "--format", "raw", "-o", profile]
        command = [*spy, "--", *command]
    out = subprocess.run(  # noqa: S603 - our interpreter; preexec writes one file, no threads in between
        [*command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=joiner(group),
        timeout=1800,
    )
    if out.returncode:
        raise SystemExit(f"worker {args[0]} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]  # py-spy, if on, adds lines of its own
    report: dict[str, Any] = json.loads(lines[-1])
    return report


# -- the worker: runs inside the group -------------------------------------------------------------------------------
def worker(mode: str, spec: dict[str, Any]) -> dict[str, Any]:
    """`handler`: a warm container's batches, as deployed; `naive`: the baseline loop; `cold`: import + 5 users."""
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    sys.path[:0] = [spec["tree"], str(ROOT)] if "tree" in spec else [str(ROOT / "src"), str(ROOT)]
    from devkit.records import sqs_event, sqs_record  # noqa: PLC0415 - stdlib only: nothing the function would not import

    if mode == "naive":
        import boto3  # noqa: PLC0415 - measured: the naive loop pays its own imports too
        from botocore.config import Config  # noqa: PLC0415

        client = boto3.client("wickr", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
        batches = []
        for messages in spec["batches"]:
            wall, cpu = time.perf_counter(), time.process_time()
            for ids in messages:
                answers = [client.get_user(networkId=spec["network"], userId=uid) for uid in ids]
                pending = [uid for uid, answer in zip(ids, answers, strict=True) if answer.get("status") == 1]
                if pending:
                    client.batch_reinvite_user(networkId=spec["network"], userIds=pending, clientToken=uuid.uuid4().hex)
            batches.append({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu})
        return {"batches": batches}

    os.environ.update(spec["env"])
    if mode == "throughput":
        return _throughput(spec)
    import_wall, import_cpu = time.perf_counter(), time.process_time()
    from reinviter.handler import lambda_handler  # noqa: PLC0415 - measured

    imported = {"import_wall": time.perf_counter() - import_wall, "import_cpu": time.process_time() - import_cpu}
    if spec.get("instant"):  # the ledger and the bus answering at once (devkit's fakes): the wall time without moto's
        from devkit.fakes import AcceptingBus, InMemoryLedger  # noqa: PLC0415
        from reinviter import wiring  # noqa: PLC0415

        app = wiring.container()
        app.service._ledger = InMemoryLedger(app.settings.policy, time.time)  # a bench's substitution
        app.service._publisher = AcceptingBus()
    batches = []
    for messages in spec["batches"]:
        if messages and isinstance(messages[0], dict):  # whole bodies (the sweep's sealed messages)
            event = {
                "Records": [sqs_record(json.dumps(body), None, os.environ["REINVITE_QUEUE_ARN"]) for body in messages]
            }
        else:
            event = sqs_event(spec["env"]["WICKR_NETWORK_IDS"], messages, os.environ["REINVITE_QUEUE_ARN"])
        wall, cpu = time.perf_counter(), time.process_time()
        answer = lambda_handler(event, _Context())
        failed = len(answer["batchItemFailures"])  # moto, loaded, can time a transaction out: counted, and reported
        batches.append({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "failed": failed})
    if mode == "cold":  # the process's life: interpreter start excluded, imports and the first batch included
        total = {"total_wall": time.perf_counter() - started_wall, "total_cpu": time.process_time() - started_cpu}
        return imported | total
    return imported | {"batches": batches[1:]}  # the first batch warms the container; the rest are measured


def _throughput(spec: dict[str, Any]) -> dict[str, Any]:
    """Drain 50-user messages 10 to an invocation against a Wickr that allows 20 calls a second, failed ones again."""
    from devkit.records import sqs_event  # noqa: PLC0415
    from reinviter.handler import lambda_handler  # noqa: PLC0415

    queue: list[list[str]] = list(spec["messages"])
    wall, cpu = time.perf_counter(), time.process_time()
    invocations = failures = 0
    while queue and time.perf_counter() - wall < spec["cap_s"]:
        batch, queue = queue[:10], queue[10:]
        event = sqs_event(spec["env"]["WICKR_NETWORK_IDS"], batch, os.environ["REINVITE_QUEUE_ARN"])
        failed = {item["itemIdentifier"] for item in lambda_handler(event, _Context())["batchItemFailures"]}
        invocations, failures = invocations + 1, failures + len(failed)
        queue += [users for record, users in zip(event["Records"], batch, strict=True) if record["messageId"] in failed]
    return {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "finished": not queue,
        "invocations": invocations,
        "failed_messages": failures,
    }


class _Context:
    """The parts of Lambda's context the handler reads (the worker imports nothing the function would not)."""

    function_name = "wickr-reinviter"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:wickr-reinviter"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"))

    def get_remaining_time_in_millis(self) -> int:
        return 180_000  # the template's Timeout


def _stack(
    memory_mb: int, wickr_url: str, moto_url: str, network: str, xray_address: str
) -> tuple[dict[str, str], dict[str, str], str]:
    """A fresh ledger table and key in moto, the driver's environment for a worker, and the function's as deployed."""
    import boto3  # noqa: PLC0415

    from bench.__main__ import ENV  # noqa: PLC0415
    from devkit.ledger_table import create_ledger_table  # noqa: PLC0415

    table = f"share-{uuid.uuid4().hex[:8]}"
    create_ledger_table(boto3.client("dynamodb", endpoint_url=moto_url), table)
    secrets = boto3.client("secretsmanager", endpoint_url=moto_url)
    key_arn = secrets.create_secret(Name=f"key-{uuid.uuid4().hex[:8]}", SecretString=uuid.uuid4().hex * 2)["ARN"]
    env = {
        **os.environ,
        **ENV,
        "AWS_ENDPOINT_URL_WICKR": wickr_url,
        "AWS_ENDPOINT_URL_DYNAMODB": moto_url,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": moto_url,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    deployed = {
        "WICKR_NETWORK_IDS": network,
        "REINVITE_LEDGER_TABLE": table,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "OUTCOME_EVENT_BUS": "default",  # as deployed: outcome events on (moto's default bus, no rule)
        "USERNAME_HASH_KEY_SECRET": key_arn,  # as deployed: the stack's key (seals, the username cache)
        **TRACED,
        "AWS_XRAY_DAEMON_ADDRESS": xray_address,
    }
    return env, deployed, key_arn


# -- the driver: fakes outside the groups ------------------------------------------------------------------------------
def measure(  # noqa: PLR0917 - the run's shared fakes and trees
    memory_mb: int, emu: Any, moto_url: str, network: str, xray: tuple[str, list[int]], trees: dict[str, Path]
) -> dict[str, Any]:
    import boto3  # noqa: PLC0415

    from bench.__main__ import new_users  # noqa: PLC0415
    from reinviter.adapters.secrets import SecretKey  # noqa: PLC0415
    from reinviter.core.deadline import Deadline  # noqa: PLC0415
    from reinviter.core.seal import ListingSeal  # noqa: PLC0415

    share = memory_mb / VCPU_MB
    env, deployed, key_arn = _stack(memory_mb, emu.url, moto_url, network, xray[0])
    deployed["WICKR_MAX_CONCURRENCY"] = "16"
    secrets = boto3.client("secretsmanager", endpoint_url=moto_url)
    sealer = ListingSeal(SecretKey(lambda: secrets, key_arn), time.time, 900.0)
    traced_before = xray[1][0]

    def batches(count: int, per_message: int = PER_MESSAGE, messages: int = MESSAGES) -> list[list[list[str]]]:
        return [[new_users(emu, per_message) for _ in range(messages)] for _ in range(count)]

    def sealed(count: int) -> list[list[dict[str, Any]]]:
        """The sweep's messages as it queues them: 50 pending users each, sealed with the time of their listing."""
        listed_at_ms = sealer.now_ms()
        runs = []
        for _ in range(count):
            bodies = []
            for _ in range(MESSAGES):
                ids = new_users(emu, PER_MESSAGE)
                seal = sealer.seal(network, ids, listed_at_ms, Deadline.never())
                bodies.append({"networkId": network, "userIds": ids, "listing": seal.as_body()})
            runs.append(bodies)
        return runs

    with cpu_share(memory_mb) as group:
        emu.reset_journal()
        runs = batches(REPEATS + 1, messages=MESSAGES)
        runs[0] = [new_users(emu, 10)]  # the warm-up
        handler = run_in(group, ["handler", json.dumps({"env": deployed, "batches": runs})], env)
        measured = {uid for run in runs[1:] for ids in run for uid in ids}
        calls = sum(1 for entry in emu.journal if measured.intersection(entry.user_ids))
        runs = batches(REPEATS + 1, messages=MESSAGES)
        runs[0] = [new_users(emu, 10)]
        instant = run_in(group, ["handler", json.dumps({"env": deployed, "batches": runs, "instant": True})], env)
        naive = run_in(group, ["naive", json.dumps({"network": network, "batches": batches(REPEATS)})], env)
        emu.reset_journal()
        runs_sealed: list[Any] = sealed(REPEATS + 1)
        drain = run_in(group, ["handler", json.dumps({"env": deployed, "batches": runs_sealed})], env)
        drained = {uid for run in runs_sealed[1:] for body in run for uid in body["userIds"]}
        drain_calls = sum(1 for entry in emu.journal if drained.intersection(entry.user_ids))
        colds = {
            kind: [
                run_in(
                    group,
                    [
                        "cold",
                        json.dumps({"env": deployed, "tree": str(tree), "batches": [[new_users(emu, COLD_USERS)]]}),
                    ],
                    env,
                    isolated=True,
                )
                for _ in range(REPEATS)
            ]
            for kind, tree in trees.items()
        }
    users = MESSAGES * PER_MESSAGE
    med = {key: statistics.median(run[key] for run in handler["batches"]) for key in ("wall", "cpu")}
    naive_med = {key: statistics.median(run[key] for run in naive["batches"]) for key in ("wall", "cpu")}
    instant_wall = statistics.median(run["wall"] for run in instant["batches"])
    drain_med = {key: statistics.median(run[key] for run in drain["batches"]) for key in ("wall", "cpu")}
    at_least = med["cpu"] / share  # our CPU (DynamoDB's requests serialised by botocore included) at this share
    duration = max(instant_wall, at_least)  # what to expect on Lambda: neither moto's waits nor less than our CPU
    gb_s = memory_mb / 1024 * duration
    invocations = 100_000 / users
    return {
        "memory_mb": memory_mb,
        "cpu_share": round(share, 3),
        "throttled": group is not None,
        "xray_bytes_sent": xray[1][0] - traced_before,  # tracing was on, as deployed
        "messages_failed": sum(run["failed"] for run in handler["batches"] + instant["batches"]),
        "batch_wall_ms": round(med["wall"] * 1000),
        "batch_cpu_ms": round(med["cpu"] * 1000),
        "batch_at_least_ms": round(at_least * 1000),
        "batch_instant_ledger_wall_ms": round(instant_wall * 1000),
        "batch_expected_ms": round(duration * 1000),
        "naive_wall_ms": round(naive_med["wall"] * 1000),
        "naive_cpu_ms": round(naive_med["cpu"] * 1000),
        "speedup_vs_naive": round(naive_med["wall"] / duration, 2),
        "cpu_per_checked_user_ms": round(med["cpu"] * 1000 / users, 2),
        "wickr_calls_per_user": round(calls / (REPEATS * users), 3),
        # The drain of the sweep's sealed messages (a fresh listing is the check: no GetUser), against moto.
        "sealed_batch_wall_ms": round(drain_med["wall"] * 1000),
        "sealed_batch_cpu_ms": round(drain_med["cpu"] * 1000),
        "sealed_batch_at_least_ms": round(drain_med["cpu"] / share * 1000),
        "sealed_wickr_calls_per_user": round(drain_calls / (REPEATS * users), 3),
        "sealed_messages_failed": sum(run["failed"] for run in drain["batches"]),
        **{
            f"cold_{kind}_{figure}_ms": round(statistics.median(run[key] for run in runs_of_kind) * 1000)
            for kind, runs_of_kind in colds.items()
            for figure, key in (("import", "import_wall"), ("total", "total_wall"), ("total_cpu", "total_cpu"))
        },
        "gb_seconds_per_batch": round(gb_s, 3),
        "usd_per_100k_users": round(invocations * (gb_s * PRICE_GB_S + PRICE_REQUEST), 4),
    }


def throughput_at_share(  # noqa: PLR0917 - the run's shared fakes
    memory_mb: int, max_rps: str, emu: Any, moto_url: str, network: str, xray_address: str
) -> dict[str, Any]:
    """Section 3's run (Wickr allows 20 calls a second), its handler at the share: calls/s, 429s and CPU."""
    from bench.__main__ import RATE_LIMIT, RATE_MESSAGE_USERS, RATE_TIME_CAP_S, RATE_USERS, new_users  # noqa: PLC0415

    env, deployed, _ = _stack(memory_mb, emu.url, moto_url, network, xray_address)
    deployed["WICKR_MAX_REQUESTS_PER_SECOND"] = max_rps
    ids = new_users(emu, RATE_USERS)
    messages = [ids[n : n + RATE_MESSAGE_USERS] for n in range(0, len(ids), RATE_MESSAGE_USERS)]
    with cpu_share(memory_mb) as group:
        emu.faults.rate_limit_rps = RATE_LIMIT
        emu.reset_journal()
        spec = {"env": deployed, "messages": messages, "cap_s": RATE_TIME_CAP_S}
        run = run_in(group, ["throughput", json.dumps(spec)], env)
        emu.faults.rate_limit_rps = None
    ok = sum(entry.status == 200 for entry in emu.journal)
    return {
        "memory_mb": memory_mb,
        "max_requests_per_second": float(max_rps),
        "throttled": group is not None,
        "users": len(ids),
        "seconds": round(run["wall"], 1),
        "cpu_s": round(run["cpu"], 2),
        "finished": run["finished"],
        "calls": len(emu.journal),
        "achieved_ok_calls_per_s": round(ok / run["wall"], 2),
        "share_of_limit": round(ok / run["wall"] / RATE_LIMIT, 3),
        "answered_429": sum(entry.status == 429 for entry in emu.journal),
        "users_reinvited": sum(emu.invites_sent(network, uid) >= 1 for uid in ids),
        "double_invites": sum(emu.invites_sent(network, uid) > 1 for uid in ids),
        "invocations": run["invocations"],
        "failed_messages": run["failed_messages"],
    }


def importtime_at_share(  # noqa: PLR0917 - the run's shared fakes
    memory_mb: int, wickr_url: str, moto_url: str, network: str, xray_address: str, tree: Path
) -> dict[str, Any]:
    """The cold start's import, module by module, from the byte-compiled tree, in Lambda mode at the share."""
    from bench.import_time import import_costs  # noqa: PLC0415

    env, deployed, _ = _stack(memory_mb, wickr_url, moto_url, network, xray_address)
    with cpu_share(memory_mb) as group:
        return {"memory_mb": memory_mb, **import_costs(group, tree, {**env, **deployed})}


def artifact_trees(scratch: Path) -> dict[str, Path]:
    """The function's tree as scripts/build_artifact.py builds it here, byte code included, and a copy without it
    (what the artifact shipped before): cold starts are measured from both."""
    sys.path[:0] = [str(ROOT)]
    from scripts.build_artifact import HOST, build_tree  # noqa: PLC0415

    compiled = build_tree(ROOT / "src", scratch / "compiled", HOST)
    source_only = scratch / "source-only"
    shutil.copytree(compiled, source_only, ignore=shutil.ignore_patterns("__pycache__"))
    return {"compiled": compiled, "source_only": source_only}


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(worker(sys.argv[1], json.loads(sys.argv[2]))), flush=True)
        return
    from bench.__main__ import LATENCY_MS, NETWORK, OUT, log  # noqa: PLC0415 - sets the bench's environment
    from devkit.moto_process import moto_process  # noqa: PLC0415
    from wickr_emulator import WickrEmulator  # noqa: PLC0415

    rows = []
    with (
        tempfile.TemporaryDirectory() as scratch,
        WickrEmulator() as emu,
        moto_process() as moto_url,
        xray_sink() as xray,
    ):
        trees = artifact_trees(Path(scratch))
        emu.faults.latency_ms = LATENCY_MS
        for memory_mb in SIZES:
            row = measure(memory_mb, emu, moto_url, NETWORK, xray, trees)
            log(f"at {memory_mb} MB: {row}")
            rows.append(row)
        # the template's default pacer (0: the 429s alone) and a ceiling just under the limit, as in section 3
        rates = [
            throughput_at_share(VCPU_MB, rps, emu, moto_url, NETWORK, xray[0]) for rps in ("0", "18") if THROUGHPUT
        ]
        log(f"throughput at {VCPU_MB} MB: {rates}")
        imports = (
            importtime_at_share(VCPU_MB, emu.url, moto_url, NETWORK, xray[0], trees["compiled"]) if IMPORTS else None
        )
        log(f"imports at {VCPU_MB} MB: {imports}")
    OUT.mkdir(exist_ok=True)
    result = {"sizes": rows, "repeats": REPEATS, "throughput_at_1769_mb": rates, "imports_at_1769_mb": imports}
    (OUT / "cpu_share.json").write_text(json.dumps(result, indent=1))
    log(f"wrote {OUT / 'cpu_share.json'}")


if __name__ == "__main__":
    main()
