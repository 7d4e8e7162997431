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


class Status(enum.Enum):
    """What the ledger allows for a user right now."""

    ELIGIBLE = "eligible"
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
    if record.claim_token is not None:
        if record.claim_expires_at > now:
            return Decision(Status.CLAIMED, record.claim_expires_at)
        return Decision(Status.STALE_CLAIM)
    if record.attempts >= policy.max_attempts:
        return Decision(Status.GIVEN_UP)
    if record.last_reinvited_at is not None and record.last_reinvited_at + policy.cooldown_s > now:
        return Decision(Status.COOLDOWN, record.last_reinvited_at + policy.cooldown_s)
    return Decision(Status.ELIGIBLE)
