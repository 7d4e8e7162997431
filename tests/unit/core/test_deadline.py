"""Deadline: remaining time minus the margin, on the monotonic clock."""

from __future__ import annotations

from reinviter.core.deadline import Deadline


def test_margin_larger_than_remaining_time_is_already_expired() -> None:
    deadline = Deadline.after(remaining_ms=1_000, margin_ms=2_000)

    assert deadline.expired()
    assert not deadline.allows(0.0)


def test_margin_equal_to_remaining_time_is_expired() -> None:
    assert Deadline.after(remaining_ms=2_000, margin_ms=2_000).expired()


def test_time_left_allows_only_shorter_waits() -> None:
    deadline = Deadline.after(remaining_ms=60_000, margin_ms=3_000)

    assert not deadline.expired()
    assert deadline.allows(1.0)
    assert not deadline.allows(57.5)
    assert 56.0 < deadline.remaining() <= 57.0


def test_never() -> None:
    assert Deadline.never().allows(1e9)
    assert not Deadline.never().expired()
