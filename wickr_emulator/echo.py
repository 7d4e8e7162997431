"""The `echo_usernames` fault: answers that repeat the caller's usernames, as a careless server's errors would."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from urllib.parse import unquote

from wickr_emulator.operations import Service
from wickr_emulator.wire import Answer, Call, error_answer, error_name


def requested_ids(call: Call) -> tuple[str, ...]:
    """The user ids a call names (its path label, or a BatchReinviteUser body), for the journal and the echo."""
    if "userId" in call.labels:
        return (unquote(call.labels["userId"]),)
    if call.operation == "BatchReinviteUser":
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            data = json.loads(call.body or b"{}")
            ids = data.get("userIds") if isinstance(data, dict) else None
            if isinstance(ids, list):
                return tuple(str(user_id) for user_id in ids)
    return ()


def injected(status: int) -> Answer:
    """The answer of an injected error."""
    message = "Rate exceeded" if status == 429 else f"Injected {error_name(status) or status}"
    return error_answer(status, message)


def echo_usernames(service: Service, call: Call, answer: Answer) -> Answer:
    """The answer with the usernames of the call in its error message, its `reasons` and its failed items."""
    with service.lock:
        network = service.networks.get(call.network_id or "")
        known = network.by_id if network is not None else {}
        names = {uid: known[uid].username for uid in requested_ids(call) if uid in known}
    query = call.query.get("username", [])
    echo = ", ".join([*query, *names.values()]) or "nobody"
    body = dict(answer.body)
    if answer.status >= 300:
        body["message"] = f"{body.get('message', '')} (usernames: {echo})"
        if "reasons" in body:
            body["reasons"] = [{**reason, "reason": f"{reason['reason']} for {echo}"} for reason in body["reasons"]]
    elif "failed" in body:
        body["failed"] = [
            {**item, "reason": f"{item.get('reason', '')}: {names.get(item['userId'], echo)}"}
            for item in body["failed"]
        ]
    return replace(answer, body=body)
