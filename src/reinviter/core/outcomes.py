"""Outcomes: the one place that records each user's verdict, decides which verdict wins, and counts the metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from reinviter.core.errors import DeadlineReached, LedgerDeadline, LedgerUnavailable, WickrError
from reinviter.core.logs import logger
from reinviter.core.metric_names import Metric
from reinviter.core.model import Join, Request, SkipReason, UserKey, UserOutcome, Verdict
from reinviter.core.usernames import NameKey, Resolutions

# When two stages speak of one user, the verdict that asks SQS for a retry wins over one that does not: a message
# is never reported done on the strength of a weaker verdict.
RANK = {
    Verdict.SKIPPED: 0,
    Verdict.WOULD_REINVITE: 1,
    Verdict.REINVITED: 1,
    Verdict.UNFINISHED: 2,
    Verdict.FAILED: 3,
    Verdict.MAYBE_SENT: 4,  # whatever else was said of the user, its claim is kept for an exact replay
}
RETRIED = frozenset({Verdict.FAILED, Verdict.UNFINISHED, Verdict.MAYBE_SENT})


@dataclass(slots=True)
class BatchReport:
    """What one batch came to: the messages to report as failures, per-user outcomes and the metric counts."""

    failed_message_ids: list[str] = field(default_factory=list)
    outcomes: dict[UserKey, UserOutcome] = field(default_factory=dict)
    unresolved: dict[NameKey, UserOutcome] = field(default_factory=dict)  # usernames that named no user
    counts: Counter[Metric] = field(default_factory=Counter)
    joins: list[Join] = field(default_factory=list)  # recorded by this batch (so counted by it alone)

    def verdicts(self) -> dict[Verdict, int]:
        """How many users ended in each verdict (every verdict present, zeros included)."""
        counts = dict.fromkeys(Verdict, 0)
        for outcome in [*self.outcomes.values(), *self.unresolved.values()]:
            counts[outcome.verdict] += 1
        return counts

    def metric_counts(self) -> dict[Metric, int]:
        """The per-user metrics of this batch."""
        verdicts = self.verdicts()
        return {
            Metric.USERS_CHECKED: self.counts[Metric.USERS_CHECKED],
            Metric.USERS_REINVITED: verdicts[Verdict.REINVITED],
            Metric.USERS_SKIPPED: verdicts[Verdict.SKIPPED],
            Metric.USERS_GIVEN_UP: self.counts[Metric.USERS_GIVEN_UP],
            Metric.REINVITE_FAILED: verdicts[Verdict.FAILED] + verdicts[Verdict.MAYBE_SENT],
            Metric.NETWORKS_NOT_FOUND: self.counts[Metric.NETWORKS_NOT_FOUND],
            Metric.USERNAME_LOOKUPS: self.counts[Metric.USERNAME_LOOKUPS],
            Metric.USERNAME_CACHE_HITS: self.counts[Metric.USERNAME_CACHE_HITS],
            Metric.USERS_JOINED: len(self.joins),
        }


class Outcomes:
    """Collects verdicts as the stages reach them, then maps them back to the messages that asked."""

    def __init__(self) -> None:
        self._report = BatchReport()
        self._unknown_networks: set[str] = set()

    def network_not_found(self, network_id: str, error: Exception) -> None:
        """Wickr does not know an allowlisted network: counted and logged once per network and invocation."""
        if network_id in self._unknown_networks:
            return
        self._unknown_networks.add(network_id)
        self.count(Metric.NETWORKS_NOT_FOUND)
        logger.error("network unknown to Wickr", network_id=network_id, error=str(error))

    def record(self, keys: Iterable[UserKey], verdict: Verdict, reason: str, skip: SkipReason | None = None) -> None:
        """Set these users' verdict, unless one that asks for a retry is already there (`skip`: a skip's reason)."""
        outcomes = self._report.outcomes
        for key in keys:
            current = outcomes.get(key)
            if current is None or RANK[verdict] >= RANK[current.verdict]:
                outcomes[key] = UserOutcome(verdict, reason, skip)

    def joined(self, join: Join) -> None:
        """This batch recorded a user's join (the ledger's condition makes it the only one that counts it)."""
        self._report.joins.append(join)
        log_join(join, "request")

    def verdicts_so_far(self) -> dict[UserKey, UserOutcome]:
        """Each user's outcome as recorded so far."""
        return self._report.outcomes

    def has(self, key: UserKey) -> bool:
        """Whether the user already has a verdict."""
        return key in self._report.outcomes

    def count(self, metric: Metric, amount: int = 1) -> None:
        """Count a metric that is not a verdict (users checked, users given up)."""
        self._report.counts[metric] += amount

    def finish(
        self,
        requests: Iterable[Request],
        directory: Resolutions | None = None,
        unpublished: Collection[str] = (),
    ) -> BatchReport:
        """Each message's result: failed if an entry asks for a retry or its events were not. Logs one line a message.

        `unpublished`: the ids of the messages whose `User Skipped` events were not published.

        An entry is a user id, or a username by its place (`usernames[3]`): the user it resolved to, or its own
        outcome (unknown, ambiguous, not looked up).
        """
        report = self._report
        directory = directory if directory is not None else Resolutions()
        report.unresolved = directory.unresolved()
        for request in requests:
            verdicts, problems, skipped = _entries_of(request, directory, report.outcomes)
            if request.message_id in unpublished:
                problems["events"] = "outcome events not published"
            if problems:
                report.failed_message_ids.append(request.message_id)
            log = logger.warning if problems else logger.info
            log(
                "message failed, left for redelivery" if problems else "message done",
                message_id=request.message_id,
                correlation_id=request.correlation_id,
                network_id=request.network_id,
                users=verdicts.total(),
                verdicts={verdict.value: count for verdict, count in verdicts.items()},
                problems=problems or None,
                skipped=skipped or None,
            )
        return report


