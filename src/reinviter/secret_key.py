"""The username cache's HMAC key: a Secrets Manager secret of the deployment, read once per container."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reinviter.deadline import Deadline
from reinviter.ledger import CALL_BUDGET_S, LedgerDeadline, LedgerUnavailable

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
else:
    SecretsManagerClient = Any

# One bounded attempt: a failure costs this invocation its cache (every username is looked up), nothing else.
SECRET_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 1})
MIN_KEY_LENGTH = 32  # the template generates 64 characters; a short key would make the hashes guessable


class SecretKey:
    """Callable giving the key's bytes; the first call reads the secret, later calls reuse it.

    The client is built on that first call too: a container that never sees a username pays nothing at cold start.
    """

    def __init__(self, client: Callable[[], SecretsManagerClient], secret_id: str) -> None:
        self._client = client
        self._secret_id = secret_id
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self, deadline: Deadline) -> bytes:
        """The key.

        Raises:
            LedgerUnavailable: The secret could not be read (LedgerDeadline: no time left), or it is too short.
        """
        with self._lock:  # one read, even when two threads need the key at once
            if self._key is None:
                self._key = self._read(deadline)
            return self._key

    def _read(self, deadline: Deadline) -> bytes:
        if not deadline.allows(CALL_BUDGET_S):
            raise LedgerDeadline("username hash key: no time left to read it")
        try:
            value = self._client().get_secret_value(SecretId=self._secret_id).get("SecretString", "")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise LedgerUnavailable(f"username hash key: {code}") from error
        except BotoCoreError as error:
            raise LedgerUnavailable(f"username hash key: {type(error).__name__}") from error
        if len(value) < MIN_KEY_LENGTH:
            raise LedgerUnavailable(f"username hash key: shorter than {MIN_KEY_LENGTH} characters")
        return value.encode()
