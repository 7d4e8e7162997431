"""Listed users Wickr refused as no longer pending: one GetUser each tells a change since the listing from a failure."""

from __future__ import annotations

from reinviter.core.errors import WickrError
from reinviter.core.logs import logger
from reinviter.core.metric_names import Metric
from reinviter.core.model import SKIP_REASONS, UserKey, UserState, Verdict
from reinviter.core.outcomes import Outcomes, error_verdict

# BatchReinviteUser's answers for a user who is no longer pending (fixed codes, wickr_answers.py): for a user whose
# check was a sweep's listing, not a GetUser, they may only mean the user changed since the listing.
CHANGED_SINCE_LISTING = frozenset({"not pending", "suspended", "not found"})


class ListingRechecks:
    """Listed users (a fresh sweep listing was their check) that Wickr refused as no longer pending.

    The refusal may only mean the user changed since the listing: one GetUser each confirms it (a skip), or finds the
    user still pending (a failure, retried).
    """

    def __init__(self, listed: set[UserKey], outcomes: Outcomes) -> None:
        self._listed = listed
        self._outcomes = outcomes
        self._waiting: list[UserKey] = []

    def wanted(self, key: UserKey, failure: str) -> bool:
        """Whether this failed user needs a GetUser before its verdict (it is then waiting for one)."""
        if key not in self._listed or failure not in CHANGED_SINCE_LISTING:
            return False
        self._waiting.append(key)
        return True

    def take(self) -> list[UserKey]:
        """The users waiting for their GetUser (each handed out once)."""
        waiting, self._waiting = self._waiting, []
        return waiting

    def answered(self, key: UserKey, answer: UserState | WickrError) -> None:
        """GetUser answered for a listed user Wickr would not reinvite: a skip if it changed, else a failure."""
        if isinstance(answer, WickrError):
            self._outcomes.record([key], error_verdict(answer), f"GetUser: {answer.code or answer}")
            return
        self._outcomes.count(Metric.USERS_CHECKED)
        if answer is UserState.PENDING:
            self._outcomes.record([key], Verdict.FAILED, "BatchReinviteUser: not pending, yet GetUser says pending")
            return
        reason = f"{SKIP_REASONS[answer]} (changed since the sweep's listing)"
        self._outcomes.record([key], Verdict.SKIPPED, reason)
        logger.info("reinvite skipped", reason=reason, network_id=key.network_id, user_id=key.user_id)
