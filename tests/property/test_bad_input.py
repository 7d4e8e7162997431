"""Whatever arrives in `Records`, the handler answers Lambda's partial-batch shape and never calls Wickr for junk."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DEMO_NETWORK, OTHER_NETWORK, FakeLambdaContext, sqs_record
from wickr_emulator import WickrEmulator

ALLOWED = (DEMO_NETWORK, OTHER_NETWORK)
DIGITS = re.compile(r"[0-9]{1,10}")


def is_username(name: Any) -> bool:
    """The username rule, restated for the oracle: 1 to 256 characters, no space, control or format character."""
    return (
        isinstance(name, str)
        and 1 <= len(name) <= 256
        and not any(char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Cs"} for char in name)
    )


NETWORK = re.compile(r"[0-9]{8}")
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- strategies ---------------------------------------------------------------------------------------------------
# Lone surrogates are legal in a Python str, not in UTF-8: a body or id holding one must still fail cleanly.
surrogate_text = st.builds(lambda head, lone: head + lone, st.text(max_size=4), st.characters(categories=["Cs"]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
known_users = st.sampled_from(["1001", "1002", "1003", "1008", "1011", "2001", "9999999999", "0"])
good_user_ids = st.lists(known_users | st.from_regex(r"\A[0-9]{1,10}\Z"), min_size=1, max_size=5)
bad_user_id = st.one_of(
    st.just(""),
    st.just("12345678901"),  # 11 digits
    st.just("10a1"),
    st.just("1001\n"),
    st.just(" 1001"),
    st.just("١٢٣"),  # Arabic-Indic digits: not [0-9]
    st.integers(min_value=0, max_value=10**12),
    st.none(),
    st.text(max_size=12).filter(lambda s: not DIGITS.fullmatch(s)),
)
bad_network = st.one_of(
    st.just("99999999"),  # well formed, not allowed
    st.just("1234567"),
    st.just("123456789"),
    st.just("1234567a"),
    st.just(f"{DEMO_NETWORK}\n"),
    st.integers(),
    st.none(),
    st.text(max_size=10).filter(lambda s: s not in ALLOWED),
)


@st.composite
def near_valid_bodies(draw: st.DrawFn) -> str:
    """A body one defect away from valid: bad network, bad or missing ids, wrong types, too many ids."""
    network: Any = draw(st.sampled_from(ALLOWED))
    user_ids: Any = draw(good_user_ids)
    defect = draw(st.sampled_from(["network", "user", "empty", "too_many", "ids_type", "missing", "not_object"]))
    body: Any
    if defect == "network":
        network = draw(bad_network)
    elif defect == "user":
        user_ids = [*user_ids, draw(bad_user_id)]
    elif defect == "empty":
        user_ids = []
    elif defect == "too_many":
        user_ids = [str(1000 + n) for n in range(draw(st.integers(min_value=51, max_value=60)))]
    elif defect == "ids_type":
        user_ids = draw(st.one_of(st.text(max_size=5), st.integers(), st.dictionaries(st.text(max_size=3), st.text())))
    body = {"networkId": network, "userIds": user_ids}
    if defect == "missing":
        body.pop(draw(st.sampled_from(["networkId", "userIds"])))
    elif defect == "not_object":
        body = [body]
    return json.dumps(body)


bad_bodies = st.one_of(
    st.text(max_size=40),
    surrogate_text,
    surrogate_text.map(lambda s: json.dumps({"networkId": DEMO_NETWORK, "userIds": [s]}, ensure_ascii=False)),
    json_values.map(json.dumps),
    near_valid_bodies(),
    st.just(""),
    st.just("{"),
    st.just('{"networkId": "12345678", "userIds": ["1001"]'),  # truncated
)
message_ids = st.text(min_size=1, max_size=20)  # what a valid record may carry (real ones are UUIDs)
bad_message_ids = message_ids | surrogate_text


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    body = {"networkId": draw(st.sampled_from(ALLOWED)), "userIds": draw(good_user_ids)}
    return sqs_record(body, message_id=draw(message_ids))


@st.composite
def bad_records(draw: st.DrawFn) -> Any:
    """A record that can never succeed: a bad body in a good envelope, a broken envelope, or not a dict at all."""
    kind = draw(st.sampled_from(["body", "body", "body", "envelope", "junk"]))
    if kind == "body":
        return sqs_record(draw(bad_bodies), message_id=draw(bad_message_ids))
    if kind == "envelope":
        record = sqs_record({"networkId": DEMO_NETWORK, "userIds": ["1001"]}, message_id=draw(message_ids))
        broken = draw(st.sampled_from(["no_body", "body_type", "no_id", "empty_id", "id_type", "surrogate_id"]))
        if broken == "no_body":
            del record["body"]
        elif broken == "body_type":
            record["body"] = draw(json_values.filter(lambda v: not isinstance(v, str)))
        elif broken == "no_id":
            del record["messageId"]
        elif broken == "empty_id":
            record["messageId"] = ""
        elif broken == "surrogate_id":
            # pydantic cannot hold a lone surrogate: such a record is refused (and listed), though its body is fine
            record["messageId"] = draw(surrogate_text)
        else:
            record["messageId"] = draw(st.integers() | st.lists(st.integers(), max_size=2))
        return record
    return draw(json_values)


def is_valid(record: Any) -> bool:
    """An oracle written apart from the code under test: what a record needs to be worked on."""
    if not isinstance(record, dict):
        return False
    message_id, body = record.get("messageId"), record.get("body")
    if not isinstance(message_id, str) or not message_id or not isinstance(body, str):
        return False
    if not _utf8(message_id) or not _utf8(body):
        return False
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    if not isinstance(parsed, dict):
        return False
    network, user_ids, usernames = parsed.get("networkId"), parsed.get("userIds", []), parsed.get("usernames", [])
    return (
        isinstance(network, str)
        and network in ALLOWED
        and isinstance(user_ids, list)
        and isinstance(usernames, list)
        and 1 <= len(user_ids) + len(usernames) <= 50
        and all(isinstance(uid, str) and DIGITS.fullmatch(uid) for uid in user_ids)
        and all(is_username(name) for name in usernames)
    )


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_shape(response: Any) -> set[str]:
    assert isinstance(response, dict)
    assert set(response) == {"batchItemFailures"}
    failures = response["batchItemFailures"]
    assert isinstance(failures, list)
    for item in failures:
        assert isinstance(item, dict)
        assert set(item) == {"itemIdentifier"}
        assert isinstance(item["itemIdentifier"], str)
    return {item["itemIdentifier"] for item in failures}


REFUSED = "refused whole"


def is_reportable(record: Any) -> bool:
    """The oracle for the envelope: a record that could be named alone in batchItemFailures."""
    return (
        isinstance(record, dict)
        and record.get("eventSource") == "aws:sqs"
        and isinstance(record.get("messageId"), str)
        and record["messageId"] != ""
    )


def invoke(event: Any, emulator: WickrEmulator) -> Any:
    """The handler's answer, or REFUSED when it refused the whole event (an error naming why)."""
    from reinviter.entry.sqs import EventShapeError
    from reinviter.handler import lambda_handler

    emulator.reset_journal()
    try:
        return lambda_handler(event, FakeLambdaContext())
    except EventShapeError:
        return REFUSED


