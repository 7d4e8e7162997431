"""The main job, locally: the real handler against the bundled Wickr emulator, no AWS account needed.

Run with `make demo`. It serves the emulator on 127.0.0.1 seeded with the demo networks, invokes the handler with
events/sqs-mixed.json (valid, malformed and out-of-allowlist messages) and events/sqs-usernames.json (users named by
username), runs the scheduled sweep and drains its queue, and prints the batch responses, the EMF metrics the function
emitted, and what happened to each user. It ends as an operator would: the `reinviter` command's view of a reinvited
and a skipped user, and of who was given up.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from wickr_emulator import DEMO_SEED_PATH, WickrEmulator  # noqa: E402 - after the path set-up above

EVENT = ROOT / "events" / "sqs-mixed.json"
USERNAMES_EVENT = ROOT / "events" / "sqs-usernames.json"
LEDGER_TABLE = "wickr-reinviter-demo-ledger"
SHOWN_LOG_FIELDS = (
    "message_id",
    "network_id",
    "user_id",
    "reason",
    "verdicts",
    "problems",
    "skipped",
    "networks",
    "users_enqueued",
    "finished",
)


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


def metrics_from(output: str, *, per_network: bool = False) -> dict[str, float]:
    """The service-wide metrics summed (dimension `service`), or the per-network ones as `<network> <name>`."""
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                if ("network_id" in directive["Dimensions"][0]) != per_network:
                    continue
                for metric in directive["Metrics"]:
                    value = blob[metric["Name"]]
                    values = value if isinstance(value, list) else [value]
                    name = f"{blob['network_id']} {metric['Name']}" if per_network else metric["Name"]
                    totals[name] = totals.get(name, 0) + sum(values)
    return totals


def log_lines(output: str) -> list[dict[str, Any]]:
    lines = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' not in line:
            lines.append(json.loads(line))
    return lines


def start_aws(stack: contextlib.ExitStack) -> tuple[str, str]:
    """moto's server on loopback stands in for SQS and DynamoDB: the function's queue and ledger table.

    The tests' peer (devkit/moto_peer.py): one request at a time, because moto's transactions are not isolated (a
    refused one puts back a copy of the table, erasing a concurrent settle) and the function claims and settles at
    once on its ledger pool.
    """
    import boto3

    from devkit.ledger_table import create_ledger_table
    from devkit.moto_peer import serial_moto_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    url = stack.enter_context(serial_moto_server())
    os.environ.update(
        {f"AWS_ENDPOINT_URL_{name}": url for name in ("SQS", "DYNAMODB", "SECRETS_MANAGER", "EVENTBRIDGE")}
    )
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="wickr-reinviter-demo")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    create_ledger_table(boto3.client("dynamodb"), LEDGER_TABLE)
    # The username cache's HMAC key, as the stack's generated secret holds it.
    key = boto3.client("secretsmanager").create_secret(
        Name="wickr-reinviter-demo-hash-key", SecretString=uuid.uuid4().hex * 2
    )
    os.environ.update(
        {
            "REINVITE_QUEUE_URL": queue_url,
            "REINVITE_QUEUE_ARN": queue_arn,
            "REINVITE_LEDGER_TABLE": LEDGER_TABLE,
            "USERNAME_HASH_KEY_SECRET": key["ARN"],
            "OUTCOME_EVENT_BUS": "default",  # as deployed: the account's default bus
        }
    )
    # An onboarding system's rule (the README's): its outcome events, into a queue of its own.
    told = sqs.create_queue(QueueName="onboarding-outcomes")["QueueUrl"]
    told_arn = sqs.get_queue_attributes(QueueUrl=told, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events")
    events.put_rule(Name="onboarding-outcomes", EventPattern=json.dumps({"source": ["wickr.reinviter"]}))
    events.put_targets(Rule="onboarding-outcomes", Targets=[{"Id": "queue", "Arn": told_arn}])
    os.environ["DEMO_OUTCOMES_QUEUE"] = told
    return queue_url, url


def outcome_events() -> list[dict[str, Any]]:
    """The events the onboarding system's rule delivered since the last call (taken off its queue)."""
    import boto3

    sqs, queue_url = boto3.client("sqs"), os.environ["DEMO_OUTCOMES_QUEUE"]
    taken: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        taken += [json.loads(message["Body"]) for message in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return taken


def show_events(events: list[dict[str, Any]]) -> None:
    """How many events of each kind, and the skips' reasons."""
    kinds = collections.Counter(event["detail-type"] for event in events)
    reasons = collections.Counter(e["detail"]["reason"] for e in events if e["detail-type"] == "User Skipped")
    told = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())) or "none"
    why = dict(sorted(reasons.items()))
    print(f"  Outcome events since step 1 (source wickr.reinviter): {told}; skip reasons {why}")


