"""The sweep's join check over hand-written fakes of its ports: paging, resumption, the deadline, failures."""

from __future__ import annotations

import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from devkit.fakes import FakeWickr
from reinviter.core.deadline import Deadline
from reinviter.core.errors import DeadlineReached, LedgerUnavailable, WickrError
from reinviter.core.model import UserKey, UserState
from reinviter.core.policy import LedgerRecord
from reinviter.orchestration.awaiting import AwaitingChecker, cursor_name

NETWORK = "12345678"
NOW = 1_800_000_000.0


@dataclass
class Awaiting:
    """The index as pages of two user ids, over records in a dict; outcomes are written back to them."""

    records: dict[UserKey, LedgerRecord]
    page_size: int = 2
    pages_read: list[str | None] = field(default_factory=list)
    gone: dict[UserKey, str] = field(default_factory=dict)
    fail_page: int | None = None  # the page (0-based) whose Query fails

    def _awaited(self) -> list[str]:
        return sorted(k.user_id for k, r in self.records.items() if r.joined_at is None and k not in self.gone)

    def page(self, network_id: str, after: str | None, deadline: Deadline) -> tuple[list[str], str | None]:
        if self.fail_page is not None and len(self.pages_read) == self.fail_page:
            self.fail_page = None
            raise LedgerUnavailable("awaiting: injected")
        self.pages_read.append(after)
        ids = [uid for uid in self._awaited() if after is None or uid > after][: self.page_size]
        more = [uid for uid in self._awaited() if uid > ids[-1]] if ids else []
        return ids, ids[-1] if more else None

    def read(self, keys: Collection[UserKey], deadline: Deadline) -> dict[UserKey, LedgerRecord]:
        return {key: self.records[key] for key in keys if key in self.records}

    def record_join(self, key: UserKey, seen: LedgerRecord, deadline: Deadline) -> bool:
        record = self.records[key]
        if record.joined_at is not None or record.attempts != seen.attempts:
            return False
        self.records[key] = LedgerRecord(attempts=record.attempts, joined_at=NOW)
        return True

    def record_gone(self, key: UserKey, seen: LedgerRecord, outcome: str, deadline: Deadline) -> bool:
        self.gone[key] = outcome
        return True


@dataclass
class Cursors:
    stored: dict[str, str] = field(default_factory=dict)
    budget_s: float = 0.0

    def load(self, network_id: str) -> str | None:
        return self.stored.get(network_id)

    def save(self, network_id: str, token: str) -> None:
        self.stored[network_id] = token

    def delete(self, network_id: str) -> None:
        self.stored.pop(network_id, None)


class OutOfTimeAfter(FakeWickr):
    """GetUser answers `calls` times, then raises DeadlineReached, as the gateway does when no call fits."""

    def __init__(self, calls: int, states: dict[UserKey, UserState]) -> None:
        super().__init__(states=states)
        self.left = calls

    def user_state(self, network_id: str, user_id: str, deadline: Deadline) -> UserState:
        if self.left == 0:
            raise DeadlineReached("no time left", code="Deadline")
        self.left -= 1
        return super().user_state(network_id, user_id, deadline)


def _users(*user_ids: str) -> dict[UserKey, LedgerRecord]:
    return {UserKey(NETWORK, uid): LedgerRecord(attempts=1, first_reinvited_at=NOW - 3600) for uid in user_ids}


def test_a_check_cut_short_resumes_after_the_last_page_it_finished() -> None:
    awaiting = Awaiting(_users("1", "2", "3", "4", "5"))
    active = {UserKey(NETWORK, uid): UserState.ACTIVE for uid in ("1", "2", "3", "4", "5")}
    cursors = Cursors()

    first = AwaitingChecker(awaiting, OutOfTimeAfter(3, active), cursors, lambda: NOW).check(
        NETWORK, set(), Deadline.never()
    )

    assert (first.finished, len(first.joins), first.checked) == (False, 3, 3)
    assert cursors.stored == {cursor_name(NETWORK): "2"}  # page 1 (users 1, 2) done; page 2 cut inside

    second = AwaitingChecker(awaiting, OutOfTimeAfter(10, active), cursors, lambda: NOW).check(
        NETWORK, set(), Deadline.never()
    )

    assert second.finished
    assert sorted(join.key.user_id for join in second.joins) == ["4", "5"]  # 3 was counted by the first run
    assert awaiting.pages_read == [None, "2", "2"]  # the second run starts where the first stored its cursor
    assert cursors.stored == {}


