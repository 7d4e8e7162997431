"""`python -m wickr_emulator` starts, prints its URL first, serves, and stops cleanly on SIGTERM."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603  # our own interpreter and module
        [sys.executable, "-m", "wickr_emulator", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=10)
    finally:
        process.stdout.close()
        process.stderr.close()


def test_cli_serves_a_seed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    seed = tmp_path / "seed.json"
    user = {"userId": "31", "status": 1, "firstName": "Cli", "username": "cli@example.com", "isInviteExpired": True}
    seed.write_text(json.dumps({"networks": {"11223344": {"users": [user]}}}), encoding="utf-8")
    process = _run("--seed", str(seed))
    try:
        url = process.stdout.readline().strip()  # blocks until the server is listening
        assert url.startswith("http://127.0.0.1:")
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", url)
        client = boto3.client(
            "wickr", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        assert client.get_user(networkId="11223344", userId="31")["firstName"] == "Cli"
        assert client.list_users(networkId="11223344", status=1)["users"][0]["isInviteExpired"] is True
    finally:
        assert _stop(process) == 0


def test_cli_defaults_to_the_demo_seed_and_honours_options(monkeypatch: pytest.MonkeyPatch):
    process = _run("--accept-any-key", "--rate-limit-share", "1.0")
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", process.stdout.readline().strip())
        client = boto3.client(
            "wickr", region_name="us-east-1", aws_access_key_id="AKIADEMO", aws_secret_access_key="any"
        )
        with pytest.raises(client.exceptions.RateLimitError):  # standard mode does not retry 429
            client.get_user(networkId="12345678", userId="1001")
    finally:
        assert _stop(process) == 0
