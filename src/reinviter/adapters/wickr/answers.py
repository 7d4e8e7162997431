"""What a Wickr answer must hold before anything decides on it, and what of it may leave the gateway.

botocore validates requests, never responses: a 200 cut short parses into a near-empty dict. Each reader here checks an
answer for what its caller decides on (the model's required members, and more) and reduces it, or raises
IncompleteAnswerError, which the gateway treats as a failed attempt (retried, maybe sent), never as a verdict. Wickr's
own text (error messages, failure reasons) never leaves: failures become fixed codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from reinviter.adapters.aws import error_code
from reinviter.core.errors import (
    MalformedAnswer,
    PermanentWickrError,
    RetryableWickrError,
    WickrAccessError,
    WickrError,
)
from reinviter.core.model import ReinviteReceipt, UserState

if TYPE_CHECKING:
    from mypy_boto3_wickr import WickrAdminAPIClient as WickrClient
else:
    WickrClient = Any

Answer = Mapping[str, Any]
RATE_LIMITED = 429
RETRYABLE_STATUSES = frozenset({RATE_LIMITED, 500, 502, 503, 504})
ACCESS_STATUSES = frozenset({401, 403})
STATUS_PENDING = 1
STATUS_ACTIVE = 2
KNOWN_STATUSES = {STATUS_PENDING: UserState.PENDING, STATUS_ACTIVE: UserState.ACTIVE}
# Wickr's per-user failure reasons are free text (they may echo a username): only these codes leave this module.
FAILURE_CODES = {
    "not found": "not found",
    "suspend": "suspended",
    "accepted": "not pending",
    "not pending": "not pending",
    "active": "not pending",
}
SAFE_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")


@dataclass(frozen=True, slots=True)
class WickrUser:
    """What GetUser says of one user, names included: for an operator who asked to see them, never for logs."""

    user_id: str
    state: UserState
    status: int | None
    suspended: bool
    first_name: str = field(repr=False)
    last_name: str = field(repr=False)
    username: str = field(repr=False)  # the user's email address


class IncompleteAnswerError(ValueError):
    """An answer lacks what its caller decides on (the message says what, never what the body held)."""


def state_of(user: Answer) -> UserState:
    """GetUser's and ListUsers' users alike (already read): suspended first, then the status."""
    if user.get("suspended") is True:
        return UserState.SUSPENDED
    return KNOWN_STATUSES[user["status"]]


def _read_user_entry(entry: object, where: str) -> Answer:
    """A user as GetUser or ListUsers gives it: a userId, a known status, and a boolean `suspended` if any."""
    if not isinstance(entry, Mapping):
        raise IncompleteAnswerError(f"{where} is not an object")
    user_id, status, suspended = entry.get("userId"), entry.get("status"), entry.get("suspended")
    if not isinstance(user_id, str) or not user_id:
        raise IncompleteAnswerError(f"{where} has no userId")
    if type(status) is not int or status not in KNOWN_STATUSES:  # bool is an int: `type` keeps it out
        raise IncompleteAnswerError(f"{where} has no known status")
    if suspended is not None and not isinstance(suspended, bool):
        raise IncompleteAnswerError(f"{where} has a suspended flag that is not a boolean")
    return entry


def read_user(user_id: str, answer: Answer) -> Answer:
    """GetUser's answer must name the user asked for."""
    user = _read_user_entry(answer, "the user")
    if user["userId"] != user_id:
        raise IncompleteAnswerError("the answer names another user")
    return user


def read_page(answer: Answer) -> tuple[list[Answer], str | None]:
    """A ListUsers page: a `users` list of well-formed users, and the next page's token (None: the last page)."""
    users, token = answer.get("users"), answer.get("nextToken")
    if not isinstance(users, list):
        raise IncompleteAnswerError("the page has no users list")
    if token is not None and not isinstance(token, str):
        raise IncompleteAnswerError("the page's nextToken is not a string")
    return [_read_user_entry(user, f"users[{index}]") for index, user in enumerate(users)], token or None


