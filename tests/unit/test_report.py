"""`reinviter report`'s figures, pure: which users are the window's cohort, and what became of each."""

from __future__ import annotations

from reinviter.core.policy import LedgerRecord
from reinviter_cli.ledger_ops import Entry
from reinviter_cli.report import build

DAY = 86400.0
NOW = 1_800_000_000.0


def _entry(user_id: str, *, given_up: bool = False, outcome: str | None = None, **record: float) -> Entry:
    return Entry(user_id, LedgerRecord(**record), given_up=given_up, outcome=outcome)  # type: ignore[arg-type]


def test_the_cohort_is_who_was_first_reinvited_in_the_window_and_each_has_one_outcome() -> None:
    entries = [
        _entry("1", attempts=2, first_reinvited_at=NOW - 3 * DAY, last_reinvited_at=NOW - 2 * DAY, joined_at=NOW - DAY),
        _entry("2", attempts=1, first_reinvited_at=NOW - 10 * DAY, last_reinvited_at=NOW - 10 * DAY, joined_at=NOW),
        _entry("3", attempts=5, first_reinvited_at=NOW - 5 * DAY, last_reinvited_at=NOW - DAY, given_up=True),
        _entry("4", attempts=1, first_reinvited_at=NOW - DAY, last_reinvited_at=NOW - DAY, outcome="deleted"),
        _entry("5", attempts=1, last_reinvited_at=NOW - 2 * DAY),  # settled before first times: its last counts
        _entry("6", attempts=3, first_reinvited_at=NOW - 40 * DAY, last_reinvited_at=NOW - DAY),  # outside the window
        _entry("7", attempts=0),  # a claim that never settled, or a reset: nobody reinvited
    ]

    found = build("12345678", entries, NOW, 30)

    assert (found.reinvited, found.joined, found.given_up, found.gone, found.still_pending) == (5, 2, 1, 1, 1)
    assert found.conversion == 2 / 5
    assert found.median_reinvites() == 1.5
    assert found.median_hours() == 144.0  # (48 h + 240 h) / 2
    assert sum(day.reinvited for day in found.per_day) == 5
    assert sum(day.joined for day in found.per_day) == 2
    assert len(found.per_day) == 31


def test_a_given_up_user_who_joined_is_a_join_and_nobody_reinvited_is_no_conversion() -> None:
    joined = _entry("1", attempts=5, first_reinvited_at=NOW - DAY, last_reinvited_at=NOW - DAY, joined_at=NOW)
    assert (build("12345678", [joined], NOW, 7).joined, build("12345678", [joined], NOW, 7).given_up) == (1, 0)
    empty = build("12345678", [], NOW, 7)
    assert (empty.conversion, empty.median_reinvites(), empty.median_hours()) == (None, None, None)
