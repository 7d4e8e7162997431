"""The one place that reads an AWS error answer's code (every adapter and the operators' tools use it)."""

from __future__ import annotations

from botocore.exceptions import ClientError


def error_code(error: ClientError) -> str:
    """The error code of an AWS answer ('' when it has none)."""
    return str(error.response.get("Error", {}).get("Code") or "")
