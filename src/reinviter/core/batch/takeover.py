"""Stale claims taken over: a claim whose lease ended is replayed exactly (its members, its token), never released."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reinviter.core.errors import LedgerUnavailable
from reinviter.core.logs import logger
from reinviter.core.model import SkipReason, UserKey, Verdict
from reinviter.core.outcomes import Outcomes, ledger_failed
from reinviter.core.planning import ReinviteCall
from reinviter.core.policy import LedgerRecord, Status


@dataclass(frozen=True, slots=True)
class StaleClaim:
    """A claim whose lease ended: its call may or may not have reached Wickr, so it is replayed exactly."""

    token: str
    requested: list[UserKey]  # the users of this batch that hold it
    members: list[UserKey]  # every user of its call
    unread: list[UserKey]  # members whose records the first read did not include: read them before the take-over


class TakeOvers:
    """Stale claims this batch takes over: each replayed exactly (its members, its token), never released."""

    def __init__(self, outcomes: Outcomes, *, dry_run: bool) -> None:
        self._outcomes = outcomes
        self._dry_run = dry_run
        self._replays: set[str] = set()

    def plan(self, stale: StaleClaim, records: Mapping[UserKey, LedgerRecord]) -> ReinviteCall | None:
        """The call of the members still holding the token, or None (a dry run replays none)."""
        holding = [key for key in stale.members if (held := records.get(key)) and held.claim_token == stale.token]
        if self._dry_run:
            reason = "stale claim (a dry run does not replay it)"
            self._outcomes.record(stale.requested, Verdict.SKIPPED, reason, SkipReason.CLAIMED)
            return None
        return ReinviteCall(stale.requested[0].network_id, tuple(key.user_id for key in holding), stale.token)

    def answered(self, call: ReinviteCall, stale: StaleClaim, answer: bool | LedgerUnavailable) -> ReinviteCall | None:
        """The ledger answered a take-over: the call to replay, or None (another invocation was first, or no answer)."""
        if isinstance(answer, LedgerUnavailable):
            ledger_failed(self._outcomes, stale.requested, "take over", answer)
            return None
        if not answer:  # another invocation took it first: it reports the users
            self._outcomes.record(stale.requested, Verdict.UNFINISHED, Status.CLAIMED.value)
            return None
        logger.info(
            "replaying a stale claim",
            network_id=call.network_id,
            members=len(call.user_ids),
            requested=len(stale.requested),
        )
        self._replays.add(call.token)
        return call

    def is_replay(self, token: str) -> bool:
        """Whether this call replays a stale claim (then it carries that call's uncertainty: never released)."""
        return token in self._replays
