"""Where the cold start's import goes, at Lambda's CPU share: `python -X importtime` on the artifact's tree.

Each run is a new `python -X importtime -I -S -B` in the share's cgroup, importing `reinviter.handler` from the tree
`scripts/build_artifact.py` builds (byte code included), in Lambda mode (the deployed environment). Its self times
are summed by top-level package (additive: they add up to the whole import), and a few packages' cumulative times
are read where they are first imported. Medians of the runs. Called by `bench.cpu_share` at the template's size.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.cpu_share import joiner

# Packages whose cumulative import time is worth a line of its own (first import, everything it pulls in).
NAMED = ("reinviter.handler", "boto3", "botocore.session", "aws_lambda_powertools", "aws_xray_sdk.core", "pydantic")


def parse(stderr: str) -> tuple[dict[str, int], dict[str, int]]:
    """`-X importtime` lines -> (self microseconds by top-level package, cumulative microseconds of NAMED)."""
    by_package: dict[str, int] = defaultdict(int)
    named: dict[str, int] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        module = name.strip()
        by_package[module.split(".")[0]] += int(own)
        if module in NAMED and module not in named:
            named[module] = int(cumulative)
    return dict(by_package), named


def import_costs(group: Path | None, tree: Path, env: dict[str, str], runs: int = 3) -> dict[str, Any]:
    """Median over `runs` imports of the handler from `tree`, each in `group` (None: unthrottled)."""
    code = f"import sys; sys.path[:0] = [{str(tree)!r}]; import reinviter.handler"
    parsed = []
    for _ in range(runs):
        out = subprocess.run(  # noqa: S603 - our interpreter, a fixed statement
            [sys.executable, "-X", "importtime", "-I", "-S", "-B", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            preexec_fn=joiner(group),
            timeout=600,
        )
        parsed.append(parse(out.stderr))
    packages = {name for by_package, _ in parsed for name in by_package}
    self_ms = {name: statistics.median(run[0].get(name, 0) for run in parsed) / 1000 for name in packages}
    top = sorted(self_ms.items(), key=lambda item: -item[1])[:12]
    return {
        "throttled": group is not None,
        "runs": runs,
        "total_ms": round(statistics.median(sum(run[0].values()) for run in parsed) / 1000),
        "self_ms_by_package": {name: round(ms) for name, ms in top},
        "cumulative_ms": {
            name: round(statistics.median(run[1].get(name, 0) for run in parsed) / 1000) for name in NAMED
        },
    }