def check_answer(response: Any, records: list[Any]) -> set[str] | None:
    """Refused exactly when some record could not be named alone (or there are none); else the partial-batch shape."""
    if not records or not all(is_reportable(record) for record in records):
        assert response == REFUSED
        return None
    return check_shape(response)


# -- properties ---------------------------------------------------------------------------------------------------
@SETTINGS
@given(records=st.lists(bad_records(), min_size=1, max_size=6))
def test_invalid_records_are_listed_and_never_reach_wickr(emulator: WickrEmulator, records: list[Any]) -> None:
    listed = check_answer(invoke({"Records": records}, emulator), records)

    for record in records:
        assert not is_valid(record), record  # the strategy's promise, checked by the oracle
        if listed is not None:
            assert record["messageId"] in listed
    assert emulator.journal == []


@SETTINGS
@given(
    valid=st.lists(valid_records(), max_size=4),
    invalid=st.lists(bad_records(), max_size=4),
    data=st.data(),
)
def test_mixed_batches_fail_exactly_the_invalid_records(
    emulator: WickrEmulator, valid: list[dict[str, Any]], invalid: list[Any], data: st.DataObject
) -> None:
    records = data.draw(st.permutations([*valid, *invalid]))
    valid_ids = {record["messageId"] for record in valid}
    invalid_ids = {
        str(record["messageId"]) for record in invalid if isinstance(record, dict) and record.get("messageId")
    }

    listed = check_answer(invoke({"Records": records}, emulator), records)

    if listed is None:  # refused whole: nothing was done for any record
        assert emulator.journal == []
        return
    assert invalid_ids <= listed
    assert listed & valid_ids <= invalid_ids  # a valid record is listed only if an invalid one shares its id
    if not valid:
        assert emulator.journal == []


@SETTINGS
@given(records=st.lists(valid_records(), min_size=1, max_size=6, unique_by=lambda r: r["messageId"]))
def test_valid_records_never_fail_without_faults(emulator: WickrEmulator, records: list[dict[str, Any]]) -> None:
    listed = check_shape(invoke({"Records": records}, emulator))

    assert listed == set()
    assert emulator.calls("GetUser") >= 1


@SETTINGS
@given(
    records=st.one_of(st.lists(bad_records(), max_size=3), json_values, st.text(max_size=5)),
    extra=st.dictionaries(st.text(max_size=10).filter(lambda k: k != "Records"), json_values, max_size=4),
)
def test_any_event_with_records_is_answered_in_the_partial_batch_shape_or_refused_whole(
    emulator: WickrEmulator, records: Any, extra: dict[str, Any]
) -> None:
    response = invoke({**extra, "Records": records}, emulator)

    check_answer(response, records if isinstance(records, list) else [])
    assert emulator.journal == []
