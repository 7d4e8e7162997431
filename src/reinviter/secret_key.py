"""The username cache's HMAC key: a Secrets Manager secret of the deployment, read again every few minutes.

The key carries its version (the secret's VersionId, shortened), which the cache puts in every entry's key: after an
operator replaces the secret's value, warm containers pick the new key up within MAX_AGE_S, and the entries hashed
with the old key simply miss (and expire with their TTL), whichever container wrote them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.aws_errors import error_code
from reinviter.deadline import Deadline
from reinviter.dynamo import CALL_BUDGET_S
from reinviter.errors import LedgerDeadline, LedgerUnavailable

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
else:
    SecretsManagerClient = Any

# One bounded attempt: a failure costs this invocation its cache (every username is looked up), nothing else.
SECRET_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 1})
MIN_KEY_LENGTH = 32  # the template generates 64 characters; a short key would make the hashes guessable
MAX_AGE_S = 300.0  # how long a container trusts the key it read before reading the secret again
VERSION_LENGTH = 8  # of the VersionId (a UUID): enough to tell a replaced value apart
# After a failed read, the secret is not asked again for this long: a Secrets Manager that does not answer must not
# cost every message of a sweep (or every batch) its full timeout.
FAILURE_PAUSE_S = 30.0


@dataclass(frozen=True, slots=True)
class HashKey:
    """The key's bytes (out of `repr`) and the version that names it in the cache's keys."""

    secret: bytes = field(repr=False)
    version: str


class SecretKey:
    """Callable giving the current key; it reads the secret on first use and again once MAX_AGE_S have passed.

    The client is built on that first call too: a container that never sees a username pays nothing at cold start.
    """

    def __init__(
        self,
        client: Callable[[], SecretsManagerClient],
        secret_id: str,
        *,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._secret_id = secret_id
        self._max_age_s = max_age_s
        self._clock = clock
        self._key: HashKey | None = None
        self._read_at = 0.0
        self._failed: tuple[float, LedgerUnavailable] | None = None
        self._lock = threading.Lock()

    def __call__(self, deadline: Deadline) -> HashKey:
        """The key.

        Raises:
            LedgerUnavailable: The secret could not be read (LedgerDeadline: no time left), or it is too short.
        """
        with self._lock:  # one read, even when two threads need the key at once
            now = self._clock()
            if self._key is not None and now - self._read_at < self._max_age_s:
                return self._key
            self._key = None  # a failed refresh is no key: every username is looked up meanwhile
            if self._failed is not None and now - self._failed[0] < FAILURE_PAUSE_S:
                raise self._failed[1]
            try:
                self._key = self._read(deadline)
            except LedgerDeadline:
                raise  # no time left is this invocation's problem, not the secret's
            except LedgerUnavailable as error:
                self._failed = (now, error)
                raise
            self._failed = None
            self._read_at = now
            return self._key

    def _read(self, deadline: Deadline) -> HashKey:
        if not deadline.allows(CALL_BUDGET_S):
            raise LedgerDeadline("username hash key: no time left to read it")
        try:
            answer = self._client().get_secret_value(SecretId=self._secret_id)
            value, version = answer.get("SecretString", ""), answer.get("VersionId", "")
        except ClientError as error:
            code = error_code(error) or "ClientError"
            raise LedgerUnavailable(f"username hash key: {code}") from error
        except BotoCoreError as error:
            raise LedgerUnavailable(f"username hash key: {type(error).__name__}") from error
        if len(value) < MIN_KEY_LENGTH:
            raise LedgerUnavailable(f"username hash key: shorter than {MIN_KEY_LENGTH} characters")
        if not version:
            raise LedgerUnavailable("username hash key: the answer names no version")
        return HashKey(value.encode(), version.replace("-", "")[:VERSION_LENGTH])
