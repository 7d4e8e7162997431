"""Least privilege proven on what is deployed: template.yaml as SAM expands it, managed policies included.

checkov and cfn-lint read the YAML we wrote; SAM adds to it (implicit roles, managed policies for event sources). The
translator runs in the SAM CLI's own venv (`make validate` builds it; tests/sam_expand.py), and every rule here is
checked on its output. Resource policies (queues, secret) are evaluated the way IAM would for a given caller.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.infrastructure.test_template import ACCOUNT, ATTRIBUTES, ROOT, _as_list, _refs, _resolve

SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# What SAM would have attached without the written-out role, and what each published document grants.
PUBLISHED = {
    "AWSLambdaBasicExecutionRole": "logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents on *",
    "AWSLambdaSQSQueueExecutionRole": "sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes and logs on *",
    "AWSXrayWriteOnlyAccess": "xray:PutTraceSegments, PutTelemetryRecords, GetSampling* on *",
}
FUNCTION_ROLE = ATTRIBUTES["ReinviterRole.Arn"]
SCHEDULER_ROLE = ATTRIBUTES["SweepSchedulerRole.Arn"]
ONBOARDING = f"arn:aws:iam::{ACCOUNT}:role/onboarding"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/operator"
STRANGER = f"arn:aws:iam::{ACCOUNT}:role/anyone-with-sqs-star"


@cache
def _expanded() -> dict[str, Any]:
    if not SAM_PYTHON.exists():
        pytest.skip("the SAM CLI's venv is missing: `make validate` (part of `make test`) builds it")
    out = subprocess.run(  # noqa: S603 - our own script, our own interpreter
        [str(SAM_PYTHON), str(ROOT / "tests" / "sam_expand.py"), str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        check=True,
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.fixture
def expanded() -> dict[str, Any]:
    return _expanded()


def _of(expanded: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in expanded["Resources"].items() if res["Type"] == kind}


def _role_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def test_no_role_carries_a_managed_policy(expanded):
    for name, role in _of(expanded, "AWS::IAM::Role").items():
        attached = [arn.rsplit("/", 1)[-1] for arn in role["Properties"].get("ManagedPolicyArns", [])]
        assert attached == [], f"{name} attaches {[(policy, PUBLISHED.get(policy, '?')) for policy in attached]}"
    assert not _of(expanded, "AWS::IAM::ManagedPolicy")
    assert not _of(expanded, "AWS::IAM::Policy")


def test_no_allow_on_star_but_xrays(expanded):
    for name, role in _of(expanded, "AWS::IAM::Role").items():
        for statement in _role_statements(role):
            if statement["Effect"] == "Allow" and "*" in _as_list(statement["Resource"]):
                assert set(_as_list(statement["Action"])) <= XRAY_ACTIONS, (name, statement)


def test_the_function_and_its_poller_use_the_written_out_role(expanded):
    (function,) = _of(expanded, "AWS::Lambda::Function").values()
    assert function["Properties"]["Role"] == {"Fn::GetAtt": ["ReinviterRole", "Arn"]}
    assert function["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": "ReinviterLogGroup"}}
    (mapping,) = _of(expanded, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["ReinviteQueue", "Arn"]}


@pytest.mark.parametrize(
    ("actions", "resource"),
    [
        ({"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, "ReinviteQueue"),
        ({"logs:CreateLogStream", "logs:PutLogEvents"}, "ReinviterLogGroup"),
    ],
)
def test_sqs_polling_and_logs_are_granted_on_the_functions_own_resources_only(expanded, actions, resource):
    statements = _role_statements(expanded["Resources"]["ReinviterRole"])
    granting = [s for s in statements if s["Effect"] == "Allow" and actions & set(_as_list(s["Action"]))]
    assert granting
    for statement in granting:
        assert statement["Resource"] == {"Fn::GetAtt": [resource, "Arn"]}
        assert actions <= set(_as_list(statement["Action"]))


def test_the_function_may_not_query_the_table(expanded):
    actions = {a for s in _role_statements(expanded["Resources"]["ReinviterRole"]) for a in _as_list(s["Action"])}
    assert "dynamodb:Query" not in actions
    assert not any(action.startswith(("sqs:*", "logs:*", "dynamodb:*")) for action in actions)


@pytest.mark.parametrize(("role", "service"), [("ReinviterRole", "lambda"), ("SweepSchedulerRole", "scheduler")])
def test_each_trust_is_conditioned_on_this_account(expanded, role, service):
    (statement,) = expanded["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": f"{service}.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_schedule_uses_its_own_role_which_invokes_only_the_function(expanded):
    (schedule,) = _of(expanded, "AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["Target"]["RoleArn"] == {"Fn::GetAtt": ["SweepSchedulerRole", "Arn"]}
    grants = {
        (action, json.dumps(s["Resource"]))
        for s in _role_statements(expanded["Resources"]["SweepSchedulerRole"])
        for action in _as_list(s["Action"])
    }
    assert grants == {
        ("lambda:InvokeFunction", json.dumps({"Fn::GetAtt": ["ReinviterFunction", "Arn"]})),
        ("sqs:SendMessage", json.dumps({"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]})),
    }


def test_a_failed_sweep_goes_to_a_destination_an_alarm_watches(expanded):
    (config,) = _of(expanded, "AWS::Lambda::EventInvokeConfig").values()
    props = config["Properties"]
    assert 0 < props["MaximumRetryAttempts"] <= 2
    assert 60 <= props["MaximumEventAgeInSeconds"] <= 21_600
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]}
    statements = _role_statements(expanded["Resources"]["ReinviterRole"])
    assert any(
        "sqs:SendMessage" in _as_list(s["Action"]) and s["Resource"] == {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]}
        for s in statements
    )
    watched = [
        alarm["Properties"]["Dimensions"][0]["Value"]
        for alarm in _of(expanded, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["Namespace"] == "AWS/SQS"
    ]
    assert {"Fn::GetAtt": ["SweepDeadLetterQueue", "QueueName"]} in watched


# -- resource policies, evaluated as IAM would for one caller ----------------------------------------------------------
def _denied(document: dict[str, Any], action: str, principal: str, *, tls: bool = True) -> bool:
    """Whether an explicit Deny of this resource policy applies to the call (a Deny beats any identity Allow)."""
    for statement in document["Statement"]:
        if statement["Effect"] != "Deny" or statement["Principal"] != "*":
            continue
        actions = _as_list(statement["Action"])
        if action not in actions and f"{action.partition(':')[0]}:*" not in actions:
            continue
        conditions = statement.get("Condition", {})
        applies = True
        for operator, tests in conditions.items():
            for key, value in tests.items():
                if operator == "ArnNotEquals" and key == "aws:PrincipalArn":
                    applies &= principal not in _as_list(value)
                elif operator == "Bool" and key == "aws:SecureTransport":
                    applies &= str(tls).lower() in _as_list(value)
                elif operator == "Null" and key == "aws:PrincipalArn":
                    applies &= _as_list(value) == ["false"]  # every caller simulated here is an IAM principal
                else:
                    raise AssertionError(f"the test's evaluator does not know {operator} {key}")
        if applies:
            return True
    return False


def _policy(expanded: dict[str, Any], name: str, **parameters: str) -> dict[str, Any]:
    props = expanded["Resources"][name]["Properties"]
    document = props.get("PolicyDocument") or props["ResourcePolicy"]
    resolved: dict[str, Any] = _resolve(document, _refs(**parameters))
    return resolved


@pytest.mark.parametrize(
    ("senders", "principal", "denied"),
    [
        ("", FUNCTION_ROLE, False),  # the sweep's fan-out
        ("", ONBOARDING, True),  # nobody named: nobody else
        (ONBOARDING, ONBOARDING, False),
        (f"{ONBOARDING},{OPERATOR}", OPERATOR, False),
        (ONBOARDING, STRANGER, True),  # any other principal, whatever its IAM allows
    ],
)
def test_the_reinvite_queue_takes_requests_only_from_the_named_senders(expanded, senders, principal, denied):
    document = _policy(expanded, "ReinviteQueuePolicy", SenderRoleArns=senders)
    assert _denied(document, "sqs:SendMessage", principal) is denied
    assert _denied(document, "sqs:SendMessage", FUNCTION_ROLE, tls=False)  # no request without TLS
    assert _denied(document, "sqs:ReceiveMessage", principal) is (principal != FUNCTION_ROLE)


@pytest.mark.parametrize("queue", ["DeadLetterQueuePolicy", "SweepDeadLetterQueuePolicy"])
@pytest.mark.parametrize(
    ("operators", "principal", "denied"),
    [
        ("", FUNCTION_ROLE, False),
        ("", OPERATOR, True),
        (OPERATOR, OPERATOR, False),
        (OPERATOR, STRANGER, True),
    ],
)
def test_dead_letter_queues_are_read_by_the_function_and_named_operators_only(
    expanded, queue, operators, principal, denied
):
    document = _policy(expanded, queue, OperatorRoleArns=operators)
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage"):
        assert _denied(document, action, principal) is denied
    assert _denied(document, "sqs:ReceiveMessage", OPERATOR if operators else FUNCTION_ROLE, tls=False)


def test_nobody_sends_to_the_dead_letter_queues_by_hand(expanded):
    reinvite_dlq = _policy(expanded, "DeadLetterQueuePolicy")
    sweep_dlq = _policy(expanded, "SweepDeadLetterQueuePolicy")
    assert all(_denied(reinvite_dlq, "sqs:SendMessage", who) for who in (FUNCTION_ROLE, OPERATOR, STRANGER))
    assert not _denied(sweep_dlq, "sqs:SendMessage", FUNCTION_ROLE)  # Lambda's on-failure destination
    assert not _denied(sweep_dlq, "sqs:SendMessage", SCHEDULER_ROLE)  # the schedule's failures to invoke
    assert _denied(sweep_dlq, "sqs:SendMessage", STRANGER)
    assert expanded["Resources"]["SweepDeadLetterQueue"]["Properties"]["RedriveAllowPolicy"] == {
        "redrivePermission": "denyAll"
    }


@pytest.mark.parametrize(
    ("operators", "principal", "denied"),
    [("", FUNCTION_ROLE, False), ("", OPERATOR, True), (OPERATOR, OPERATOR, False), (OPERATOR, STRANGER, True)],
)
def test_the_username_hash_key_is_read_by_the_function_and_named_operators_only(expanded, operators, principal, denied):
    document = _policy(expanded, "UsernameHashKeyPolicy", OperatorRoleArns=operators)
    assert _denied(document, "secretsmanager:GetSecretValue", principal) is denied
    assert expanded["Resources"]["UsernameHashKeyPolicy"]["Properties"]["BlockPublicPolicy"] is True


def test_the_translator_would_have_granted_star_without_the_written_out_role(tmp_path: Path):
    """The check itself works: SAM's implicit role, as the template had it, carries the managed policies on "*"."""
    template = (ROOT / "template.yaml").read_text()
    implicit = template.replace("      Role: !GetAtt ReinviterRole.Arn\n", "")
    assert implicit != template
    path = tmp_path / "template.yaml"
    path.write_text(implicit)
    if not SAM_PYTHON.exists():
        pytest.skip("the SAM CLI's venv is missing")
    out = subprocess.run(  # noqa: S603
        [str(SAM_PYTHON), str(ROOT / "tests" / "sam_expand.py"), str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
    )
    role = json.loads(out.stdout)["Resources"]["ReinviterFunctionRole"]
    attached = {arn.rsplit("/", 1)[-1] for arn in role["Properties"]["ManagedPolicyArns"]}
    assert {"AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole"} <= attached