def from_our_queue(event: dict[str, Any]) -> dict[str, Any]:
    """An events/ file's records as the demo's queue delivers them (the function takes records from no other)."""
    for record in event["Records"]:
        record["eventSourceARN"] = os.environ["REINVITE_QUEUE_ARN"]
    return event


CAPTURED = io.StringIO()  # the function's stdout; Powertools' Logger keeps the stream it first saw, so it is reused


def invoke(event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    CAPTURED.seek(0)
    CAPTURED.truncate()
    with contextlib.redirect_stdout(CAPTURED):
        from reinviter.handler import lambda_handler
        from reinviter.telemetry.logger import logger

        # Powertools' Logger keeps the stream it was made with, and something may import it before the first
        # invocation: point it at the captured stdout every time (as Lambda's stdout is the function's).
        logger.logger_handler.setStream(CAPTURED)  # type: ignore[attr-defined]
        response = lambda_handler(event, Context())
    return response, CAPTURED.getvalue()


def show(output: str) -> None:
    print("  Structured log lines (JSON on stdout in Lambda):")
    for line in log_lines(output):
        extras = {key: value for key, value in line.items() if key in SHOWN_LOG_FIELDS}
        print(f"    {line['level']:<7} {line['message']}  {json.dumps(extras) if extras else ''}")
    print("  Metrics emitted (EMF, namespace WickrReinviter):")
    print("    " + ", ".join(f"{name} {value:g}" for name, value in sorted(metrics_from(output).items())))
    per_network = metrics_from(output, per_network=True)
    if per_network:
        print("    per network: " + ", ".join(f"{name} {value:g}" for name, value in sorted(per_network.items())))


def drain(queue_url: str) -> tuple[int, int, list[str]]:
    """Feed the queue to the handler as Lambda's poller does: batches of 10, delete what succeeded."""
    import boto3

    sqs = boto3.client("sqs")
    batches = reinvited = 0
    skips: list[str] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages", []
    ):
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m["Attributes"],
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": os.environ["REINVITE_QUEUE_ARN"],
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
        }
        response, output = invoke(event)
        skips += [
            f"{line['network_id']}/{line['user_id']} ({line['reason']})"
            for line in log_lines(output)
            if line["message"] == "reinvite skipped"
        ]
        batches += 1
        reinvited += int(metrics_from(output).get("UsersReinvited", 0))
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        if failed:
            break  # the demo does not wait out visibility timeouts
    return batches, reinvited, skips


def joined(emulator: WickrEmulator) -> None:
    """A reinvited user accepts; nobody asks about them again, and the next sweep's join check finds it."""
    print("\n3b. 12345678/1004 accepts its invitation; the next sweep (no request names 1004) finds the join")
    emulator.update_user("12345678", "1004", status=2)
    emulator.reset_journal()
    _, output = invoke(json.loads((ROOT / "events" / "schedule-all.json").read_text()))
    for line in log_lines(output):
        if line["message"] in ("user joined", "reinvited user gone"):
            fields = {key: line.get(key) for key in ("network_id", "user_id", "reinvites", "hours_to_join")}
            print(f"    {line['level']:<7} {line['message']}  {json.dumps(fields)}")
    metrics = metrics_from(output)
    joins, reinvites = metrics.get("UsersJoined", 0), metrics.get("ReinvitesBeforeJoin", 0)
    print(
        f"  UsersJoined {joins:g}, ReinvitesBeforeJoin {reinvites:g},"
        f" {emulator.calls('GetUser')} GetUser: the one user the listing no longer showed"
    )
    for event in outcome_events():
        print(
            f"  The onboarding system's rule got: {event['detail-type']} {json.dumps(event['detail'], sort_keys=True)}"
        )


