"""The adaptive pacer on a fake clock: halves once per cool-down, recovers, keeps under its ceiling and the deadline."""

from __future__ import annotations

import pytest

from reinviter.adapters.wickr.pacing import RequestPacer
from reinviter.core.deadline import Deadline


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def _pacer(fake: FakeTime, max_rate: float = 0.0) -> RequestPacer:
    return RequestPacer(max_rate, clock=fake.clock, sleep=fake.sleep)


def test_unpaced_never_waits(fake: FakeTime) -> None:
    pacer = _pacer(fake)

    assert all(pacer.acquire(Deadline.never()) for _ in range(1000))
    assert pacer.rate is None
    assert fake.sleeps == []


def test_paced_waits_once_the_burst_is_spent(fake: FakeTime) -> None:
    pacer = _pacer(fake, max_rate=8.0)  # a burst of max(1, 8 * 0.25) = 2

    for _ in range(6):
        assert pacer.acquire(Deadline.never())

    assert len(fake.sleeps) == 4
    assert sum(fake.sleeps) == pytest.approx(4 / 8.0)


def test_throttle_halves_once_per_cooldown(fake: FakeTime) -> None:
    pacer = _pacer(fake, max_rate=10.0)

    pacer.on_throttled()
    pacer.on_throttled()  # the same overload, reported by another thread
    assert pacer.rate == 5.0

    fake.now += 0.5
    pacer.on_throttled()
    assert pacer.rate == 5.0

    fake.now += 0.5
    pacer.on_throttled()
    assert pacer.rate == 2.5


def test_rate_never_drops_below_one_per_second(fake: FakeTime) -> None:
    pacer = _pacer(fake, max_rate=4.0)

    for _ in range(10):
        pacer.on_throttled()
        fake.now += 1.0

    assert pacer.rate == 1.0


def test_unpaced_starts_at_half_the_observed_rate(fake: FakeTime) -> None:
    pacer = _pacer(fake)
    for _ in range(40):
        pacer.acquire(Deadline.never())
        fake.now += 0.02  # 50/s over the last 0.8 s

    for _ in range(10):
        pacer.on_throttled()  # a fifth of the recent calls refused: a limit, halved once (the cool-down)

    assert pacer.rate == 20.0  # 40 calls in the 1 s window, halved


def test_recovers_while_calls_succeed_but_never_above_the_ceiling(fake: FakeTime) -> None:
    pacer = _pacer(fake, max_rate=10.0)
    pacer.on_throttled()
    assert pacer.rate == 5.0

    fake.now += 1.0
    pacer.on_success()
    assert pacer.rate == pytest.approx(5.5)  # at least 0.5 request/s per 429-free second

    fake.now += 100.0
    pacer.on_success()
    assert pacer.rate == 10.0


def test_success_without_a_ceiling_keeps_growing_from_the_learnt_rate(fake: FakeTime) -> None:
    pacer = _pacer(fake)
    pacer.acquire(Deadline.never())
    pacer.on_throttled()
    learnt = pacer.rate
    assert learnt == 1.0

    fake.now += 2.0
    pacer.on_success()

    assert pacer.rate == pytest.approx(2.0)


def test_acquire_refuses_a_wait_that_would_pass_the_deadline(fake: FakeTime) -> None:
    pacer = _pacer(fake, max_rate=1.0)
    assert pacer.acquire(Deadline.never())  # the one token of the burst

    # The next token is 1 s away; the deadline (on the real clock) is at most 0.5 s away.
    assert pacer.acquire(Deadline.after(remaining_ms=500, margin_ms=0)) is False
    assert fake.sleeps == []
    assert pacer.acquire(Deadline.never()) is True
    assert fake.sleeps == [pytest.approx(1.0)]


def test_a_trickle_of_429s_does_not_slow_the_pacer(fake: FakeTime) -> None:
    pacer = _pacer(fake, max_rate=100.0)
    for _ in range(20):
        assert pacer.acquire(Deadline.never())

    pacer.on_throttled()  # 1 in 20 recent calls refused: not the rate's fault
    assert pacer.rate == 100.0

    for _ in range(4):
        pacer.on_throttled()  # 5 in 20: a real limit
    assert pacer.rate == 50.0
