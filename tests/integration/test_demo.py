"""`make demo`, the README's first command, end to end: it must keep telling the truth as the function changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_and_reinvites_each_pending_user_once(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "REINVITE_", "POWERTOOLS_"))}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.demo"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env | {"HOME": str(tmp_path)},
        timeout=600,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    (summary,) = [line for line in result.stdout.splitlines() if line.startswith("Summary: ")]
    assert "9 invitations resent, each pending user exactly once" in summary
    assert "is not the function's queue" not in output  # the demo's records come from the demo's queue
    # It ends with a join the sweep found, and its log lines are shown parsed, never leaked raw.
    assert 'INFO    user joined  {"network_id": "12345678", "user_id": "1004", "reinvites": 1' in result.stdout
    assert "UsersJoined 1, ReinvitesBeforeJoin 1, 1 GetUser" in result.stdout
    # Every invitation told on the bus, and the join reaches the onboarding system's rule.
    assert "User Reinvited 9, User Skipped 4;" in result.stdout
    assert 'rule got: User Joined {"eventId": ' in result.stdout
    assert '"reinvites": 1, "userId": "1004"}' in result.stdout
    assert "conversion 16.7%" in " ".join(result.stdout.split())  # `reinviter report`: 1 of the 6 reinvited joined
    assert not [line for line in result.stdout.splitlines() if line.startswith('{"level"')]
