"""The username cache's key: re-read after its maximum age, versioned, and bound to the network in every digest."""

from __future__ import annotations

from typing import Any

import pytest

from reinviter.adapters.secrets import FAILURE_PAUSE_S, MAX_AGE_S, SecretKey
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable
from reinviter.core.model import HashKey
from reinviter.core.usernames import name_key

NEVER = Deadline.never()


class FakeSecrets:
    """GetSecretValue over a list of (value, version) answers; an exception in the list is raised."""

    def __init__(self, *answers: tuple[str, str] | Exception) -> None:
        self.answers = list(answers)
        self.reads = 0

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.reads += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        value, version = answer
        return {"SecretString": value, "VersionId": version}


def test_the_key_is_read_once_then_again_after_its_maximum_age() -> None:
    now = [0.0]
    secrets = FakeSecrets(("a" * 64, "11111111-aaaa"), ("b" * 64, "22222222-bbbb"))
    key = SecretKey(lambda: secrets, "hash-key", clock=lambda: now[0])  # type: ignore[arg-type, return-value]

    first = key(NEVER)
    now[0] += MAX_AGE_S - 1
    assert key(NEVER) is first
    now[0] += 1
    second = key(NEVER)

    assert (first.version, second.version, secrets.reads) == ("11111111", "22222222", 2)
    assert "a" * 64 not in repr(first)


def test_a_failed_refresh_is_no_key_until_a_read_succeeds() -> None:
    from botocore.exceptions import EndpointConnectionError

    now = [0.0]
    secrets = FakeSecrets(("a" * 64, "1111"), EndpointConnectionError(endpoint_url="x"), ("b" * 64, "2222"))
    key = SecretKey(lambda: secrets, "hash-key", clock=lambda: now[0])  # type: ignore[arg-type, return-value]
    key(NEVER)
    now[0] += MAX_AGE_S

    with pytest.raises(LedgerUnavailable, match="EndpointConnectionError"):
        key(NEVER)
    with pytest.raises(LedgerUnavailable, match="EndpointConnectionError"):
        key(NEVER)  # not asked again during the pause: a hung Secrets Manager costs one timeout, not one per use
    assert secrets.reads == 2
    now[0] += FAILURE_PAUSE_S
    assert key(NEVER).version == "2222"


def test_one_username_in_two_networks_gives_unrelated_digests_under_a_versioned_key() -> None:
    from reinviter.adapters.dynamodb.name_cache import DynamoNameCache

    cache = DynamoNameCache(
        None,  # type: ignore[arg-type]  # no request is made
        "t",
        lambda _deadline: HashKey(b"k" * 64, "v1"),
        86400.0,
    )

    first = cache._pk(name_key("12345678", "ana@example.org"), NEVER)
    second = cache._pk(name_key("87654321", "ANA@example.org"), NEVER)

    assert first.startswith("name#12345678#v1#")
    assert second.startswith("name#87654321#v1#")
    assert first.rsplit("#", 1)[1] != second.rsplit("#", 1)[1]
