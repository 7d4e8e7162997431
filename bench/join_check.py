"""`python -m bench.join_check`: what the sweep's join check adds, at 100,000 pending users with 10,000 awaited.

The check runs as the sweep runs it once a network's listing has finished: the real `AwaitingChecker` over the real
`DynamoAwaiting` (moto's server in a process of its own, the template's AwaitingIndex) and the real Wickr gateway
(the emulator in this process, 20 ms a call). The listing it is given holds the network's pending users; of the
awaited users, BENCH_JOIN_LEFT (1,000) have left the listing (90% accepted, 10% deleted), the rest are still pending.
It reports the check's requests per pending user beside the sweep's own (bench/README.md, section 6: 0.030 Wickr
calls and 0.060 DynamoDB requests a user), its wall time and our CPU (the main thread and the `wickr` pool's; the
emulator's threads and moto's process are left out). Run twice on fresh networks: GetUser one after another, then on
a pool of BENCH_JOIN_WORKERS (16, the template's WICKR_MAX_CONCURRENCY), as deployed.

Writes bench/results/join_check.json (git ignores it).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.__main__ import log  # sets the environment first
from wickr_emulator import SeedUser, WickrEmulator

OUT = Path(__file__).resolve().parent / "results"
PENDING = int(os.environ.get("BENCH_JOIN_PENDING", "100000"))
AWAITED = int(os.environ.get("BENCH_JOIN_AWAITED", "10000"))
LEFT = int(os.environ.get("BENCH_JOIN_LEFT", "1000"))
WORKERS = int(os.environ.get("BENCH_JOIN_WORKERS", "16"))  # WICKR_MAX_CONCURRENCY as deployed


def _seed_records(client: Any, table: str, network: str, user_ids: list[str], now: float) -> None:
    """Awaited users as a settle leaves them: one reinvite, its times, `awaiting` = the network."""
    for start in range(0, len(user_ids), 25):
        items = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": f"user#{network}#{uid}"},
                        "attempts": {"N": "1"},
                        "first_reinvited_at": {"N": str(now - 86400)},
                        "last_reinvited_at": {"N": str(now - 86400)},
                        "awaiting": {"S": network},
                    }
                }
            }
            for uid in user_ids[start : start + 25]
        ]
        client.batch_write_item(RequestItems={table: items})


def check(emu: WickrEmulator, moto_url: str, network: str, workers: int) -> dict[str, Any]:
    """One network, its table and its awaited users, fresh; the check with `workers` GetUser calls in flight."""
    import boto3  # noqa: PLC0415 - after the environment is set

    from bench.__main__ import thread_cpu_s  # noqa: PLC0415
    from devkit.ledger_table import create_ledger_table  # noqa: PLC0415
    from reinviter.adapters.dynamodb import DYNAMODB_CONFIG, DynamoAwaiting, DynamoLedger  # noqa: PLC0415
    from reinviter.adapters.wickr import WickrGateway, wickr_client  # noqa: PLC0415
    from reinviter.core.deadline import Deadline  # noqa: PLC0415
    from reinviter.core.policy import Policy  # noqa: PLC0415
    from reinviter.orchestration.awaiting import AwaitingChecker  # noqa: PLC0415

    pending = [str(1_000_000 + n) for n in range(PENDING)]
    awaited = pending[:: PENDING // AWAITED][:AWAITED]
    left = awaited[:: AWAITED // LEFT][:LEFT]
    deleted = set(left[::10])
    emu.add_users(network, [SeedUser(user_id=uid) for uid in pending])
    for uid in left:
        if uid in deleted:
            emu.remove_user(network, uid)
        else:
            emu.update_user(network, uid, status=2)
    table = f"joins-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=moto_url, config=DYNAMODB_CONFIG)
    create_ledger_table(client, table)
    _seed_records(client, table, network, awaited, time.time())
    requests: Counter[str] = Counter()
    client.meta.events.register("before-call.dynamodb", lambda model, **_: requests.update([model.name]))
    gateway = WickrGateway(wickr_client(16), max_attempts=5)
    ledger = DynamoLedger(client, table, Policy(cooldown_s=86400.0, max_attempts=5))

    class NoCursor:  # a check that finishes in one run writes one DeleteItem: counted by hand below
        budget_s = 0.0

        def load(self, network_id: str) -> str | None:
            return None

        def save(self, network_id: str, token: str) -> None:
            requests.update(["PutItem (cursor)"])

        def delete(self, network_id: str) -> None:
            requests.update(["DeleteItem (cursor)"])

    listed = set(pending) - set(left)  # what the sweep's listing showed
    with ThreadPoolExecutor(max(workers, 1), thread_name_prefix="wickr") as pool:
        awaiting = DynamoAwaiting(client, table, ledger)
        checker = AwaitingChecker(awaiting, gateway, NoCursor(), time.time, pool=pool if workers else None)
        emu.reset_journal()
        requests.clear()
        wall, cpu = time.perf_counter(), thread_cpu_s(("wickr",))
        result = checker.check(network, listed, Deadline.never())
        wall, cpu = time.perf_counter() - wall, thread_cpu_s(("wickr",)) - cpu  # before the pool's threads exit
    wickr = {op: emu.calls(op) for op in ("GetUser", "ListUsers", "BatchReinviteUser")}
    dynamodb = sum(requests.values())
    row = {
        "getuser_in_flight": workers or 1,
        "pending_users": PENDING,
        "awaited_users": AWAITED,
        "left_the_listing": LEFT,
        "joins_recorded": len(result.joins),
        "gone_recorded": result.gone,
        "finished": result.finished,
        "wickr_calls": wickr,
        "wickr_calls_per_pending_user": round(sum(wickr.values()) / PENDING, 4),
        "dynamodb_requests": dict(requests),
        "dynamodb_requests_per_pending_user": round(dynamodb / PENDING, 4),
        "wall_s": round(wall, 1),
        "our_cpu_s": round(cpu, 2),
    }
    log(f"join check: {json.dumps(row)}")
    assert row["joins_recorded"] == LEFT - len(deleted), row
    assert row["gone_recorded"] == len(deleted), row
    return row


def main() -> None:
    from devkit.moto_process import moto_process  # noqa: PLC0415

    with moto_process() as moto_url, WickrEmulator(page_size=100) as emu:
        emu.faults.latency_ms = 20.0
        os.environ["AWS_ENDPOINT_URL_WICKR"] = emu.url
        # one GetUser after another (the check as first built), then on a pool of the template's size, as deployed
        rows = [check(emu, moto_url, f"6100000{n}", workers) for n, workers in enumerate((0, WORKERS))]
    OUT.mkdir(exist_ok=True)
    (OUT / "join_check.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
