"""The X-Ray SDK is imported only where something traces: in Lambda, tracing not disabled (a cold start's import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"
PROBE = f"""
import json, sys
sys.path.insert(0, {str(SRC)!r})
import reinviter.handler
from reinviter.telemetry import tracing
with tracing.span("probe", users=1):
    tracing.annotate(users=1)
print(json.dumps({{"xray": "aws_xray_sdk.core" in sys.modules, "traced": tracing._tracer is not None}}))
"""


def _import_the_handler(**env: str) -> dict[str, bool]:
    quiet = {k: v for k, v in os.environ.items() if k not in {"LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED"}}
    out = subprocess.run(  # noqa: S603 - our interpreter, a fixed probe
        [sys.executable, "-c", PROBE],
        env={**quiet, "AWS_DEFAULT_REGION": "us-east-1", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, bool] = json.loads(out.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "env",
    [
        {},  # outside Lambda
        {"LAMBDA_TASK_ROOT": str(SRC), "POWERTOOLS_TRACE_DISABLED": "true"},
        {"LAMBDA_TASK_ROOT": str(SRC), "AWS_SAM_LOCAL": "true"},
    ],
    ids=["outside-lambda", "disabled", "sam-local"],
)
def test_with_tracing_off_the_xray_sdk_is_never_imported(env: dict[str, str]) -> None:
    assert _import_the_handler(**env) == {"xray": False, "traced": False}


def test_in_lambda_with_tracing_on_the_tracer_is_built_at_import() -> None:
    env = {
        "LAMBDA_TASK_ROOT": str(SRC),
        "POWERTOOLS_TRACE_DISABLED": "false",
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    }

    assert _import_the_handler(**env) == {"xray": True, "traced": True}
