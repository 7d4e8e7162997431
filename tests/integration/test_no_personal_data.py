"""No text that Wickr or a caller wrote reaches traces or logs, with tracing on and every logger at DEBUG.

The emulator echoes usernames in every error message, ValidationError reason and per-user failure reason (as a
careless service might); the handler runs in a subprocess that looks like Lambda to Powertools and the X-Ray SDK, whose
emitter keeps what it would have sent (tests/trace_capture.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import DEMO_NETWORK, QUEUE_ARN, sqs_event, sqs_record
from wickr_emulator import WickrEmulator

ROOT = Path(__file__).resolve().parents[2]
USERNAMES = ("ada.quill@example.com", "bruno.vale@example.com", "cora.lindqvist@example.com")


def _traced_run(emulator: WickrEmulator, event: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_TRACE", "AWS_ENDPOINT_URL", "REINVITE_"))
    }
    env |= {
        "AWS_LAMBDA_FUNCTION_NAME": "wickr-reinviter",
        "LAMBDA_TASK_ROOT": str(ROOT / "src"),
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_ENDPOINT_URL_WICKR": emulator.url,
        "REINVITE_QUEUE_ARN": QUEUE_ARN,  # the records' queue: the function's own
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
    }
    out = subprocess.run(  # noqa: S603 - our own script with this interpreter
        [sys.executable, str(ROOT / "tests" / "trace_capture.py"), str(event_file)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["stderr"] = out.stderr
    return result


def test_wickr_text_reaches_neither_traces_nor_logs(emulator: WickrEmulator, tmp_path: Path) -> None:
    emulator.faults.echo_usernames = True
    emulator.faults.fail_next(500, operation="ListUsers")  # retried: its message names the username asked for
    emulator.faults.fail_next(403, operation="GetUser")  # the network's circuit opens: its message names the user
    emulator.faults.fail_user(DEMO_NETWORK, "1002", reason="Injected failure")  # the failed item's reason echoes
    event = sqs_event(
        sqs_record({"networkId": DEMO_NETWORK, "usernames": [USERNAMES[0].upper()]}, message_id="by-name"),
        sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1003"]}, message_id="forbidden"),
        sqs_record({"networkId": DEMO_NETWORK, "usernames": [USERNAMES[1]]}, message_id="failing"),
    )

    run = _traced_run(emulator, event, tmp_path)

    trace = "\n".join(run["entities"])
    assert '"wickr.ListUsers"' in trace  # tracing was on, and our spans were sent
    assert "ForbiddenError" in trace  # an error is recorded by its code
    assert run["response"]["batchItemFailures"]  # the 403 and the failed user fail their messages
    everything = json.dumps(run).lower()
    for username in USERNAMES:
        assert username not in everything
    # The emulator did echo them: the function, not the emulator, kept them out.
    assert any(entry.status >= 400 for entry in emulator.journal)


def test_each_wickr_call_is_one_subsegment_of_ours(emulator: WickrEmulator, tmp_path: Path) -> None:
    """No botocore patch: a second subsegment per call doubled the X-Ray SDK's CPU (bench/README.md, CPU share)."""
    event = sqs_event(sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001", "1002", "1003"]}, message_id="m"))

    run = _traced_run(emulator, event, tmp_path)

    subsegments = [
        sub
        for entity in map(json.loads, run["entities"])
        for sub in [entity, *entity.get("subsegments", [])]
        if entity.get("type") == "subsegment" or sub is not entity
    ]
    names = [sub["name"] for sub in subsegments]
    assert names.count("wickr.GetUser") == emulator.calls("GetUser") == 3
    assert names.count("wickr.BatchReinviteUser") == emulator.calls("BatchReinviteUser") == 1
    assert not [sub for sub in subsegments if sub.get("namespace") == "aws"]  # the botocore patch's kind
