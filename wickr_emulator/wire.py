"""The Wickr Admin API's wire parts, independent of any operation: a routed call, an answer, modelled errors, checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from wickr_emulator import model

# The model documents (but does not constrain) "Maximum 50 users per batch request" for both batch operations.
MAX_BATCH = 50


@dataclass(frozen=True)
class Answer:
    """What to answer a call with, and what to journal about it."""

    status: int
    body: Mapping[str, Any]
    error: str | None = None
    user_ids: tuple[str, ...] = ()
    replayed: bool = False


@dataclass(frozen=True)
class Call:
    """A routed, authenticated call."""

    operation: str
    labels: Mapping[str, str]
    query: Mapping[str, list[str]]
    client_token: str | None
    body: bytes

    @property
    def network_id(self) -> str | None:
        """The networkId label, decoded, if the operation has one."""
        raw = self.labels.get("networkId")
        return None if raw is None else unquote(raw)


class ApiError(Exception):
    """Ends a call with a modelled error."""

    def __init__(self, status: int, message: str, reasons: list[dict[str, str]] | None = None) -> None:
        """Describe the error.

        Args:
            status: The HTTP status; its modelled error name goes in `x-amzn-ErrorType`.
            message: The `message` member.
            reasons: ValidationError's `reasons` member: `[{"field": ..., "reason": ...}]`.
        """
        super().__init__(message)
        self.status = status
        self.message = message
        self.reasons = reasons

    def answer(self) -> Answer:
        """Turn the error into an answer.

        Returns:
            The answer.
        """
        return error_answer(self.status, self.message, self.reasons)


def error_name(status: int) -> str | None:
    """The modelled error name for an HTTP status (422 -> "ValidationError").

    Args:
        status: The HTTP status.

    Returns:
        The name, or None for a status the model has no error for.
    """
    return model.error_names().get(status)


def error_answer(status: int, message: str, reasons: list[dict[str, str]] | None = None) -> Answer:
    """Build an error answer with the model's error members.

    Args:
        status: The HTTP status.
        message: The `message` member.
        reasons: ValidationError's `reasons`.

    Returns:
        The answer.
    """
    body: dict[str, Any] = {"message": message}
    if reasons is not None:
        body["reasons"] = reasons
    return Answer(status, body, error_name(status) or str(status))


def invalid(field: str, reason: str) -> ApiError:
    """A 400 naming the field and what is wrong with it."""
    return ApiError(422, f"Invalid value for {field}", [{"field": field, "reason": reason}])


def check(operation: str, member: str, value: str) -> str:
    """The member's value, if the model's constraints accept it (else a 400)."""
    problem = model.input_constraint(operation, member).violation(value)
    if problem is not None:
        raise invalid(member, problem)
    return value


def query_value(call: Call, name: str) -> str | None:
    """The query parameter's one value, if given."""
    values = call.query.get(name)
    return values[-1] if values else None


def query_int(call: Call, name: str) -> int | None:
    """The query parameter as an integer, if given (else a 400)."""
    raw = query_value(call, name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, "must be an integer") from None


def json_body(call: Call) -> Mapping[str, Any]:
    """The call's JSON object body (else a 400)."""
    try:
        data = json.loads(call.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON") from None
    if not isinstance(data, Mapping):
        raise ApiError(400, "The request body must be a JSON object")
    return data


def batch_members(data: Mapping[str, Any], member: str) -> list[Any]:
    """A batch member: a list of 1 to MAX_BATCH items (else a 400)."""
    items = data.get(member)
    if items is None:
        raise invalid(member, "is required")
    if not isinstance(items, list):
        raise invalid(member, "must be a list")
    if not 1 <= len(items) <= MAX_BATCH:
        raise invalid(member, f"must contain between 1 and {MAX_BATCH} items, got {len(items)}")
    return items
