"""The operator's `reinviter` command, driven through Click's runner against moto's server and the Wickr emulator.

The ledger's records are made by the real handler (so the command reads what the function writes), the stack's
outputs by a real CloudFormation stack in moto, and the deployed function's configuration by a Lambda function in moto.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
import zipfile
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from tests.conftest import DEMO_NETWORK, FakeLambdaContext, failed_ids, sqs_event, sqs_record
from tests.integration.conftest import receive_all, table_items
from wickr_emulator import WickrEmulator

# The demo seed: 1001 Ada Quill and 1002 Bruno Vale pending, 1003 Cora Lindqvist active.
NAMES = ("Ada", "Quill", "ada.quill@example.com", "Bruno", "bruno.vale@example.com", "Cora", "Lindqvist")


def reinviter(*args: str, stdin: str | None = None) -> Result:
    from reinviter_cli.app import cli

    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def _reinvite(*user_ids: str) -> dict[str, Any]:
    from reinviter.handler import lambda_handler
    from reinviter.settings import get_settings
    from reinviter.wiring import container

    body = {"networkId": DEMO_NETWORK, "userIds": list(user_ids)}
    response = lambda_handler(sqs_event(sqs_record(body, message_id=str(uuid.uuid4()))), FakeLambdaContext())
    container.cache_clear()  # the next call reads the environment again (a test may change the policy)
    get_settings.cache_clear()
    return response


def _flat(text: str) -> str:
    """The output with its line wrapping and padding undone."""
    return " ".join(text.split())


def _names_in(text: str) -> list[str]:
    return [name for name in NAMES if name.lower() in text.lower()]


@pytest.fixture
def where(ledger_table: str, queue_url: str, emulator: WickrEmulator) -> list[str]:
    """The deployment named explicitly (the stack's outputs are tested on their own below)."""
    return ["--table", ledger_table]


# -- status ------------------------------------------------------------------------------------------------------
def test_status_of_a_reinvited_user_shows_the_ledger_wickr_and_the_next_step_without_names(
    where: list[str], emulator: WickrEmulator
) -> None:
    assert failed_ids(_reinvite("1001")) == set()

    result = reinviter("status", DEMO_NETWORK, "1001", *where)

    assert result.exit_code == 0, result.output
    out = result.output
    assert "attempts 1 of 5" in _flat(out)
    assert "next due" in out
    assert "pending" in out
    assert "skip: in cooldown until" in out
    assert _names_in(out) == []
    assert "hidden (--show-names prints it)" in out


def test_status_with_show_names_prints_the_name_and_username(where: list[str], emulator: WickrEmulator) -> None:
    result = reinviter("status", DEMO_NETWORK, "1001", "--show-names", *where)

    assert result.exit_code == 0, result.output
    assert {"Ada", "Quill", "ada.quill@example.com"} <= set(_names_in(result.output))
    assert "none: never reinvited by the function" in result.output
    assert "reinvite: attempt 1 of 5" in result.output


def test_status_of_a_skipped_user_says_why(where: list[str], emulator: WickrEmulator) -> None:
    assert failed_ids(_reinvite("1003")) == set()  # active: skipped, no record written

    result = reinviter("status", DEMO_NETWORK, "1003", *where)

    assert result.exit_code == 0, result.output
    assert "skip: active (GetUser's answer)" in result.output
    assert _names_in(result.output) == []


def test_status_of_a_user_wickr_does_not_know(where: list[str], emulator: WickrEmulator) -> None:
    result = reinviter("status", DEMO_NETWORK, "9999", *where)

    assert result.exit_code == 0, result.output
    assert "not found in this network" in result.output
    assert "skip: not found" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "1234", "1001"], "'1234' is not a network id"),
        (["status", DEMO_NETWORK, "ana"], "'ana' is not a user id"),
        (["status", DEMO_NETWORK], "Missing argument 'USER'"),
        (["reset", DEMO_NETWORK], "Missing argument 'USER...'"),
        (["given-up", DEMO_NETWORK, "--format", "xml"], "'xml' is not one of"),
        (["enqueue", DEMO_NETWORK], "either with --file PATH or as -"),
        (["frobnicate"], "No such command"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = reinviter(*args)

    assert result.exit_code == 2
    assert message in result.output


def test_a_table_that_does_not_exist_is_a_reported_problem(emulator: WickrEmulator, aws: str) -> None:
    result = reinviter("status", DEMO_NETWORK, "1001", "--table", "no-such-table")

    assert result.exit_code == 1
    assert "table 'no-such-table' not found in us-east-1: check --table" in result.output


def test_no_credentials_is_a_reported_problem(
    aws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, emulator: WickrEmulator
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    result = reinviter("status", DEMO_NETWORK, "1001", "--table", "ledger")

    assert result.exit_code == 1
    assert "no AWS credentials found" in result.output


# -- given-up ----------------------------------------------------------------------------------------------------
@pytest.fixture
def given_up_users(where: list[str], emulator: WickrEmulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """1001 and 1002 reach a cap of 1; 1004 is reinvited under a cap of 5 (not given up)."""
    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "1")
    assert failed_ids(_reinvite("1001", "1002")) == set()
    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "5")
    assert failed_ids(_reinvite("1004")) == set()
    return ["1001", "1002"]


def test_given_up_lists_the_capped_users_by_query_without_names(
    where: list[str], given_up_users: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    operations: list[str] = []
    real_client = boto3.session.Session.client

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = real_client(self, *args, **kwargs)
        client.meta.events.register("before-call.dynamodb", lambda model, **_: operations.append(model.name))
        return client

    monkeypatch.setattr(boto3.session.Session, "client", watched)

    result = reinviter("given-up", DEMO_NETWORK, *where, "--max-attempts", "1")

    assert result.exit_code == 0, result.output
    assert "Given up in 12345678: 2 user(s)" in result.output
    assert "1001" in result.output
    assert "1002" in result.output
    assert "1004" not in result.output
    assert _names_in(result.output) == []
    assert operations == ["Query"]  # never a Scan


def test_given_up_as_json_and_with_names(where: list[str], given_up_users: list[str]) -> None:
    plain = json.loads(reinviter("given-up", DEMO_NETWORK, *where, "--format", "json").output)
    named = reinviter("given-up", DEMO_NETWORK, *where, "--format", "json", "--with-names")

    assert [row["user_id"] for row in plain] == given_up_users
    assert {row["attempts"] for row in plain} == {"1"}
    assert all("username" not in row for row in plain)
    rows = json.loads(named.output)
    assert [(row["first_name"], row["username"]) for row in rows] == [
        ("Ada", "ada.quill@example.com"),
        ("Bruno", "bruno.vale@example.com"),
    ]


def test_given_up_csv_round_trips_into_enqueue(
    where: list[str], given_up_users: list[str], sqs: Any, tmp_path: Any
) -> None:
    exported = reinviter("given-up", DEMO_NETWORK, *where, "--format", "csv", "--with-names")
    assert exported.exit_code == 0, exported.output
    assert [row["user_id"] for row in csv.DictReader(io.StringIO(exported.output))] == given_up_users
    path = tmp_path / "given-up.csv"
    path.write_text(exported.output)
    queue = os.environ["REINVITE_QUEUE_URL"]  # the `queue_url` fixture's

    result = reinviter("enqueue", DEMO_NETWORK, "--file", str(path), "--queue-url", queue, "--any-network")

    assert result.exit_code == 0, result.output
    bodies = [json.loads(message["Body"]) for message in receive_all(sqs, queue)]
    assert bodies == [{"networkId": DEMO_NETWORK, "userIds": given_up_users}]
    assert _names_in(result.output) == []


def test_nobody_given_up_says_so(where: list[str], emulator: WickrEmulator) -> None:
    result = reinviter("given-up", DEMO_NETWORK, *where)

    assert result.exit_code == 0, result.output
    assert "Nobody is given up in 12345678." in result.output


# -- report ------------------------------------------------------------------------------------------------------
@pytest.fixture
def outcomes_in_the_ledger(where: list[str], emulator: WickrEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Made by the handler: 1001 joins after one reinvite, 1002 reaches a cap of 2, 1004 is still pending."""
    monkeypatch.setenv("REINVITE_COOLDOWN_HOURS", "0")
    monkeypatch.setenv("REINVITE_MAX_ATTEMPTS", "2")
    assert failed_ids(_reinvite("1001", "1002", "1004")) == set()
    emulator.update_user(DEMO_NETWORK, "1001", status=2)  # accepts
    assert failed_ids(_reinvite("1001", "1002")) == set()  # the join seen; 1002's second and last reinvite


def test_report_counts_the_cohorts_outcomes_and_conversion(where: list[str], outcomes_in_the_ledger: None) -> None:
    result = reinviter("report", DEMO_NETWORK, "--format", "json", *where)

    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert {key: value for key, value in found.items() if key != "per_day"} == {
        "network_id": DEMO_NETWORK,
        "days": 30,
        "reinvited": 3,
        "joined": 1,
        "given_up": 1,
        "gone": 0,
        "still_pending": 1,
        "conversion": 0.3333,
        "median_reinvites_before_join": 1,
        "median_hours_to_join": 0.0,
    }
    assert len(found["per_day"]) == 31  # the window's first (partial) day through today
    assert found["per_day"][-1] | {"date": ""} == {"date": "", "reinvited": 3, "joined": 1}
    assert sum(day["reinvited"] for day in found["per_day"]) == 3


def test_report_as_a_table_and_a_chart_and_as_csv(where: list[str], outcomes_in_the_ledger: None) -> None:
    table = reinviter("report", DEMO_NETWORK, "--days", "7", *where)
    assert table.exit_code == 0, table.output
    flat = _flat(table.output)
    assert "conversion 33.3%" in flat
    assert "median reinvites to join 1" in flat
    assert "█ 3" in table.output  # today's bar
    assert _names_in(table.output) == []

    rows = list(csv.DictReader(io.StringIO(reinviter("report", DEMO_NETWORK, "--format", "csv", *where).output)))
    assert len(rows) == 31
    assert (rows[-1]["first_reinvites"], rows[-1]["joins"]) == ("3", "1")


def test_report_of_a_network_nobody_was_reinvited_in(where: list[str]) -> None:
    result = reinviter("report", "87654321", *where)
    assert result.exit_code == 0, result.output
    assert "conversion n/a" in _flat(result.output)


def test_backfill_puts_old_records_into_the_sweeps_join_check(  # noqa: PLR0917 - fixtures
    where: list[str], emulator: WickrEmulator, dynamodb: Any, ledger_table: str, queue_url: str, sqs: Any
) -> None:
    from reinviter.handler import lambda_handler

    assert failed_ids(_reinvite("1001", "1002", "1004")) == set()
    for user_id in ("1001", "1002"):  # as a version before joins were tracked settled them
        dynamodb.update_item(
            TableName=ledger_table,
            Key={"pk": {"S": f"user#{DEMO_NETWORK}#{user_id}"}},
            UpdateExpression="REMOVE awaiting, first_reinvited_at",
        )
    emulator.update_user(DEMO_NETWORK, "1001", status=2)  # accepts: only the join check would ever see it

    def sweep() -> dict[str, Any]:
        summary = lambda_handler({"networkIds": [DEMO_NETWORK]}, FakeLambdaContext())["sweep"][DEMO_NETWORK]
        receive_all(sqs, queue_url)  # its messages are not the point here
        return summary

    assert sweep()["usersJoined"] == 0  # the old record is in no index

    result = reinviter("backfill", DEMO_NETWORK, *where, "--any-network")

    assert result.exit_code == 0, result.output
    assert "2 reinvited user(s) without an outcome put into AwaitingIndex" in _flat(result.output)
    assert sweep()["usersJoined"] == 1
    items = table_items(dynamodb, ledger_table)
    assert "joined_at" in items[f"user#{DEMO_NETWORK}#1001"]
    assert "first_reinvited_at" not in items[f"user#{DEMO_NETWORK}#1002"]  # never guessed
    again = reinviter("backfill", DEMO_NETWORK, *where, "--any-network")  # nothing left to mark
    assert "0 reinvited user(s)" in _flat(again.output)


# -- reset -------------------------------------------------------------------------------------------------------
def test_reset_clears_attempts_cooldown_and_given_up_so_the_next_request_reinvites(
    where: list[str], given_up_users: list[str], emulator: WickrEmulator, dynamodb: Any, ledger_table: str
) -> None:
    result = reinviter("reset", DEMO_NETWORK, "1001", "1003", *where, "--any-network")

    assert result.exit_code == 0, result.output
    assert "12345678/1001: reset: attempts 1 -> 0" in result.output
    assert "given up yes -> no" in result.output
    assert "12345678/1003: no ledger record" in result.output
    item = table_items(dynamodb, ledger_table)[f"user#{DEMO_NETWORK}#1001"]
    assert not {"attempts", "last_reinvited_at", "given_up"} & set(item)
    assert failed_ids(_reinvite("1001")) == set()
    assert emulator.invites_sent(DEMO_NETWORK, "1001") == 2  # reinvited again, inside what was the cooldown


def test_reset_refuses_while_a_claim_is_live_and_exits_1(
    where: list[str], given_up_users: list[str], dynamodb: Any, ledger_table: str
) -> None:
    import time

    dynamodb.update_item(
        TableName=ledger_table,
        Key={"pk": {"S": f"user#{DEMO_NETWORK}#1002"}},
        UpdateExpression="SET claim_token = :t, claim_members = :m, claim_expires_at = :e",
        ExpressionAttributeValues={
            ":t": {"S": "a" * 64},
            ":m": {"L": [{"S": "1002"}]},
            ":e": {"N": str(time.time() + 600)},
        },
    )

    result = reinviter("reset", DEMO_NETWORK, "1001", "1002", *where, "--any-network")

    assert result.exit_code == 1
    assert "12345678/1001: reset" in result.output
    assert "12345678/1002: refused: a live claim" in result.output
    assert "1 of 2 user(s) refused" in result.output
    assert table_items(dynamodb, ledger_table)[f"user#{DEMO_NETWORK}#1002"]["attempts"] == {"N": "1"}


# -- enqueue -----------------------------------------------------------------------------------------------------
def test_enqueue_of_1001_ids_is_21_messages_in_3_calls(queue_url: str, sqs: Any, tmp_path: Any) -> None:
    ids = [str(10_000 + n) for n in range(1001)]
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(ids) + "\n")

    result = reinviter("enqueue", DEMO_NETWORK, "--file", str(path), "--queue-url", queue_url, "--any-network")

    assert result.exit_code == 0, result.output
    assert "Queued 1001 user(s) of 12345678 in 21 message(s): 3 SendMessageBatch call(s)" in result.output
    bodies = [json.loads(message["Body"]) for message in receive_all(sqs, queue_url)]
    assert len(bodies) == 21
    assert sorted(len(body["userIds"]) for body in bodies) == [1] + [50] * 20
    assert sorted(user for body in bodies for user in body["userIds"]) == sorted(ids)


def test_enqueue_reads_stdin(queue_url: str, sqs: Any) -> None:
    result = reinviter(
        "enqueue", DEMO_NETWORK, "-", "--queue-url", queue_url, "--any-network", stdin="1001\n1002\n1001\n"
    )

    assert result.exit_code == 0, result.output
    assert "1 repeated id(s) sent once" in result.output
    assert [json.loads(m["Body"])["userIds"] for m in receive_all(sqs, queue_url)] == [["1001", "1002"]]


def test_enqueue_reports_every_bad_line_by_number_and_sends_nothing(queue_url: str, sqs: Any, tmp_path: Any) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("1001\n\n# a comment\nana@x.org\n1002\n12345678901\n1003,1004\n")

    result = reinviter("enqueue", DEMO_NETWORK, "--file", str(path), "--queue-url", queue_url, "--any-network")

    assert result.exit_code == 1
    assert "line 4: 'ana@x.org' is not a user id" in result.output
    assert "line 6: '12345678901' is not a user id" in result.output
    assert "line 7: 2 fields" in result.output
    assert "3 bad line(s)" in result.output
    assert "nothing was queued" in result.output
    assert receive_all(sqs, queue_url) == []


# -- preview -----------------------------------------------------------------------------------------------------
def test_preview_counts_what_a_sweep_would_meet_and_sends_nothing(
    where: list[str], emulator: WickrEmulator, queue_url: str, sqs: Any
) -> None:
    assert failed_ids(_reinvite("1001")) == set()
    sent = emulator.calls("BatchReinviteUser")

    result = reinviter("preview", DEMO_NETWORK, *where)

    assert result.exit_code == 0, result.output
    lines = {" ".join(line.split()) for line in result.output.splitlines()}
    pending = sum(1 for user in emulator.users(DEMO_NETWORK) if user.status == 1)
    listed = sum(1 for user in emulator.users(DEMO_NETWORK) if user.status == 1 and not user.suspended)
    expired = sum(
        1 for user in emulator.users(DEMO_NETWORK) if user.status == 1 and not user.suspended and user.is_invite_expired
    )
    assert f"pending (GetUsersCount) {pending}" in lines
    assert f"invitations expired {expired}" in lines
    assert f"then: reinvite {listed - 1}" in lines
    assert "skip, in cooldown 1" in lines
    assert emulator.calls("BatchReinviteUser") == sent
    assert receive_all(sqs, queue_url) == []


# -- the stack's outputs -----------------------------------------------------------------------------------------
POLICY = {"REINVITE_MAX_ATTEMPTS": "3"}


@pytest.fixture
def stack(aws: str, ledger_table: str, queue_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A stack in moto: its outputs name the table, the queue and a function whose environment sets a policy."""
    for service in ("CLOUDFORMATION", "LAMBDA", "IAM"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", aws)
    iam = boto3.client("iam", endpoint_url=aws)
    role = iam.create_role(
        RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    function = boto3.client("lambda", endpoint_url=aws).create_function(
        FunctionName=f"reinviter-{uuid.uuid4().hex[:8]}",
        Runtime="python3.13",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={
            "Variables": {
                "WICKR_NETWORK_IDS": DEMO_NETWORK,
                "REINVITE_COOLDOWN_HOURS": "2",
                "REINVITE_MAX_ATTEMPTS": "3",
            }
        },
    )
    name = f"reinviter-{uuid.uuid4().hex[:8]}"
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "ReinviteLedgerTableName": {"Value": ledger_table},
            "ReinviteQueueUrl": {"Value": queue_url},
            "ReinviterFunctionArn": {"Value": function["FunctionArn"]},
        },
    }
    boto3.client("cloudformation", endpoint_url=aws).create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


def test_the_stack_outputs_name_the_table_queue_and_the_deployed_policy(
    stack: str, emulator: WickrEmulator, sqs: Any, queue_url: str
) -> None:
    assert failed_ids(_reinvite("1001")) == set()

    status = reinviter("status", DEMO_NETWORK, "1001", "--stack", stack)
    queued = reinviter("enqueue", DEMO_NETWORK, "-", "--stack", stack, stdin="1002\n")

    assert status.exit_code == 0, status.output
    assert "2 h cooldown, 3 attempts (from function reinviter-" in _flat(status.output)  # the deployed function's
    assert "1 of 3" in status.output
    assert queued.exit_code == 0, queued.output
    assert [json.loads(m["Body"]) for m in receive_all(sqs, queue_url)] == [
        {"networkId": DEMO_NETWORK, "userIds": ["1002"]}
    ]


def test_enqueue_refuses_a_network_outside_the_deployed_allowlist(stack: str, sqs: Any, queue_url: str) -> None:
    result = reinviter("enqueue", "87654321", "-", "--stack", stack, stdin="1002\n")

    assert result.exit_code == 1
    assert "87654321 is not in the function's allowlist ['12345678']" in result.output
    assert receive_all(sqs, queue_url) == []


def test_a_stack_that_does_not_exist_is_a_reported_problem(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", aws)

    result = reinviter("given-up", DEMO_NETWORK, "--stack", "no-such-stack")

    assert result.exit_code == 1
    assert "stack 'no-such-stack' not found in us-east-1" in result.output


def test_the_default_stack_is_samconfigs(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from reinviter_cli.deployment import default_stack

    (tmp_path / "samconfig.toml").write_text('version = 0.1\n[default.global.parameters]\nstack_name = "ops-stack"\n')

    assert default_stack(tmp_path) == "ops-stack"
    assert default_stack(tmp_path / "elsewhere") is None


def test_names_never_leak_into_any_command_without_the_flag(
    where: list[str], given_up_users: list[str], queue_url: str, emulator: WickrEmulator
) -> None:
    outputs = [
        reinviter("status", DEMO_NETWORK, "1001", *where).output,
        reinviter("status", DEMO_NETWORK, "1003", *where).output,
        reinviter("given-up", DEMO_NETWORK, *where).output,
        reinviter("given-up", DEMO_NETWORK, *where, "--format", "csv").output,
        reinviter("preview", DEMO_NETWORK, *where).output,
        reinviter("enqueue", DEMO_NETWORK, "-", "--queue-url", queue_url, "--any-network", stdin="1001\n").output,
    ]

    assert _names_in("\n".join(outputs)) == []


def test_the_command_is_installed_as_a_console_script() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("reinviter")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)  # noqa: S603

    assert result.returncode == 0, result.stderr
    for command in ("status", "given-up", "reset", "enqueue", "preview"):
        assert command in result.stdout


def test_no_stack_and_no_table_says_what_to_pass(aws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.chdir(tmp_path)  # no samconfig.toml here
    monkeypatch.delenv("REINVITER_STACK", raising=False)

    result = reinviter("given-up", DEMO_NETWORK)

    assert result.exit_code == 1
    assert "no stack to read the table and queue from: pass --stack NAME" in _flat(result.output)


def test_preview_refuses_a_network_outside_the_deployed_allowlist(stack: str, emulator: WickrEmulator) -> None:
    result = reinviter("preview", "87654321", "--stack", stack)

    assert result.exit_code == 1
    assert "['87654321'] not in the function's allowlist ['12345678']: a sweep refuses them" in _flat(result.output)
    assert emulator.calls() == 0  # refused before any Wickr call


def test_enqueue_to_a_queue_that_does_not_exist_is_a_reported_problem(aws: str, queue_url: str) -> None:
    missing = queue_url.rsplit("/", 1)[0] + "/no-such-queue"

    result = reinviter("enqueue", DEMO_NETWORK, "-", "--queue-url", missing, "--any-network", stdin="1001\n")

    assert result.exit_code == 1
    assert "(AWS.SimpleQueueService.NonExistentQueue). Queued before it: 0 message(s)" in _flat(result.output)


# -- untrusted text: names are Wickr's, written by whoever created the user -----------------------------------------
HOSTILE_FIRST = '=HYPERLINK("http://evil.example","click")'
HOSTILE_LAST = "[link=http://evil.example]Quill[/link] [/]"
HOSTILE_USERNAME = "\x1b]8;;http://evil.example\x07ada@x.org\x1b[2J\u202e"


@pytest.fixture
def hostile_names(emulator: WickrEmulator) -> None:
    """User 1001 renamed through UpdateUser with a formula, rich markup and terminal escape sequences."""
    wickr = boto3.client("wickr", endpoint_url=emulator.url, region_name="us-east-1")
    wickr.update_user(
        networkId=DEMO_NETWORK,
        userId="1001",
        userDetails={"firstName": HOSTILE_FIRST, "lastName": HOSTILE_LAST, "username": HOSTILE_USERNAME},
    )


def test_hostile_names_are_inert_in_csv(where: list[str], given_up_users: list[str], hostile_names: None) -> None:
    result = reinviter("given-up", DEMO_NETWORK, *where, "--format", "csv", "--with-names")

    assert result.exit_code == 0, result.output
    (row,) = [row for row in csv.DictReader(io.StringIO(result.output)) if row["user_id"] == "1001"]
    assert row["first_name"] == "'" + HOSTILE_FIRST  # a spreadsheet shows it as text, never runs it
    assert row["username"] == "]8;;http://evil.exampleada@x.org[2J"  # escape, bell and bidi override gone
    assert "\x1b" not in result.output
    assert "\u202e" not in result.output


@pytest.mark.parametrize("output_format", ["table", "json"])
def test_hostile_names_are_text_in_tables_and_json(
    where: list[str],
    given_up_users: list[str],
    hostile_names: None,
    output_format: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that rich's table shows every cell whole
    result = reinviter("given-up", DEMO_NETWORK, *where, "--format", output_format, "--with-names")

    assert result.exit_code == 0, result.output  # `[/]` in a name used to crash the table
    assert "\x1b" not in result.output
    assert "\x07" not in result.output
    if output_format == "json":
        (row,) = [row for row in json.loads(result.output) if row["user_id"] == "1001"]
        assert (row["last_name"], row["username"]) == (HOSTILE_LAST, "]8;;http://evil.exampleada@x.org[2J")
    else:
        assert "[link=" in result.output  # shown as text, not made a clickable link


def test_status_shows_a_hostile_name_as_text(where: list[str], hostile_names: None) -> None:
    result = reinviter("status", DEMO_NETWORK, "1001", *where, "--show-names")

    assert result.exit_code == 0, result.output
    assert "[link=http://evil.example]Quill[/link] [/]" in _flat(result.output)
    assert "\x1b" not in result.output


def test_the_command_line_installs_no_lambda_exception_hook() -> None:
    import subprocess
    import sys

    code = "import sys, reinviter_cli.app, reinviter.wiring; print(sys.excepthook is sys.__excepthook__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize("command", [["reset", DEMO_NETWORK, "1001"], ["enqueue", DEMO_NETWORK, "-"]])
def test_writes_without_a_deployed_allowlist_are_refused_unless_told(
    command: list[str], ledger_table: str, queue_url: str, emulator: WickrEmulator, sqs: Any
) -> None:
    named = ["--table", ledger_table] if command[0] == "reset" else ["--queue-url", queue_url]

    refused = reinviter(*command, *named, stdin="1001\n")

    assert refused.exit_code == 1
    assert "no deployed allowlist was read" in _flat(refused.output)
    assert receive_all(sqs, queue_url) == []
    assert reinviter(*command, *named, "--any-network", stdin="1001\n").exit_code == 0


def test_reset_refuses_a_network_outside_the_deployed_allowlist(stack: str) -> None:
    result = reinviter("reset", "87654321", "1001", "--stack", stack)

    assert result.exit_code == 1
    assert "87654321 is not in the function's allowlist ['12345678']" in _flat(result.output)
