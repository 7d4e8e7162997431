"""The username cache's HMAC key: a Secrets Manager secret of the deployment, read again every few minutes.

The key carries its version (the secret's VersionId, shortened), which the cache puts in every entry's key: after an
operator replaces the secret's value, warm containers pick the new key up within MAX_AGE_S, and the entries hashed
with the old key simply miss (and expire with their TTL), whichever container wrote them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.adapters.aws import describe
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerDeadline, LedgerUnavailable
from reinviter.core.model import HashKey
from reinviter.telemetry import tracing

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
else:
    SecretsManagerClient = Any

# One bounded attempt: a failure costs this invocation its cache (every username is looked up), nothing else.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
CALL_BUDGET_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S  # the one attempt's worst case: it starts only if this fits
SECRET_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
    retries={"mode": "standard", "total_max_attempts": 1},
)
MIN_KEY_LENGTH = 32  # the template generates 64 characters; a short key would make the hashes guessable
MAX_AGE_S = 300.0  # how long a container trusts the key it read before reading the secret again
VERSION_LENGTH = 8  # of the VersionId (a UUID): enough to tell a replaced value apart
# After a failed read, the secret is not asked again for this long: a Secrets Manager that does not answer must not
# cost every message of a sweep (or every batch) its full timeout.
FAILURE_PAUSE_S = 30.0


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
            with tracing.span("secretsmanager.GetSecretValue"):
                answer = self._client().get_secret_value(SecretId=self._secret_id)
            value, version = answer.get("SecretString", ""), answer.get("VersionId", "")
        except (ClientError, BotoCoreError) as error:
            raise LedgerUnavailable(f"username hash key: {describe(error)}") from error
        if len(value) < MIN_KEY_LENGTH:
            raise LedgerUnavailable(f"username hash key: shorter than {MIN_KEY_LENGTH} characters")
        if not version:
            raise LedgerUnavailable("username hash key: the answer names no version")
        return HashKey(value.encode(), version.replace("-", "")[:VERSION_LENGTH])
