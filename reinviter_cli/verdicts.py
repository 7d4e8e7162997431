"""What the next request would do with a user, in words: `decide` (the function's own rule) plus Wickr's answer."""

from __future__ import annotations

from reinviter.adapters.wickr.answers import WickrUser
from reinviter.core.model import SKIP_REASONS, UserState
from reinviter.core.policy import Decision, LedgerRecord, Policy, Status
from reinviter_cli.render import relative, when


def next_request(  # noqa: PLR0911 - one answer per status
    decision: Decision, record: LedgerRecord | None, user: WickrUser | None, policy: Policy, now: float
) -> str:
    """One line: the action and why, in the function's order (the ledger first, then GetUser's answer)."""
    if decision.status is Status.JOINED and record is not None and record.joined_at is not None:
        return f"skip: joined {when(record.joined_at)} after {record.attempts} reinvites; never reinvited again"
    if decision.status is Status.COOLDOWN and decision.until is not None:
        return f"skip: in cooldown until {when(decision.until)} ({relative(decision.until, now)})"
    if decision.status is Status.GIVEN_UP:
        return (
            f"skip: {decision.reason(record)} (the cap is {policy.max_attempts}); no GetUser is made."
            " `reinviter reset` clears the count"
        )
    if decision.status is Status.CLAIMED and decision.until is not None:
        return (
            f"retry later: claimed by another invocation until {when(decision.until)}"
            f" ({relative(decision.until, now)}); its holder records the result"
        )
    if decision.status is Status.STALE_CLAIM and record is not None:
        return (
            f"replay: the stale claim's call goes out again exactly ({len(record.claim_members)} users, same"
            " token), which Wickr answers once"
        )
    state = UserState.NOT_FOUND if user is None else user.state
    if state is not UserState.PENDING:
        return f"skip: {SKIP_REASONS[state]} (GetUser's answer)"
    attempt = (record.attempts if record is not None else 0) + 1
    last = " (the last: then given up)" if attempt >= policy.max_attempts else ""
    return f"reinvite: attempt {attempt} of {policy.max_attempts}{last}"


def policy_text(policy: Policy) -> str:
    """`24 h cooldown, 5 attempts`, or `reminders after 24, 72, 168 h, 5 attempts`."""
    if policy.schedule_s:
        steps = ", ".join(f"{wait / 3600:g}" for wait in policy.schedule_s)
        return f"reminders after {steps} h, {policy.max_attempts} attempts"
    return f"{policy.cooldown_s / 3600:g} h cooldown, {policy.max_attempts} attempts"
