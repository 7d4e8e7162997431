"""Outcomes: one rule for which verdict wins, and a message fails if any of its users asks for a retry."""

from __future__ import annotations

import pytest

from reinviter.core.metric_names import Metric
from reinviter.core.model import Request, UserKey, Verdict
from reinviter.core.outcomes import Outcomes

NETWORK = "12345678"
A, B = UserKey(NETWORK, "1001"), UserKey(NETWORK, "1002")


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        (Verdict.REINVITED, Verdict.UNFINISHED, Verdict.UNFINISHED),
        (Verdict.UNFINISHED, Verdict.REINVITED, Verdict.UNFINISHED),
        (Verdict.FAILED, Verdict.UNFINISHED, Verdict.FAILED),
        (Verdict.SKIPPED, Verdict.REINVITED, Verdict.REINVITED),
        (Verdict.REINVITED, Verdict.SKIPPED, Verdict.REINVITED),
    ],
)
def test_the_verdict_that_asks_for_a_retry_wins(first: Verdict, second: Verdict, kept: Verdict) -> None:
    outcomes = Outcomes()
    outcomes.record([A], first, "one")
    outcomes.record([A], second, "two")

    assert outcomes.finish([Request("m", NETWORK, ("1001",))]).outcomes[A].verdict is kept


def test_a_message_fails_only_for_its_own_users_and_a_user_with_no_verdict_is_never_done() -> None:
    outcomes = Outcomes()
    outcomes.record([A], Verdict.REINVITED, "reinvited")
    outcomes.count(Metric.USERS_CHECKED, 2)

    report = outcomes.finish([Request("a", NETWORK, ("1001",)), Request("b", NETWORK, ("1001", "1002"))])

    assert report.failed_message_ids == ["b"]  # B was never given a verdict
    assert report.outcomes[B].verdict is Verdict.UNFINISHED
    assert report.metric_counts() == {
        Metric.USERS_CHECKED: 2,
        Metric.USERS_REINVITED: 1,
        Metric.USERS_SKIPPED: 0,
        Metric.USERS_GIVEN_UP: 0,
        Metric.REINVITE_FAILED: 0,
        Metric.NETWORKS_NOT_FOUND: 0,
        Metric.USERNAME_LOOKUPS: 0,
        Metric.USERNAME_CACHE_HITS: 0,
        Metric.USERS_JOINED: 0,
    }
