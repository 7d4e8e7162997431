"""Fixtures for the emulator's own tests: a served emulator, boto3 `wickr` clients aimed at it, raw signed requests."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from wickr_emulator import DEMO_SEED_PATH, WickrEmulator

TEST_KEY = "testing"
TEST_SECRET = "testing"  # the emulator's default credentials
# `max_attempts` counts retries after the first attempt (1 would still retry once); `total_max_attempts` counts all.
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def emulator() -> Iterator[WickrEmulator]:
    with WickrEmulator(page_size=100) as emu:
        yield emu


@pytest.fixture
def demo(emulator: WickrEmulator) -> WickrEmulator:
    """The emulator holding the bundled demo networks."""
    emulator.load_seed(DEMO_SEED_PATH)
    return emulator


@pytest.fixture
def make_client(emulator: WickrEmulator, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Build boto3 `wickr` clients routed to the emulator by AWS_ENDPOINT_URL_WICKR (as the project does)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", emulator.url)

    def build(key: str = TEST_KEY, secret: str = TEST_SECRET, config: Config | None = NO_RETRIES) -> Any:
        return boto3.client(
            "wickr", region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret, config=config
        )

    return build


@pytest.fixture
def wickr(make_client: Callable[..., Any]) -> Any:
    """A correctly signed client that makes no SDK retries."""
    return make_client()


@dataclass
class RawResponse:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@pytest.fixture
def raw(emulator: WickrEmulator) -> Callable[..., RawResponse]:
    """Send one hand-built request and return the raw reply.

    It is signed with botocore's SigV4 (unless `sign=False`) for `path` and `body`; `sent_path` and `sent_body`
    replace what is then actually sent, to tamper with a signed request.
    """

    def send(
        method: str,
        path: str,
        body: bytes = b"",
        *,
        sign: bool = True,
        service: str = "wickr",
        secret: str = TEST_SECRET,
        sent_body: bytes | None = None,
        sent_path: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> RawResponse:
        request = AWSRequest(method=method, url=emulator.url + path, data=body, headers=headers or {})
        if sign:
            SigV4Auth(Credentials(TEST_KEY, secret), service, "us-east-1").add_auth(request)
        connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
        try:
            payload = body if sent_body is None else sent_body
            connection.request(
                method, path if sent_path is None else sent_path, body=payload, headers=dict(request.headers.items())
            )
            response = connection.getresponse()
            return RawResponse(response.status, response.headers, response.read())
        finally:
            connection.close()

    return send
