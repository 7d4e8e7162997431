"""Run the handler once with tracing ON, as in Lambda, and print what X-Ray and every logger would have received.

Run in a subprocess by tests/integration/test_no_personal_data.py: Powertools decides at import whether tracing is
on (it is only inside Lambda), so the environment must say "Lambda" before anything is imported. The X-Ray SDK's
emitter is replaced by one that keeps each entity it would have sent to the daemon; the root logger is at DEBUG.
Usage: python tests/trace_capture.py EVENT.json  (prints {"entities": [...], "logs": "...", "response": {...}}).
"""

from __future__ import annotations

import io
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any


class CapturingEmitter:
    """The X-Ray SDK's emitter interface, keeping the serialized entities instead of sending UDP datagrams."""

    def __init__(self) -> None:
        self.entities: list[str] = []

    def send_entity(self, entity: Any) -> None:
        self.entities.append(entity.serialize())

    def set_daemon_address(self, address: str | None) -> None:
        return

    @property
    def ip(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return 2000


class Context:
    function_name = "wickr-reinviter"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:wickr-reinviter"
    aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def main(event_path: str) -> None:
    from aws_xray_sdk.core import xray_recorder

    emitter = CapturingEmitter()
    xray_recorder.configure(emitter=emitter, streaming_threshold=1)
    captured = io.StringIO()
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.addHandler(logging.StreamHandler(captured))

    from reinviter.handler import lambda_handler
    from reinviter.telemetry.logger import logger

    logger.setLevel(logging.DEBUG)
    logger.logger_handler.setStream(captured)  # type: ignore[attr-defined]
    response = lambda_handler(json.loads(Path(event_path).read_text()), Context())  # type: ignore[arg-type]
    print(json.dumps({"entities": emitter.entities, "logs": captured.getvalue(), "response": response}))


if __name__ == "__main__":
    main(sys.argv[1])