def test_listed_users_cost_no_call_and_pending_ones_stay_awaited() -> None:
    awaiting = Awaiting(_users("1", "2", "3"))
    wickr = FakeWickr(states={UserKey(NETWORK, "3"): UserState.NOT_FOUND})

    result = AwaitingChecker(awaiting, wickr, Cursors(), lambda: NOW).check(NETWORK, {"1"}, Deadline.never())

    assert (result.checked, result.joins, result.gone) == (2, [], 1)  # 2 pending (not listed, still pending), 3 gone
    assert awaiting.gone == {UserKey(NETWORK, "3"): "deleted"}
    assert all(record.joined_at is None for record in awaiting.records.values())


def test_a_failed_query_keeps_the_cursor_before_its_page() -> None:
    awaiting = Awaiting(_users("1", "2", "3"), fail_page=1)
    cursors = Cursors()

    result = AwaitingChecker(awaiting, FakeWickr(), cursors, lambda: NOW).check(NETWORK, set(), Deadline.never())

    assert (result.finished, result.error) == (False, "LedgerUnavailable: awaiting: injected")
    assert cursors.stored == {cursor_name(NETWORK): "2"}


def test_no_time_for_a_page_reads_nothing() -> None:
    awaiting = Awaiting(_users("1"))

    result = AwaitingChecker(awaiting, FakeWickr(), Cursors(budget_s=1.0), lambda: NOW).check(
        NETWORK, set(), Deadline(at=0.0)
    )

    assert (result.finished, awaiting.pages_read) == (False, [])


class FailsFor(FakeWickr):
    """GetUser fails for one user (as a 500 that outlived its retries would) and records who was asked."""

    def __init__(self, failing: str, states: dict[UserKey, UserState]) -> None:
        super().__init__(states=states)
        self.failing = failing
        self.asked: list[str] = []

    def user_state(self, network_id: str, user_id: str, deadline: Deadline) -> UserState:
        self.asked.append(user_id)
        if user_id == self.failing:
            raise WickrError("GetUser failed", code="InternalServerError")
        return super().user_state(network_id, user_id, deadline)


class AllAtOnce(FakeWickr):
    """GetUser answers only once `parties` calls are in flight together (one after another, the barrier breaks)."""

    def __init__(self, parties: int, states: dict[UserKey, UserState]) -> None:
        super().__init__(states=states)
        self.together = threading.Barrier(parties, timeout=30)

    def user_state(self, network_id: str, user_id: str, deadline: Deadline) -> UserState:
        self.together.wait()
        return super().user_state(network_id, user_id, deadline)


def test_on_the_wickr_pool_a_page_is_asked_at_once_and_its_outcomes_taken_in_order() -> None:
    awaiting = Awaiting(_users("1", "2", "3", "4", "5"), page_size=5)
    states = {UserKey(NETWORK, "2"): UserState.ACTIVE, UserKey(NETWORK, "4"): UserState.NOT_FOUND}
    wickr = AllAtOnce(4, states)

    with ThreadPoolExecutor(4, thread_name_prefix="wickr") as pool:
        result = AwaitingChecker(awaiting, wickr, Cursors(), lambda: NOW, pool=pool).check(
            NETWORK, {"5"}, Deadline.never()
        )

    assert (result.finished, result.checked, result.gone) == (True, 4, 1)  # 5 is listed: no call
    assert [join.key.user_id for join in result.joins] == ["2"]
    assert awaiting.gone == {UserKey(NETWORK, "4"): "deleted"}


def test_on_the_wickr_pool_a_failed_answer_records_what_came_before_it_and_keeps_the_page() -> None:
    awaiting = Awaiting(_users("1", "2", "3", "4"), page_size=2)
    active = {UserKey(NETWORK, uid): UserState.ACTIVE for uid in ("1", "2", "3", "4")}
    wickr = FailsFor("4", active)
    cursors = Cursors()

    with ThreadPoolExecutor(2, thread_name_prefix="wickr") as pool:
        result = AwaitingChecker(awaiting, wickr, cursors, lambda: NOW, pool=pool).check(
            NETWORK, set(), Deadline.never()
        )

    assert (result.finished, result.error) == (False, "WickrError: GetUser failed")
    assert [join.key.user_id for join in result.joins] == ["1", "2", "3"]  # 3 came before the failure in its page
    assert cursors.stored == {cursor_name(NETWORK): "2"}  # the second page is checked again next time
    assert awaiting.records[UserKey(NETWORK, "4")].joined_at is None
    assert sorted(wickr.asked) == ["1", "2", "3", "4"]  # each once: the failure ends the check
