"""The core's pure modules import no AWS SDK: they can be read, tested and reasoned about without one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PURE = (
    "policy",
    "planning",
    "resolution",
    "outcomes",
    "batch",
    "models",
    "ports",
    "errors",
    "metric_names",
    "circuit",
    "takeover",
    "rechecks",
    "retry",
    "clock",
)


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


MAX_MODULE_LINES, MAX_CLASS_LINES, MAX_FUNCTION_LINES = 400, 200, 45  # rooms small enough to find things in


def test_no_room_is_too_big_to_find_things_in() -> None:
    import ast

    too_big = []
    for path in sorted((SRC / "reinviter").glob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_big.append(f"{path.name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if size > limit:
                too_big.append(f"{path.name}: {node.name} has {size} lines")
    assert too_big == []