def operate() -> None:
    """The operator's view, through the installed `reinviter` command (names stay hidden without --show-names)."""
    command = Path(sys.executable).with_name("reinviter")
    views = [
        ("a reinvited user who joined", ["status", "12345678", "1004"]),
        ("a skipped user (active)", ["status", "12345678", "1003"]),
        ("who reached the attempt cap", ["given-up", "12345678"]),
        ("did it work? (the last 7 days)", ["report", "12345678", "--days", "7"]),
    ]
    print("\n4. Operating it: the `reinviter` command against the same table and emulator")
    for what, args in views:
        print(f"\n$ reinviter {' '.join(args)} --table {LEDGER_TABLE}     # {what}")
        result = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
            [str(command), *args, "--table", LEDGER_TABLE], capture_output=True, text=True, check=False
        )
        print((result.stdout + result.stderr).rstrip())
        if result.returncode:
            raise SystemExit(f"reinviter {args[0]} exited {result.returncode}")


def main() -> int:
    with WickrEmulator() as emulator:
        emulator.load_seed(DEMO_SEED_PATH)
        configure(emulator.url)
        with contextlib.ExitStack() as stack:
            queue_url, aws_url = start_aws(stack)
            print(f"Wickr emulator on {emulator.url}; SQS and DynamoDB (moto) on {aws_url}")
            print(f"Demo networks: {', '.join(emulator.network_ids())}\n")

            event = from_our_queue(json.loads(EVENT.read_text()))
            print(f"1. An SQS batch: {EVENT.relative_to(ROOT)} ({len(event['Records'])} records)")
            response, output = invoke(event)
            show(output)
            print("  Batch response:", json.dumps(response))

            usernames_event = from_our_queue(json.loads(USERNAMES_EVENT.read_text()))
            print(f"\n1b. Users named by username: {USERNAMES_EVENT.relative_to(ROOT)} (usernames are never logged)")
            response, output = invoke(usernames_event)
            show(output)
            print("  Batch response:", json.dumps(response))

            print("\n2. The scheduled sweep (events/schedule-all.json: every allowed network)")
            response, output = invoke(json.loads((ROOT / "events" / "schedule-all.json").read_text()))
            show(output)
            print("  Sweep summary:", json.dumps(response))

            batches, reinvited, skips = drain(queue_url)
            print(f"\n3. The queue drained through the handler: {batches} batch(es), {reinvited} user(s) reinvited")
            print(f"   skipped by the ledger before any Wickr call: {', '.join(skips) or 'nobody'}")
            show_events(outcome_events())

            print("\nEvery user of the demo networks afterwards:")
            for network_id in emulator.network_ids():
                for user in emulator.users(network_id):
                    sent = emulator.invites_sent(network_id, user.user_id)
                    state = "suspended" if user.suspended else ("pending" if user.status == 1 else "active")
                    print(f"  {network_id}/{user.user_id:<5} {state:<9} invitations resent: {sent}")
            calls = {op: emulator.calls(op) for op in ("GetUser", "ListUsers", "BatchReinviteUser")}
            users = [(n, u) for n in emulator.network_ids() for u in emulator.users(n)]
            total = sum(emulator.invites_sent(n, u.user_id) for n, u in users)
            pending = [emulator.invites_sent(n, u.user_id) for n, u in users if u.status == 1 and not u.suspended]
            others = [emulator.invites_sent(n, u.user_id) for n, u in users if u.status != 1 or u.suspended]
            exact = all(sent == 1 for sent in pending) and not any(others)
            verdict = (
                "each pending user exactly once; active and suspended users untouched."
                if exact
                else "NOT each pending user exactly once (see the table above)."
            )
            print(
                f"\nSummary: {calls['GetUser']} GetUser, {calls['ListUsers']} ListUsers and "
                f"{calls['BatchReinviteUser']} BatchReinviteUser calls; {total} invitations resent, {verdict}"
            )
            joined(emulator)
            operate()
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
