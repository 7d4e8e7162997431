"""Users Wickr refused as no longer pending although no GetUser of this run checked them: one GetUser tells."""

from __future__ import annotations

from collections.abc import Callable

from reinviter.core.errors import WickrError
from reinviter.core.logs import logger
from reinviter.core.metric_names import Metric
from reinviter.core.model import SKIP_OF_STATE, SKIP_REASONS, UserKey, UserState, Verdict
from reinviter.core.outcomes import Outcomes, error_verdict

# BatchReinviteUser's answers for a user who is no longer pending (fixed codes, adapters/wickr/answers.py): for a
# user whose check was not a GetUser of this run, they may only mean the user changed since that check.
CHANGED_SINCE_CHECK = frozenset({"not pending", "suspended", "not found"})


class Rechecks:
    """Users this run sent without a GetUser of its own, that Wickr refused as no longer pending.

    Two kinds, one rule: a listed user (a fresh sweep listing was the check) and any user of a replayed stale claim
    (its check was the earlier run's, perhaps long ago; Wickr's stored answer speaks of that time). The refusal may
    only mean the user changed since: one GetUser each confirms it (a skip), or finds them still pending (a failure,
    retried).
    """

    def __init__(self, listed: set[UserKey], outcomes: Outcomes, *, is_replay: Callable[[str], bool]) -> None:
        self._listed = listed
        self._is_replay = is_replay
        self._outcomes = outcomes
        self._waiting: list[UserKey] = []
        self._since: dict[UserKey, str] = {}  # what the refused user's check was, for the skip's reason

    def wanted(self, key: UserKey, token: str, failure: str) -> bool:
        """Whether this refused user needs a GetUser before its verdict (it is then waiting for one)."""
        if failure not in CHANGED_SINCE_CHECK or not (key in self._listed or self._is_replay(token)):
            return False
        self._since[key] = "the sweep's listing" if key in self._listed else "the claim it replays"
        self._waiting.append(key)
        return True

    def take(self) -> list[UserKey]:
        """The users waiting for their GetUser (each handed out once)."""
        waiting, self._waiting = self._waiting, []
        return waiting

    def answered(self, key: UserKey, answer: UserState | WickrError) -> None:
        """GetUser answered for a user Wickr would not reinvite: a skip if it changed, else a failure."""
        if isinstance(answer, WickrError):
            self._outcomes.record([key], error_verdict(answer), f"GetUser: {answer.code or answer}")
            return
        self._outcomes.count(Metric.USERS_CHECKED)
        if answer is UserState.PENDING:
            self._outcomes.record([key], Verdict.FAILED, "BatchReinviteUser: not pending, yet GetUser says pending")
            return
        reason = f"{SKIP_REASONS[answer]} (changed since {self._since.get(key, 'its check')})"
        self._outcomes.record([key], Verdict.SKIPPED, reason, SKIP_OF_STATE[answer])
        logger.info("reinvite skipped", reason=reason, network_id=key.network_id, user_id=key.user_id)
