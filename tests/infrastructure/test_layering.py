"""The folders are the architecture: core/ is pure all the way down, and neither it nor orchestration/ reaches out.

Each module is imported alone in a fresh interpreter and `sys.modules` read afterwards, so an import three files
away that pulls in an SDK fails here, not only a direct one.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "reinviter"
ROOT = SRC.parent
# What the pure rooms must never load: the AWS SDK, Powertools, the X-Ray SDK, pydantic.
FOREIGN = ("boto3", "botocore", "aws_lambda_powertools", "aws_xray_sdk", "pydantic", "pydantic_core")
# What core/ and orchestration/ must never load of ours: they see the outside world through core/ports.py only.
OUTSIDE = ("reinviter.adapters", "reinviter.entry", "reinviter.telemetry", "reinviter.wiring", "reinviter.handler")


def _modules(room: str) -> list[str]:
    base = PACKAGE / room
    return sorted(
        ".".join(("reinviter", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        for path in base.rglob("*.py")
    )


CORE, ORCHESTRATION = _modules("core"), _modules("orchestration")


def _loaded_by(module: str) -> list[str]:
    probe = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(SRC)}
    )
    return list(json.loads(out.stdout))


def test_the_rooms_are_found() -> None:
    assert "reinviter.core.policy" in CORE
    assert "reinviter.core.batch.run" in CORE
    assert "reinviter.orchestration.sweeper" in ORCHESTRATION


@pytest.mark.parametrize("module", CORE + ORCHESTRATION)
def test_a_pure_room_loads_no_sdk_and_nothing_outside_it(module: str) -> None:
    loaded = _loaded_by(module)
    assert [name for name in loaded if name.split(".")[0] in FOREIGN] == []
    assert [name for name in loaded if name.startswith(OUTSIDE)] == []
    if module in CORE:
        assert [name for name in loaded if name.startswith("reinviter.orchestration")] == []


def test_the_probe_sees_an_sdk_where_there_is_one() -> None:
    """The rule above would pass vacuously if the probe could not see an SDK: an adapter loads botocore."""
    loaded = _loaded_by("reinviter.adapters.dynamodb.requests")
    assert "botocore" in loaded


MAX_MODULE_LINES, MAX_CLASS_LINES, MAX_FUNCTION_LINES = 400, 200, 45  # rooms small enough to find things in


@pytest.mark.parametrize("tree", ["src/reinviter", "wickr_emulator", "reinviter_cli", "devkit"])
def test_no_room_is_too_big_to_find_things_in(tree: str) -> None:
    too_big = []
    for path in sorted((ROOT / tree).rglob("*.py")):
        text = path.read_text()
        name = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_big.append(f"{name}: {len(text.splitlines())} lines")
        if tree != "src/reinviter":
            continue  # the function sizes are the core's rule; the tools keep the module size
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if size > limit:
                too_big.append(f"{name}: {node.name} has {size} lines")
    assert too_big == []