def _entries_of(
    request: Request, directory: Resolutions, outcomes: dict[UserKey, UserOutcome]
) -> tuple[Counter[Verdict], dict[str, str], dict[str, str]]:
    """A message's entries: how many ended in each verdict, and the reasons of those retried and of those skipped."""
    verdicts: Counter[Verdict] = Counter()
    problems: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for entry_label, entry in directory.entries(request):
        if isinstance(entry, UserOutcome):
            outcome = entry
        else:
            found = outcomes.get(entry)
            if found is None:  # a stage forgot this user: never report it done
                found = outcomes[entry] = UserOutcome(Verdict.UNFINISHED, "no verdict reached")
            outcome = found
        verdicts[outcome.verdict] += 1
        if outcome.verdict in RETRIED:
            problems[entry_label] = outcome.reason
        elif outcome.verdict is Verdict.SKIPPED:
            skipped[entry_label] = outcome.reason
    return verdicts, problems, skipped


def log_join(join: Join, seen_by: str) -> None:
    """The one `user joined` line: ids and numbers only (`seen_by`: a request's check, or the sweep's)."""
    logger.info(
        "user joined",
        network_id=join.key.network_id,
        user_id=join.key.user_id,
        reinvites=join.reinvites,
        hours_to_join=join.hours_to_join,
        hours_since_last_reinvite=join.hours_since_last,
        seen_by=seen_by,
    )


def ledger_failed(outcomes: Outcomes, keys: Iterable[UserKey], step: str, error: LedgerUnavailable) -> None:
    """The ledger gave no answer: the users fail (their messages are retried), unfinished when time ran out."""
    keys = list(keys)
    verdict = Verdict.UNFINISHED if isinstance(error, LedgerDeadline) else Verdict.FAILED
    logger.warning("ledger unavailable", step=step, users=len(keys), error=str(error))
    outcomes.record(keys, verdict, f"ledger unavailable ({step})")


def error_verdict(error: WickrError) -> Verdict:
    """A call that gave no answer: unfinished if time ran out (retried), else failed (retried)."""
    return Verdict.UNFINISHED if isinstance(error, DeadlineReached) else Verdict.FAILED
