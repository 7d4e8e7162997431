"""Username resolution: what a ListUsers answer means (pure), and the service's resolve stage over fakes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from devkit.fakes import FakeWickr, InMemoryLedger, InMemoryNameCache
from reinviter.core.deadline import Deadline
from reinviter.core.errors import DeadlineReached, UsernameTooBroad, WickrAccessError
from reinviter.core.metric_names import Metric
from reinviter.core.model import ListedUser, Request, UserKey, UserOutcome, UserState, Verdict
from reinviter.core.policy import Policy
from reinviter.core.usernames import UNKNOWN, Found, Resolutions, match, name_key
from reinviter.orchestration.service import ReinviteService

NETWORK = "12345678"
POLICY = Policy(cooldown_s=3600.0, max_attempts=5)
BOB = name_key(NETWORK, "Bob@X.org")


def _listed(*users: tuple[str, str, UserState]) -> list[ListedUser]:
    return [ListedUser(user_id, state, username) for user_id, username, state in users]


def test_only_an_exact_match_ignoring_case_resolves() -> None:
    partial = _listed(("1", "jimbob@x.org", UserState.PENDING), ("2", "bob@x.org.uk", UserState.PENDING))

    assert match(partial, BOB) == UNKNOWN
    assert match([*partial, *_listed(("3", "BOB@x.ORG", UserState.ACTIVE))], BOB) == Found("3", UserState.ACTIVE)


def test_two_exact_matches_are_a_failure_but_one_user_listed_twice_is_one() -> None:
    twice = _listed(("3", "bob@x.org", UserState.PENDING), ("3", "bob@x.org", UserState.PENDING))
    two = _listed(("3", "bob@x.org", UserState.PENDING), ("4", "BOB@x.org", UserState.SUSPENDED))

    assert match(twice, BOB) == Found("3", UserState.PENDING)
    assert match(two, BOB) == UserOutcome(Verdict.FAILED, "ambiguous username: 2 users match it exactly")


def test_a_name_key_never_shows_the_username() -> None:
    assert "bob" not in repr(BOB).lower()
    assert "bob" not in repr(Request("m", NETWORK, (), 1, ("bob@x.org",))).lower()


def test_entries_are_labelled_by_place_and_a_user_named_twice_is_one_user() -> None:
    request = Request("m", NETWORK, ("7",), 1, ("a@x.org", "b@x.org", "A@X.org", "c@x.org"))
    directory = Resolutions(
        {
            name_key(NETWORK, "a@x.org"): Found("7", UserState.ACTIVE),
            name_key(NETWORK, "b@x.org"): Found("8", UserState.PENDING),
            name_key(NETWORK, "c@x.org"): UNKNOWN,
        }
    )

    assert directory.user_ids(request) == ["7", "8"]
    assert list(directory.entries(request)) == [
        ("7", UserKey(NETWORK, "7")),
        ("usernames[0]", UserKey(NETWORK, "7")),
        ("usernames[1]", UserKey(NETWORK, "8")),
        ("usernames[2]", UserKey(NETWORK, "7")),
        ("usernames[3]", UNKNOWN),
    ]
    assert directory.known_states() == {
        UserKey(NETWORK, "7"): UserState.ACTIVE,
        UserKey(NETWORK, "8"): UserState.PENDING,
    }


def _process(wickr: FakeWickr, names: InMemoryNameCache, *requests: Request) -> dict[str, object]:
    ledger = InMemoryLedger(POLICY, lambda: 1_800_000_000.0)
    with ThreadPoolExecutor(4) as pool, ThreadPoolExecutor(1) as ledger_pool:
        service = ReinviteService(
            wickr, pool, concurrency=4, policy=POLICY, ledger=ledger, ledger_pool=ledger_pool, names=names
        )
        report = service.process(list(requests), Deadline.never())
    return {"failed": report.failed_message_ids, "verdicts": report.verdicts(), "counts": dict(report.counts)}


@pytest.mark.parametrize(
    ("error", "verdict", "reason"),
    [
        (DeadlineReached("no time"), Verdict.UNFINISHED, "ListUsers: no time left"),
        (WickrAccessError("denied", code="403", status=403), Verdict.FAILED, "ListUsers: 403"),
        (UsernameTooBroad("the username filter matched more than 1000 users"), Verdict.FAILED, "more than 1000"),
    ],
)
def test_a_lookup_without_an_answer_retries_its_message_and_no_other(
    error: Exception, verdict: Verdict, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    wickr = FakeWickr(directory={"ok@x.org": _listed(("5", "ok@x.org", UserState.PENDING))})
    wickr.lookup_errors["bad@x.org"] = error  # type: ignore[assignment]

    result = _process(
        wickr,
        InMemoryNameCache(),
        Request("m-1", NETWORK, (), 1, ("bad@x.org",)),
        Request("m-2", NETWORK, (), 1, ("ok@x.org",)),
    )

    assert result["failed"] == ["m-1"]
    assert UserKey(NETWORK, "5") in wickr.sent
    (line,) = [record for record in caplog.records if getattr(record, "message_id", None) == "m-1"]
    assert reason in line.problems["usernames[0]"]  # type: ignore[attr-defined]
    assert verdict.value in line.verdicts  # type: ignore[attr-defined]


def test_a_cache_that_cannot_be_read_or_written_costs_lookups_and_nothing_else() -> None:
    wickr = FakeWickr(directory={"ok@x.org": _listed(("5", "ok@x.org", UserState.PENDING))})

    result = _process(wickr, InMemoryNameCache(unavailable=True), Request("m-1", NETWORK, (), 1, ("ok@x.org",)))

    assert result["failed"] == []
    assert (wickr.lookups, list(wickr.sent)) == (["ok@x.org"], [UserKey(NETWORK, "5")])


def test_a_cached_resolution_costs_no_lookup_and_a_missing_user_is_looked_up_again() -> None:
    names = InMemoryNameCache({name_key(NETWORK, "ok@x.org"): "5", name_key(NETWORK, "gone@x.org"): "6"})
    wickr = FakeWickr(directory={"gone@x.org": _listed(("9", "gone@x.org", UserState.PENDING))})
    wickr.usernames[UserKey(NETWORK, "5")] = "OK@x.org"
    wickr.states[UserKey(NETWORK, "6")] = UserState.NOT_FOUND

    result = _process(wickr, names, Request("m-1", NETWORK, (), 1, ("ok@x.org", "gone@x.org")))

    assert result["failed"] == []
    assert wickr.lookups == ["gone@x.org"]
    assert set(wickr.sent) == {UserKey(NETWORK, "5"), UserKey(NETWORK, "9")}
    assert names.entries[name_key(NETWORK, "gone@x.org")] == "9"
    assert result["counts"][Metric.USERNAME_CACHE_HITS] == 1


def test_a_cached_id_whose_user_was_renamed_is_dropped_and_the_name_looked_up_again() -> None:
    """Wickr's UpdateUser can change a username, with no 404: GetUser's username is what confirms a cached id."""
    names = InMemoryNameCache({name_key(NETWORK, "ana@x.org"): "5"})
    wickr = FakeWickr(directory={"ana@x.org": _listed(("9", "ana@x.org", UserState.PENDING))})
    wickr.usernames[UserKey(NETWORK, "5")] = "ana.old@x.org"  # user 5 was renamed; user 9 is the new ana@

    result = _process(wickr, names, Request("m-1", NETWORK, (), 1, ("ana@x.org",)))

    assert result["failed"] == []
    assert wickr.confirmations == [UserKey(NETWORK, "5")]
    assert wickr.lookups == ["ana@x.org"]
    assert set(wickr.sent) == {UserKey(NETWORK, "9")}  # never the renamed user
    assert names.entries[name_key(NETWORK, "ana@x.org")] == "9"


def test_usernames_are_the_same_after_nfc_and_case_folding() -> None:
    decomposed = "jose\u0301@x.org"  # e + combining acute accent
    assert name_key(NETWORK, decomposed) == name_key(NETWORK, "JOSÉ@X.ORG")
    assert name_key(NETWORK, "STRASSE@x.org") == name_key(NETWORK, "straße@x.org")  # only full folding equates these
    assert name_key(NETWORK, decomposed).query == "josé@x.org"  # ListUsers is asked with the NFC form
    assert name_key(NETWORK, "bob@x.org") != name_key(NETWORK, "bob@x.org.uk")