def read_pending_count(answer: Answer) -> int:
    """GetUsersCount's counts (pending, active, total) as whole numbers of at least 0; the pending count."""
    for member in ("pending", "active", "total"):
        value = answer.get(member)
        if type(value) is not int or value < 0:
            raise IncompleteAnswerError(f"the counts have no {member}")
    return int(answer["pending"])


def read_receipt(user_ids: list[str], answer: Answer) -> ReinviteReceipt:
    """BatchReinviteUser's answer must account for every requested id, once, in `successful` or `failed`.

    A user it does not account for may have been invited: the whole answer is refused (so the call is replayed with
    its token, members and all), never read as "not sent".
    """
    sorted_out: dict[str, str | None] = {}  # user id -> None (successful) or its failure code
    for member in ("successful", "failed"):
        items = answer.get(member, [])
        if not isinstance(items, list):
            raise IncompleteAnswerError(f"{member} is not a list")
        for index, item in enumerate(items):
            user_id = item.get("userId") if isinstance(item, Mapping) else None
            if not isinstance(user_id, str) or user_id not in user_ids or user_id in sorted_out:
                raise IncompleteAnswerError(f"{member}[{index}] names no requested user, or one already listed")
            sorted_out[user_id] = None if member == "successful" else _failure_code(item)
    missing = len(set(user_ids) - set(sorted_out))
    if missing:
        raise IncompleteAnswerError(
            f"{missing} of {len(set(user_ids))} requested users are in neither successful nor failed"
        )
    return ReinviteReceipt(
        successful=frozenset(user_id for user_id, code in sorted_out.items() if code is None),
        failed={user_id: code for user_id, code in sorted_out.items() if code is not None},
    )


def _failure_code(item: Answer) -> str:
    """A per-user failure as a fixed code: Wickr's `reason` is free text and may echo the username."""
    reason = str(item.get("reason") or "").casefold()
    for needle, code in FAILURE_CODES.items():
        if needle in reason:
            return code
    field = item.get("field")
    return f"failed ({field})" if isinstance(field, str) and SAFE_FIELD.fullmatch(field) else "failed"


def translate(operation: str, raw: ClientError | BotoCoreError | IncompleteAnswerError) -> WickrError:
    """A failed attempt as our error: retryable (429, 5xx, broken connection, malformed answer), access, permanent."""
    if isinstance(raw, IncompleteAnswerError):
        return MalformedAnswer(f"{operation}: malformed answer ({raw})", code="MalformedAnswer")
    if isinstance(raw, ClientError):
        status = int(raw.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        code = error_code(raw) or "Unknown"
        message = f"{operation} answered {status} {code}"  # Wickr's own text never leaves `_scrub_error`
        if status in RETRYABLE_STATUSES:
            return RetryableWickrError(message, code=code, status=status)
        if status in ACCESS_STATUSES:
            return WickrAccessError(message, code=code, status=status)
        return PermanentWickrError(message, code=code, status=status)
    if isinstance(raw, (ConnectionError, HTTPClientError)):
        return RetryableWickrError(f"{operation}: {type(raw).__name__}", code=type(raw).__name__)
    # Any other botocore failure (a parameter botocore itself rejects, a missing region): the request cannot work.
    return PermanentWickrError(f"{operation}: {raw}", code=type(raw).__name__)


def _scrub_error(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
    """Botocore's `after-call` hook: an error answer keeps its code and loses Wickr's text, before anything sees it.

    Wickr's messages and ValidationError's `reasons` may echo what was asked (a username in a ListUsers filter). The
    hook runs before botocore builds the ClientError, so no exception, log line or trace (the X-Ray SDK records the
    exception of every patched botocore call) ever holds that text.
    """
    if getattr(http_response, "status_code", 200) < 300:  # noqa: PLR2004 - HTTP's success range
        return
    code = str(parsed.get("Error", {}).get("Code") or "Unknown")
    for member in [key for key in parsed if key not in ("Error", "ResponseMetadata")]:
        del parsed[member]
    parsed["Error"] = {"Code": code, "Message": code}


def scrub_errors(client: WickrClient) -> WickrClient:
    """Install `_scrub_error` on a Wickr client: its errors keep their codes, never Wickr's text."""
    client.meta.events.register("after-call.wickr", _scrub_error)
    return client
