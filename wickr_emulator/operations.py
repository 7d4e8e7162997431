"""The emulated Wickr Admin API operations, independent of HTTP: a parsed request in, an Answer out."""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from wickr_emulator import model
from wickr_emulator.faults import Faults
from wickr_emulator.state import PENDING, Network, User, UserFilter
from wickr_emulator.wire import (
    Answer,
    ApiError,
    Call,
    batch_members,
    check,
    error_answer,
    invalid,
    json_body,
    query_int,
    query_value,
)

_IDEMPOTENT = frozenset({"BatchReinviteUser", "BatchCreateUser"})
_SORT_DIRECTIONS = frozenset({"ASC", "DESC"})

LIST_USERS_DEFAULT = 10  # the model: maxResults defaults to 10 ...
LIST_USERS_MAX = 100  # ... and is at most 100
SEATS = 1_000_000  # GetUsersCount's `remaining`: the emulator models no license limit


def _token(network_id: str, position: int, fingerprint: str) -> str:
    raw = f"{network_id}:{position}:{fingerprint}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _fingerprint(user_filter: UserFilter) -> str:
    return hashlib.sha256(repr(user_filter).encode()).hexdigest()[:12]


def _token_position(token: str, network: Network, fingerprint: str) -> int:
    # The token names a position in the network's insertion order, so each page resumes where the last one
    # stopped: listing n users costs O(n) in all, not O(n^2).
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        network_id, position, token_fingerprint = raw.split(":")
        start = int(position)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("nextToken", "is not a token this API issued") from None
    if network_id != network.network_id or token_fingerprint != fingerprint or not 0 <= start <= len(network.ordered):
        raise invalid("nextToken", "does not belong to this listing (network or filters changed)")
    return start


def list_user_item(user: User) -> dict[str, Any]:
    """Render a user as the model's `User` shape (ListUsers, BatchCreateUser).

    Args:
        user: The user.

    Returns:
        The JSON object.
    """
    return {
        "userId": user.user_id,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "username": user.username,
        "securityGroups": list(user.security_group_ids),
        "isAdmin": user.is_admin,
        "suspended": user.suspended,
        "status": user.status,
        "otpEnabled": False,
        "type": "user",
        "isInviteExpired": user.is_invite_expired,
        "isUser": True,
    }


def get_user_output(user: User) -> dict[str, Any]:
    """Render a user as GetUser's output (which names security groups `securityGroupIds`).

    Args:
        user: The user.

    Returns:
        The JSON object.
    """
    return {
        "userId": user.user_id,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "username": user.username,
        "isAdmin": user.is_admin,
        "suspended": user.suspended,
        "status": user.status,
        "lastActivity": user.last_activity,
        "lastLogin": user.last_login,
        "securityGroupIds": list(user.security_group_ids),
    }


def _failed(user_id: str, field: str, reason: str) -> dict[str, str]:
    return {"userId": user_id, "field": field, "reason": reason}


