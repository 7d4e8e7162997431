"""AWS answers and clients: the one reader of an error's code, the one place that reaches into a botocore client.

Every adapter and the operators' tools read error codes here; `user_agent_once` is a client's one tweak.
"""

from __future__ import annotations

from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

C = TypeVar("C")


def error_code(error: ClientError) -> str:
    """The error code of an AWS answer ('' when it has none)."""
    return str(error.response.get("Error", {}).get("Code") or "")


def describe(error: ClientError | BotoCoreError) -> str:
    """What failed, fit for a log line: the answer's code, or the kind of failure when there was no answer."""
    if isinstance(error, ClientError):
        return error_code(error) or "ClientError"
    return type(error).__name__


class _FixedUserAgent:
    """A client's User-Agent, built once: botocore builds it twice for every request (at 65 us each here)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def to_string(self) -> str:
        """The string botocore sends."""
        return self._text


def user_agent_once(client: C) -> C:
    """The client, its User-Agent header built once rather than twice a request (the Wickr client's 500 a batch).

    What is lost: the feature ids botocore adds per request (its telemetry, not ours). botocore is pinned with the
    function, and a client whose internals differ is left as it is.
    """
    inner: Any = client
    creator = getattr(inner, "_user_agent_creator", None)
    handler = getattr(creator, "rebuild_and_replace_user_agent_handler", None)
    if creator is None or handler is None:
        return client
    service_id = inner.meta.service_model.service_id.hyphenize()
    inner.meta.events.unregister(f"request-created.{service_id}", handler)
    inner._user_agent_creator = _FixedUserAgent(creator.to_string())
    return client
