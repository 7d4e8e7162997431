"""The main job, locally: the real handler against the bundled Wickr emulator, no AWS account needed.

Run with `make demo`. It serves the emulator on 127.0.0.1 seeded with the demo networks, invokes the handler with
events/sqs-mixed.json (valid, malformed and out-of-allowlist messages), and prints the batch response, the EMF
metrics the function emitted, and what happened to each user.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from wickr_emulator import DEMO_SEED_PATH, WickrEmulator  # noqa: E402 - after the path set-up above

EVENT = ROOT / "events" / "sqs-mixed.json"
SHOWN_LOG_FIELDS = ("message_id", "network_id", "reason", "verdicts", "problems")


class Context:
    """A Lambda context with a generous time budget."""

    function_name = "wickr-reinviter-demo"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:wickr-reinviter-demo"
    aws_request_id = str(uuid.uuid4())

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def configure(endpoint: str) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_WICKR": endpoint,
            "WICKR_NETWORK_IDS": "12345678,87654321",
            "POWERTOOLS_SERVICE_NAME": "wickr-reinviter",
            "POWERTOOLS_METRICS_NAMESPACE": "WickrReinviter",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
        }
    )
    os.environ.pop("AWS_PROFILE", None)


def metrics_from(output: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = blob[metric["Name"]]
                    values = value if isinstance(value, list) else [value]
                    totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(values)
    return totals


def log_lines(output: str) -> list[dict[str, Any]]:
    lines = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' not in line:
            lines.append(json.loads(line))
    return lines


def main() -> int:
    event = json.loads(EVENT.read_text())
    with WickrEmulator() as emulator:
        emulator.load_seed(DEMO_SEED_PATH)
        configure(emulator.url)
        print(f"Wickr emulator on {emulator.url}, demo networks {', '.join(emulator.network_ids())}")
        print(f"Invoking the handler with {EVENT.relative_to(ROOT)} ({len(event['Records'])} SQS records)\n")
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            # Imported here so Powertools' Logger binds to the captured stdout, as it binds to Lambda's.
            from reinviter.handler import lambda_handler

            response = lambda_handler(event, Context())
        output = captured.getvalue()

        print("Structured log lines (JSON on stdout in Lambda):")
        for line in log_lines(output):
            extras = {key: value for key, value in line.items() if key in SHOWN_LOG_FIELDS}
            print(f"  {line['level']:<7} {line['message']}  {json.dumps(extras) if extras else ''}")
        print("\nBatch response:")
        print(json.dumps(response, indent=2))
        print("\nMetrics emitted (EMF, namespace WickrReinviter):")
        for name, value in sorted(metrics_from(output).items()):
            print(f"  {name:<16} {value:g}")

        print("\nEvery user of the demo networks afterwards:")
        for network_id in emulator.network_ids():
            for user in emulator.users(network_id):
                sent = emulator.invites_sent(network_id, user.user_id)
                state = "suspended" if user.suspended else ("pending" if user.status == 1 else "active")
                print(f"  {network_id}/{user.user_id:<5} {state:<9} invitations resent: {sent}")
        calls = {op: emulator.calls(op) for op in ("GetUser", "BatchReinviteUser")}
        failed = len(response["batchItemFailures"])
        print(
            f"\nSummary: {len(event['Records'])} messages, {failed} left for redelivery/DLQ; "
            f"{calls['GetUser']} GetUser and {calls['BatchReinviteUser']} BatchReinviteUser calls; "
            f"{sum(emulator.invites_sent(n, u.user_id) for n in emulator.network_ids() for u in emulator.users(n))} "
            "invitations resent."
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
