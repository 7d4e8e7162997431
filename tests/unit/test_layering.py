"""The core's pure modules import no AWS SDK: they can be read, tested and reasoned about without one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PURE = ("policy", "planning", "resolution", "outcomes", "batch", "models", "ports", "errors", "metric_names")


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_imports_no_aws_sdk(module: str) -> None:
    sdks = ("botocore", "boto3", "aws_lambda_powertools")
    probe = (
        f"import sys, json, reinviter.{module}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {sdks!r})))"
    )
    out = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(SRC)}
    )
    assert json.loads(out.stdout) == []
