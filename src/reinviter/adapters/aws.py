"""The one place that reads an AWS error answer's code (every adapter and the operators' tools use it)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError


def error_code(error: ClientError) -> str:
    """The error code of an AWS answer ('' when it has none)."""
    return str(error.response.get("Error", {}).get("Code") or "")


def describe(error: ClientError | BotoCoreError) -> str:
    """What failed, fit for a log line: the answer's code, or the kind of failure when there was no answer."""
    if isinstance(error, ClientError):
        return error_code(error) or "ClientError"
    return type(error).__name__
