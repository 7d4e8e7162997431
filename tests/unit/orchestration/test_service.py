"""The orchestrator over fakes of its ports: the scheduling it promises, on a real thread pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from devkit.fakes import FakeWickr, InMemoryLedger
from reinviter.core.deadline import Deadline
from reinviter.core.model import Request, UserKey, UserState, Verdict
from reinviter.core.policy import Policy
from reinviter.orchestration.service import ReinviteService

NETWORK = "12345678"
POLICY = Policy(cooldown_s=3600.0, max_attempts=5)


def _requests(count: int) -> list[Request]:
    user_ids = [str(5000 + n) for n in range(count)]
    return [Request(f"m-{start}", NETWORK, tuple(user_ids[start : start + 50]), 1) for start in range(0, count, 50)]


def _service(wickr: FakeWickr, pool: ThreadPoolExecutor, concurrency: int) -> tuple[ReinviteService, InMemoryLedger]:
    ledger = InMemoryLedger(POLICY, lambda: 1_800_000_000.0)
    service = ReinviteService(
        wickr, pool, concurrency=concurrency, policy=POLICY, ledger=ledger, ledger_pool=ThreadPoolExecutor(1)
    )
    return service, ledger


def test_a_full_call_goes_out_before_the_rest_of_the_batch_is_checked() -> None:
    wickr = FakeWickr()
    order: list[str] = []
    real_state, real_reinvite = wickr.user_state, wickr.reinvite
    wickr.user_state = lambda *args: order.append("GetUser") or real_state(*args)  # type: ignore[method-assign]
    wickr.reinvite = lambda *args: order.append("Reinvite") or real_reinvite(*args)  # type: ignore[method-assign]
    with ThreadPoolExecutor(1) as pool:
        service, _ = _service(wickr, pool, concurrency=1)
        report = service.process(_requests(120), Deadline.never())

    assert report.failed_message_ids == []
    reinvites = [index for index, call in enumerate(order) if call == "Reinvite"]
    assert len(reinvites) == 3
    # The first full call goes out while GetUser still has 70 users to check; the ledger's claim does not stop Wickr.
    assert reinvites[0] < order.index("GetUser") + 100


def test_at_concurrency_1_a_full_batch_finishes_with_a_worker_pool_of_one() -> None:
    wickr = FakeWickr()
    with ThreadPoolExecutor(1) as pool:
        service, ledger = _service(wickr, pool, concurrency=1)
        report = service.process(_requests(500), Deadline.never())

    assert report.failed_message_ids == []
    assert len(wickr.calls) == 10
    assert all(len(times) == 1 for times in wickr.sent.values())
    assert ledger.calls == 1 + 20  # one read of every user (the fake takes any number of keys), 10 claims, 10 settles


def test_skipped_users_never_cost_a_reinvite_and_other_networks_are_untouched_by_a_circuit() -> None:
    wickr = FakeWickr(
        states={UserKey(NETWORK, "5000"): UserState.ACTIVE, UserKey(NETWORK, "5001"): UserState.SUSPENDED}
    )
    with ThreadPoolExecutor(4) as pool:
        service, _ = _service(wickr, pool, concurrency=4)
        report = service.process(_requests(3), Deadline.never())

    assert [call[1] for call in wickr.calls] == [("5002",)]
    verdicts = {key.user_id: outcome.verdict for key, outcome in report.outcomes.items()}
    assert verdicts == {"5000": Verdict.SKIPPED, "5001": Verdict.SKIPPED, "5002": Verdict.REINVITED}
