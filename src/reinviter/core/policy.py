"""The ledger's rules, pure: what a user's record allows the next request to do. Shared by the function and the CLI.

No AWS SDK here: `decide` is a function of a record, the time and the policy, so the function, the operators' tools
and the tests judge a record the same way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# Longer than the function's timeout (a live claim is never taken over), shorter than the queue's visibility timeout
# (a redelivered message finds its own stale claim expired and replays it rather than waiting for it).
CLAIM_LEASE_S = 600.0


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One user's record, as read (parsed from DynamoDB by `adapters/dynamodb/layout.py`)."""

    attempts: int = 0
    last_reinvited_at: float | None = None
    claim_token: str | None = None
    claim_members: tuple[str, ...] = ()
    claim_expires_at: float = 0.0
    first_reinvited_at: float | None = None  # absent on records settled before joins were tracked
    joined_at: float | None = None  # when a check first saw the reinvited user active: never reinvited again


class Status(enum.Enum):
    """What the ledger allows for a user right now."""

    ELIGIBLE = "eligible"
    JOINED = "joined"
    COOLDOWN = "in cooldown"
    GIVEN_UP = "given up"
    CLAIMED = "claimed by another invocation"
    STALE_CLAIM = "stale claim"  # its call may or may not have reached Wickr: replay it exactly


@dataclass(frozen=True, slots=True)
class Policy:
    """The ledger's rules (from the settings)."""

    cooldown_s: float
    max_attempts: int
    lease_s: float = CLAIM_LEASE_S
    # The wait before the 2nd, 3rd, ... reinvite (the last one repeats); empty: `cooldown_s` before every one.
    schedule_s: tuple[float, ...] = ()

    def wait_after(self, attempts: int) -> float:
        """How long a user reinvited `attempts` times waits before the next reinvite."""
        if not self.schedule_s or attempts < 1:
            return self.cooldown_s
        return self.schedule_s[min(attempts, len(self.schedule_s)) - 1]


@dataclass(frozen=True, slots=True)
class Decision:
    """`decide`'s answer, with the time it turns (cooldown end, lease end) where there is one."""

    status: Status
    until: float | None = None

    def reason(self, record: LedgerRecord | None) -> str:
        """A log- and report-safe reason."""
        if self.status is Status.GIVEN_UP and record is not None:
            return f"given up after {record.attempts} reinvites"
        return self.status.value


def decide(record: LedgerRecord | None, now: float, policy: Policy) -> Decision:
    """What the next request for this user may do. Shared by the function and the operators' tools."""
    if record is None:
        return Decision(Status.ELIGIBLE)
    if record.joined_at is not None:
        return Decision(Status.JOINED)
    if record.claim_token is not None:
        live = record.claim_expires_at > now
        return Decision(Status.CLAIMED, record.claim_expires_at) if live else Decision(Status.STALE_CLAIM)
    if record.attempts >= policy.max_attempts:
        return Decision(Status.GIVEN_UP)
    if record.last_reinvited_at is not None:
        due = record.last_reinvited_at + policy.wait_after(record.attempts)
        if due > now:
            return Decision(Status.COOLDOWN, due)
    return Decision(Status.ELIGIBLE)
