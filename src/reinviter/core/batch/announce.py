"""One batch's outcome events: which to publish, and for whom (the requesters' correlation ids).

Published before the ledger records the outcome they report (docs/ledger.md, "Outcome events"): a call's
`User Reinvited` before its settle, a `User Joined` before the join's write. An event that could not be published
leaves the outcome unrecorded, so a replay or a redelivery reports it again, under the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from reinviter.core import events
from reinviter.core.batch.joins import join_of
from reinviter.core.events import OutcomeEvent
from reinviter.core.logs import logger
from reinviter.core.model import ReinviteReceipt, Request, UserKey, UserOutcome, Verdict
from reinviter.core.outcomes import Outcomes
from reinviter.core.planning import ReinviteCall
from reinviter.core.policy import LedgerRecord, Policy
from reinviter.core.usernames import Resolutions


class Announcer:
    """Builds the events of one batch (none when `enabled` is False: no bus, or a dry run)."""

    def __init__(
        self,
        requests: Sequence[Request],
        directory: Resolutions,
        policy: Policy,
        clock: Callable[[], float],
        *,
        outcomes: Outcomes,
        records: Mapping[UserKey, LedgerRecord],
        enabled: bool,
    ) -> None:
        self.enabled = enabled
        self._requests = requests
        self._directory = directory
        self._policy = policy
        self._clock = clock
        self._outcomes = outcomes
        self._records = records  # the run's, as read (a skip's id names the attempts it saw)
        # A user several requests name is reported once an outcome: with the first correlation id given for them.
        self._correlations: dict[UserKey, str] = {}
        self._requested: set[UserKey] = set()
        for request in requests if enabled else ():
            for user_id in directory.user_ids(request):
                key = UserKey(request.network_id, user_id)
                self._requested.add(key)
                if request.correlation_id is not None:
                    self._correlations.setdefault(key, request.correlation_id)

    def sent(self, call: ReinviteCall, receipt: ReinviteReceipt, attempts: Mapping[UserKey, int]) -> list[OutcomeEvent]:
        """A call's reinvites (every member Wickr reinvited, a replay's other members too) and who reached the cap."""
        if not self.enabled:
            return []
        now = self._clock()
        found: list[OutcomeEvent] = []
        for key in call.users():
            if key.user_id not in receipt.successful:
                continue
            attempt = attempts.get(key, 0) + 1
            correlation_id = self._correlations.get(key)
            found.append(events.reinvited(key, attempt, call.token, now, correlation_id))
            if attempt >= self._policy.max_attempts:
                found.append(events.given_up(key, attempt, call.token, now, correlation_id))
        return found

    def joined(self, key: UserKey, record: LedgerRecord) -> list[OutcomeEvent]:
        """The event of a join a request's check saw."""
        if not self.enabled:
            return []
        now = self._clock()
        join = join_of(key, record, now)
        return [events.joined(join, record.first_reinvited_at, now, self._correlations.get(key))]

    def unpublished(self, call: ReinviteCall) -> None:
        """The call's events were not published: it stays claimed and unsettled, so its replay publishes them."""
        reason = "outcome events not published: the claim is kept for a replay that publishes them"
        self._outcomes.record([key for key in call.users() if key in self._requested], Verdict.UNFINISHED, reason)
        logger.warning("outcome events not published, claim kept", network_id=call.network_id, users=len(call.user_ids))

    def skipped(self) -> dict[str, list[OutcomeEvent]]:
        """Each asking message's `User Skipped` events, by message id, once every stage is done.

        A sweep's message (its `listing`) asked nothing: its skips are logged, not published.
        """
        if not self.enabled:
            return {}
        now = self._clock()
        outcomes, records = self._outcomes.verdicts_so_far(), self._records
        found: dict[str, list[OutcomeEvent]] = {}
        for request in self._requests:
            if request.seal is not None:
                continue
            for label, entry in self._directory.entries(request):
                outcome = entry if isinstance(entry, UserOutcome) else outcomes.get(entry)
                if outcome is None or outcome.verdict is not Verdict.SKIPPED or outcome.skip is None:
                    continue
                named = label if isinstance(entry, UserOutcome) else entry
                record = records.get(entry) if isinstance(entry, UserKey) else None
                attempts = record.attempts if record is not None else 0
                event = events.skipped(
                    request.network_id,
                    named,
                    outcome.skip,
                    attempts=attempts,
                    message_id=request.message_id,
                    now=now,
                    correlation_id=request.correlation_id,
                )
                found.setdefault(request.message_id, []).append(event)
        return found