class Service:
    """The emulated networks behind one lock, and the operations over them."""

    def __init__(self, faults: Faults, page_size: int = LIST_USERS_MAX) -> None:
        """Start with no networks.

        Args:
            faults: Consulted for per-user failures of BatchReinviteUser.
            page_size: ListUsers' largest page (the model's is 100; a smaller one makes tests page sooner).
        """
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.lock = threading.Lock()
        self.networks: dict[str, Network] = {}
        self.page_size = page_size
        self._faults = faults
        self._answers: dict[tuple[str, str, str], Answer] = {}
        self._handlers: dict[str, Callable[[Call, Network], Answer]] = {
            "GetUser": self._get_user,
            "ListUsers": self._list_users,
            "BatchReinviteUser": self._batch_reinvite_user,
            "BatchCreateUser": self._batch_create_user,
            "GetUsersCount": self._get_users_count,
            "UpdateUser": self._update_user,
        }

    def call(self, call: Call) -> Answer:
        """Serve one call.

        Args:
            call: The routed, authenticated call.

        Returns:
            The answer, success or modelled error.
        """
        handler = self._handlers.get(call.operation)
        if handler is None:
            return error_answer(400, f"The Wickr emulator does not implement {call.operation}")
        try:
            return self._serve(call, handler)
        except ApiError as error:
            return error.answer()

    def _serve(self, call: Call, handler: Callable[[Call, Network], Answer]) -> Answer:
        network_id = check(call.operation, "networkId", call.network_id or "")
        token = call.client_token
        if token is not None:
            check(call.operation, "clientToken", token)
        idempotent = call.operation in _IDEMPOTENT and token is not None
        with self.lock:
            network = self.networks.get(network_id)
            if network is None:
                raise ApiError(404, f"Network {network_id} not found")
            # The same token again returns the first answer and does nothing: the SDK keeps a token across its
            # own retries, and callers pass a deterministic one to make redeliveries safe.
            key = (call.operation, network_id, token or "")
            if idempotent and key in self._answers:
                return replace(self._answers[key], replayed=True)
            answer = handler(call, network)
            if idempotent and answer.status == 200:
                self._answers[key] = answer
            return answer

    def _get_user(self, call: Call, network: Network) -> Answer:
        user_id = check(call.operation, "userId", unquote(call.labels["userId"]))
        user = network.by_id.get(user_id)
        if user is None:
            raise ApiError(404, f"User {user_id} not found in network {network.network_id}")
        return Answer(200, get_user_output(user), user_ids=(user_id,))

    def _list_users(self, call: Call, network: Network) -> Answer:
        max_results = query_int(call, "maxResults")
        if max_results is not None and not 1 <= max_results <= LIST_USERS_MAX:
            raise invalid("maxResults", f"must be between 1 and {LIST_USERS_MAX}")
        direction = query_value(call, "sortDirection")
        if direction is not None and direction not in _SORT_DIRECTIONS:
            raise invalid("sortDirection", "must be ASC or DESC")
        user_filter = UserFilter(
            status=query_int(call, "status"),
            username=query_value(call, "username"),
            first_name=query_value(call, "firstName"),
            last_name=query_value(call, "lastName"),
            group_id=query_value(call, "groupId"),
        )
        fingerprint = _fingerprint(user_filter)
        token = query_value(call, "nextToken")
        start = 0 if not token else _token_position(token, network, fingerprint)
        # The model's default page is 10 users: a caller that leaves maxResults out gets 10, as from Wickr.
        limit = min(max_results or LIST_USERS_DEFAULT, self.page_size)
        page = network.page(start, limit, user_filter)
        body: dict[str, Any] = {"users": [list_user_item(user) for user in page.users]}
        if page.next_position is not None:
            body["nextToken"] = _token(network.network_id, page.next_position, fingerprint)
        return Answer(200, body)

    def _get_users_count(self, call: Call, network: Network) -> Answer:
        # Seats are not modelled: `remaining` is a fixed allowance minus the users present.
        pending = sum(user.status == PENDING for user in network.ordered)
        total = len(network.ordered)
        counts = {"pending": pending, "active": total - pending, "rejected": 0, "total": total}
        return Answer(200, {**counts, "remaining": max(0, SEATS - total)})

    def _batch_reinvite_user(self, call: Call, network: Network) -> Answer:
        user_ids = batch_members(json_body(call), "userIds")
        constraint = model.list_member_constraint(call.operation, "userIds")
        reasons = [
            {"field": "userIds", "reason": f"{user_id!r} {constraint.violation(str(user_id)) or 'must be a string'}"}
            for user_id in user_ids
            if not isinstance(user_id, str) or constraint.violation(user_id) is not None
        ]
        if reasons:
            raise ApiError(422, "Invalid value for userIds", reasons)
        successful: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        for user_id in dict.fromkeys(user_ids):  # a repeated id is reinvited (and reported) once
            user = network.by_id.get(user_id)
            if user is None:
                failed.append(_failed(user_id, "userId", "User not found"))
            elif user.suspended:
                failed.append(_failed(user_id, "userId", "User is suspended"))
            elif user.status != PENDING:
                failed.append(_failed(user_id, "userId", "User has already accepted the invitation"))
            elif (reason := self._faults.user_fault(network.network_id, user_id)) is not None:
                failed.append(_failed(user_id, "userId", reason))
            else:
                user.invites_sent += 1
                user.is_invite_expired = False
                successful.append({"userId": user_id})
        body = {
            "message": f"Reinvited {len(successful)} of {len(successful) + len(failed)} users",
            "successful": successful,
            "failed": failed,
        }
        return Answer(200, body, user_ids=tuple(user_ids))

    def _update_user(self, call: Call, network: Network) -> Answer:
        # Only what a rename needs: the details' username and names (Wickr's UpdateUser can change a username, so a
        # username -> id mapping can go stale with no 404). Other details are accepted and ignored.
        data = json_body(call)
        user_id = data.get("userId")
        if not isinstance(user_id, str):
            raise invalid("userId", "is required")
        user = network.by_id.get(check(call.operation, "userId", user_id))
        if user is None:
            raise ApiError(404, f"User {user_id} not found in network {network.network_id}")
        details = data.get("userDetails") or {}
        if not isinstance(details, Mapping):
            raise invalid("userDetails", "must be an object")
        if "username" in details:
            try:
                network.rename(user, str(details["username"]))
            except ValueError as error:
                raise ApiError(400, str(error)) from None
        user.first_name = str(details.get("firstName", user.first_name))
        user.last_name = str(details.get("lastName", user.last_name))
        body = {
            "userId": user.user_id,
            "networkId": network.network_id,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "suspended": user.suspended,
            "status": user.status,
            "securityGroupIds": list(user.security_group_ids),
        }
        return Answer(200, body, user_ids=(user.user_id,))

    def _batch_create_user(self, call: Call, network: Network) -> Answer:
        items = batch_members(json_body(call), "users")
        reasons = [
            {"field": f"users[{index}].{member}", "reason": "is required"}
            for index, item in enumerate(items)
            for member in model.required_members("BatchCreateUserRequestItem")
            if not isinstance(item, Mapping) or member not in item
        ]
        reasons += [
            {"field": f"users[{index}].securityGroupIds", "reason": "a user can be assigned to one security group"}
            for index, item in enumerate(items)
            if isinstance(item, Mapping) and len(item.get("securityGroupIds") or ()) > 1
        ]
        if reasons:
            raise ApiError(422, "Invalid value for users", reasons)
        successful: list[dict[str, Any]] = []
        failed: list[dict[str, str]] = []
        for item in items:
            username = str(item["username"])
            existing = network.find_username(username)
            if existing is not None:
                failed.append(_failed(existing.user_id, "username", "A user with this username already exists"))
                continue
            try:
                user_id = network.new_user_id()
            except ValueError as error:
                raise ApiError(400, str(error)) from None
            user = User(
                user_id=user_id,
                status=PENDING,
                suspended=False,
                first_name=str(item.get("firstName", "")),
                last_name=str(item.get("lastName", "")),
                username=username,
                is_invite_expired=False,
                is_admin=False,
                security_group_ids=tuple(str(group) for group in item["securityGroupIds"]),
                last_activity=0,
                last_login=0,
            )
            network.add(user)
            successful.append(list_user_item(user))
        body = {
            "message": f"Created {len(successful)} of {len(items)} users",
            "successful": successful,
            "failed": failed,
        }
        return Answer(200, body, user_ids=tuple(user["userId"] for user in successful))
