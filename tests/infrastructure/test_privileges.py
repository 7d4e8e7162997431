"""Least privilege proven on what is deployed: template.yaml as SAM expands it, managed policies included.

checkov and cfn-lint read the YAML we wrote; SAM adds to it (implicit roles, managed policies for event sources). The
translator runs in the SAM CLI's own venv (`make validate` builds it; tests/sam_expand.py), and every rule here is
checked on its output. Resource policies (queues, secret) are evaluated the way IAM would for a given caller.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
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


def _role_statements(expanded: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """A role's inline statements, and those of the AWS::IAM::RolePolicy resources attached to it."""
    policies = [policy["PolicyDocument"] for policy in expanded["Resources"][role]["Properties"].get("Policies", [])]
    policies += [
        policy["Properties"]["PolicyDocument"]
        for policy in _of(expanded, "AWS::IAM::RolePolicy").values()
        if policy["Properties"]["RoleName"] == {"Ref": role}
    ]
    return [statement for document in policies for statement in document["Statement"]]


def test_no_role_carries_a_managed_policy(expanded):
    for name, role in _of(expanded, "AWS::IAM::Role").items():
        attached = [arn.rsplit("/", 1)[-1] for arn in role["Properties"].get("ManagedPolicyArns", [])]
        assert attached == [], f"{name} attaches {[(policy, PUBLISHED.get(policy, '?')) for policy in attached]}"
    assert not _of(expanded, "AWS::IAM::ManagedPolicy")
    assert not _of(expanded, "AWS::IAM::Policy")


def test_no_allow_on_star_but_xrays(expanded):
    for name in _of(expanded, "AWS::IAM::Role"):
        for statement in _role_statements(expanded, name):
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
    statements = _role_statements(expanded, "ReinviterRole")
    granting = [s for s in statements if s["Effect"] == "Allow" and actions & set(_as_list(s["Action"]))]
    assert granting
    for statement in granting:
        assert statement["Resource"] == {"Fn::GetAtt": [resource, "Arn"]}
        assert actions <= set(_as_list(statement["Action"]))


def test_the_function_may_query_only_the_awaiting_index(expanded):
    statements = _role_statements(expanded, "ReinviterRole")
    actions = {a for s in statements for a in _as_list(s["Action"])}
    assert not any(action.startswith(("sqs:*", "logs:*", "dynamodb:*")) for action in actions)
    queries = [s for s in statements if "dynamodb:Query" in _as_list(s["Action"])]
    assert [_as_list(s["Action"]) for s in queries] == [["dynamodb:Query"]]  # a statement of its own
    # The index's ARN, never the table's (a Query of the table) nor GivenUpIndex's (the operators' tools read it).
    assert [_as_list(s["Resource"]) for s in queries] == [
        [{"Fn::Sub": "${ReinviteLedgerTable.Arn}/index/AwaitingIndex"}]
    ]


@pytest.mark.parametrize(
    ("bus", "granted"),
    [
        ("default", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"),
        ("onboarding-outcomes", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/onboarding-outcomes"),
        ("", None),  # events off: no grant at all
    ],
)
def test_the_function_puts_events_on_the_configured_bus_only_and_as_itself(expanded, bus, granted):
    statements = _role_statements(expanded, "ReinviterRole")
    publishing = [s for s in statements if any(a.startswith("events:") for a in _as_list(s["Action"]))]
    assert [s["Sid"] for s in publishing] == ["OutcomeEvents"]  # the only events grant, in a policy of its own
    (statement,) = publishing
    assert statement["Effect"] == "Allow"
    assert _as_list(statement["Action"]) == ["events:PutEvents"]
    # Its own source only: the role cannot forge another service's events on the bus.
    assert statement["Condition"] == {"StringEquals": {"events:source": "wickr.reinviter"}}
    refs = _refs(OutcomeEventBusName=bus)
    policy = expanded["Resources"]["ReinviterOutcomeEvents"]
    exists = refs["Conditions"][policy["Condition"]]
    assert (_resolve(statement["Resource"], refs) if exists else None) == granted


@pytest.mark.parametrize(("role", "service"), [("ReinviterRole", "lambda"), ("SweepSchedulerRole", "scheduler")])
def test_each_trust_is_conditioned_on_this_account(expanded, role, service):
    (statement,) = expanded["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": f"{service}.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


OUR_GROUP = ATTRIBUTES["SweepScheduleGroup.Arn"]


@pytest.mark.parametrize(
    ("account", "source", "trusted"),
    [
        (ACCOUNT, OUR_GROUP, True),
        (ACCOUNT, f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/default", False),  # another schedule of ours
        (ACCOUNT, f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/someone-elses", False),
        ("210987654321", OUR_GROUP.replace(ACCOUNT, "210987654321"), False),
    ],
)
def test_the_scheduler_role_trusts_only_the_stacks_schedule_group(expanded, account, source, trusted):
    (schedule,) = _of(expanded, "AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["GroupName"] == {"Ref": "SweepScheduleGroup"}
    document = _resolve(expanded["Resources"]["SweepSchedulerRole"]["Properties"]["AssumeRolePolicyDocument"], _refs())
    (statement,) = document["Statement"]
    assert (
        _conditions_hold(
            statement.get("Condition", {}), Call("sts:AssumeRole", "", source_account=account, source_arn=source)
        )
        is trusted
    )


def test_the_schedule_uses_its_own_role_which_invokes_only_the_function(expanded):
    (schedule,) = _of(expanded, "AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["Target"]["RoleArn"] == {"Fn::GetAtt": ["SweepSchedulerRole", "Arn"]}
    grants = {
        (action, json.dumps(s["Resource"]))
        for s in _role_statements(expanded, "SweepSchedulerRole")
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
    statements = _role_statements(expanded, "ReinviterRole")
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
CLOUDFORMATION = ("cloudformation.amazonaws.com",)  # aws:CalledVia of a call CloudFormation makes for a stack operation
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"


@dataclass(frozen=True)
class Call:
    """One request as IAM sees it: the action, who calls (aws:PrincipalArn), and the context keys that matter here."""

    action: str
    principal: str
    called_via: tuple[str, ...] = ()  # aws:CalledVia: the services that called on the principal's behalf
    tls: bool = True
    source_account: str = ACCOUNT
    source_arn: str = ""


def _conditions_hold(conditions: dict[str, Any], call: Call) -> bool:
    """Whether every condition of a statement holds for the call (the operators and keys this template uses)."""
    holds = True
    for operator, tests in conditions.items():
        for key, value in tests.items():
            values = _as_list(value)
            if operator == "ArnNotEquals" and key == "aws:PrincipalArn":
                holds &= call.principal not in values
            elif operator == "ArnEquals" and key == "aws:SourceArn":
                holds &= call.source_arn in values
            elif operator == "StringEquals" and key == "aws:SourceAccount":
                holds &= call.source_account in values
            elif operator == "Bool" and key == "aws:SecureTransport":
                holds &= str(call.tls).lower() in values
            elif operator == "Null" and key == "aws:PrincipalArn":
                holds &= values == ["false"]  # every caller simulated here is an IAM principal
            elif operator == "ForAllValues:StringNotEquals" and key == "aws:CalledVia":
                holds &= all(service not in values for service in call.called_via)  # true when the key is absent
            else:
                raise AssertionError(f"the test's evaluator does not know {operator} {key}")
    return holds


def _denied(
    document: dict[str, Any], action: str, principal: str, *, tls: bool = True, called_via: tuple[str, ...] = ()
) -> bool:
    """Whether an explicit Deny of this resource policy applies to the call (a Deny beats any identity Allow)."""
    call = Call(action, principal, called_via, tls)
    for statement in document["Statement"]:
        if statement["Effect"] != "Deny" or statement["Principal"] != "*":
            continue
        actions = _as_list(statement["Action"])
        if action not in actions and f"{action.partition(':')[0]}:*" not in actions:
            continue
        if _conditions_hold(statement.get("Condition", {}), call):
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
        ("", OPERATOR, False),  # an operator (OperatorRoleArns): a DLQ replay, `reinviter enqueue`
    ],
)
def test_the_reinvite_queue_takes_requests_only_from_the_named_senders(expanded, senders, principal, denied):
    document = _policy(expanded, "ReinviteQueuePolicy", SenderRoleArns=senders, OperatorRoleArns=OPERATOR)
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


@pytest.mark.parametrize("operators", ["", OPERATOR])
def test_only_the_function_reads_the_stacks_key(expanded, operators):
    """No operator command needs the key: the operators (and CloudFormation, a dynamic reference) may not read it."""
    document = _policy(expanded, "UsernameHashKeyPolicy", OperatorRoleArns=operators, DeployerRoleArns=DEPLOYER)
    assert not _denied(document, "secretsmanager:GetSecretValue", FUNCTION_ROLE)
    for who in (OPERATOR, DEPLOYER, STRANGER):
        assert _denied(document, "secretsmanager:GetSecretValue", who)
    assert _denied(document, "secretsmanager:GetSecretValue", STRANGER, called_via=CLOUDFORMATION)
    assert expanded["Resources"]["UsernameHashKeyPolicy"]["Properties"]["BlockPublicPolicy"] is True


# What would rewrite or remove each resource's policy, or the resource: the insider's moves, denied to all but the
# deployment. (The secret's read and the queues' sends are above.)
MANAGEMENT = {
    "ReinviteQueuePolicy": [
        "sqs:SetQueueAttributes",
        "sqs:AddPermission",
        "sqs:RemovePermission",
        "sqs:PurgeQueue",
        "sqs:DeleteQueue",
    ],
    "DeadLetterQueuePolicy": [
        "sqs:SetQueueAttributes",
        "sqs:AddPermission",
        "sqs:RemovePermission",
        "sqs:PurgeQueue",
        "sqs:DeleteQueue",
    ],
    "SweepDeadLetterQueuePolicy": [
        "sqs:SetQueueAttributes",
        "sqs:AddPermission",
        "sqs:RemovePermission",
        "sqs:PurgeQueue",
        "sqs:DeleteQueue",
    ],
    "UsernameHashKeyPolicy": [
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:DeleteResourcePolicy",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecret",
        "secretsmanager:DeleteSecret",
    ],
    "ReinviteLedgerTable": [
        "dynamodb:DeleteTable",
        "dynamodb:UpdateTable",
        "dynamodb:PutResourcePolicy",
        "dynamodb:DeleteResourcePolicy",
        "dynamodb:UpdateTimeToLive",
    ],
    "AlarmTopicPolicy": ["sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission", "sns:DeleteTopic"],
}


def _resource_policy(expanded: dict[str, Any], name: str, **parameters: str) -> dict[str, Any]:
    props = expanded["Resources"][name]["Properties"]
    if "ResourcePolicy" in props and "PolicyDocument" in props["ResourcePolicy"]:  # a table's, inside the table
        document: dict[str, Any] = _resolve(props["ResourcePolicy"]["PolicyDocument"], _refs(**parameters))
        return document
    return _policy(expanded, name, **parameters)


@pytest.mark.parametrize("resource", sorted(MANAGEMENT))
@pytest.mark.parametrize("deployers", ["", DEPLOYER])
def test_only_the_deployment_rewrites_a_policy_or_removes_its_resource(expanded, resource, deployers):
    document = _resource_policy(expanded, resource, DeployerRoleArns=deployers, OperatorRoleArns=OPERATOR)
    for action in MANAGEMENT[resource]:
        # The insider (whose IAM allows service:*), the function and the operators, calling directly: denied.
        for who in (STRANGER, FUNCTION_ROLE, OPERATOR, ONBOARDING):
            assert _denied(document, action, who), (action, who)
        # Via another service on their behalf: still denied (only CloudFormation's calls are the deployment's).
        assert _denied(document, action, STRANGER, called_via=("athena.amazonaws.com",))
        # A stack update or delete: CloudFormation calls with the forward access session of whoever deploys.
        assert not _denied(document, action, STRANGER, called_via=CLOUDFORMATION), action
        # A deployer's own direct call (a rotation, a purge, CloudFormation's service role): only when named.
        assert _denied(document, action, DEPLOYER) is (deployers == ""), action


# The calls CloudFormation makes on these resources for a stack update and a stack delete (its resource handlers).
STACK_OPERATIONS = {
    "update": {
        "ReinviteQueuePolicy": ["sqs:SetQueueAttributes"],  # a QueuePolicy's new document; a queue's attributes
        "DeadLetterQueuePolicy": ["sqs:SetQueueAttributes"],
        "SweepDeadLetterQueuePolicy": ["sqs:SetQueueAttributes"],
        "UsernameHashKeyPolicy": ["secretsmanager:PutResourcePolicy", "secretsmanager:UpdateSecret"],
        "ReinviteLedgerTable": ["dynamodb:UpdateTable", "dynamodb:PutResourcePolicy", "dynamodb:UpdateTimeToLive"],
        "AlarmTopicPolicy": ["sns:SetTopicAttributes"],
    },
    "delete": {  # the ledger table is retained (DeletionPolicy: Retain): CloudFormation never calls DeleteTable
        "ReinviteQueuePolicy": ["sqs:SetQueueAttributes", "sqs:DeleteQueue"],
        "DeadLetterQueuePolicy": ["sqs:SetQueueAttributes", "sqs:DeleteQueue"],
        "SweepDeadLetterQueuePolicy": ["sqs:SetQueueAttributes", "sqs:DeleteQueue"],
        "UsernameHashKeyPolicy": ["secretsmanager:DeleteResourcePolicy", "secretsmanager:DeleteSecret"],
        "ReinviteLedgerTable": [],
        "AlarmTopicPolicy": ["sns:SetTopicAttributes", "sns:DeleteTopic"],
    },
}


@pytest.mark.parametrize("operation", sorted(STACK_OPERATIONS))
@pytest.mark.parametrize(
    ("deployers", "caller", "called_via"),
    [
        ("", f"arn:aws:iam::{ACCOUNT}:role/whoever-runs-sam-deploy", CLOUDFORMATION),
        (DEPLOYER, DEPLOYER, CLOUDFORMATION),  # a named deployer running sam deploy
        (DEPLOYER, DEPLOYER, ()),  # CloudFormation's service role (`--role-arn`), named as a deployer
    ],
)
def test_a_stack_update_and_a_stack_delete_still_work(expanded, operation, deployers, caller, called_via):
    for resource, actions in STACK_OPERATIONS[operation].items():
        document = _resource_policy(expanded, resource, DeployerRoleArns=deployers)
        for action in actions:
            assert not _denied(document, action, caller, called_via=called_via), (operation, resource, action)
    table = expanded["Resources"]["ReinviteLedgerTable"]
    assert (table["DeletionPolicy"], table["Properties"]["DeletionProtectionEnabled"]) == ("Retain", True)


@pytest.mark.parametrize("operators", ["", OPERATOR])
def test_only_the_function_and_the_operators_write_the_ledger(expanded, operators):
    document = _resource_policy(expanded, "ReinviteLedgerTable", OperatorRoleArns=operators, DeployerRoleArns=DEPLOYER)
    writes = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
    writes += ["dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"]
    for action in writes:
        assert not _denied(document, action, FUNCTION_ROLE)
        assert _denied(document, action, OPERATOR) is (operators == "")
        for who in (STRANGER, DEPLOYER, ONBOARDING):  # resetting cooldowns is nobody else's to do
            assert _denied(document, action, who), (action, who)
        assert _denied(document, action, STRANGER, called_via=CLOUDFORMATION)  # nor through a stack of one's own
    assert not _denied(document, "dynamodb:GetItem", STRANGER)  # reads stay IAM's (the CLI's `status`)


# The operators' replay of the reinvite DLQ (docs/runbook.md): a message move task from the DLQ into ReinviteQueue.
# StartMessageMoveTask is authorised on the source, and the task then receives and deletes there and sends to the
# destination as the caller, so every one of these must pass for the replay to work.
REPLAY = [
    ("DeadLetterQueuePolicy", "sqs:StartMessageMoveTask"),
    ("DeadLetterQueuePolicy", "sqs:ReceiveMessage"),
    ("DeadLetterQueuePolicy", "sqs:DeleteMessage"),
    ("DeadLetterQueuePolicy", "sqs:GetQueueAttributes"),
    ("ReinviteQueuePolicy", "sqs:SendMessage"),
]


@pytest.mark.parametrize(
    ("who", "replays"),
    [(OPERATOR, True), (ONBOARDING, False), (STRANGER, False)],
)
def test_an_operator_replays_the_dead_letter_queue_and_nobody_else_does(expanded, who, replays):
    parameters = {"OperatorRoleArns": OPERATOR, "SenderRoleArns": ONBOARDING}
    denied = [
        (queue, action) for queue, action in REPLAY if _denied(_policy(expanded, queue, **parameters), action, who)
    ]
    assert (denied == []) is replays, denied
    if who == ONBOARDING:  # a sender may send, but not read or move the DLQ
        assert all(queue == "DeadLetterQueuePolicy" for queue, _ in denied)


def test_the_reinvite_queue_is_nobodys_dead_letter_queue(expanded):
    """Else any queue of the account could name it, and its expired messages would arrive here as requests."""
    assert expanded["Resources"]["ReinviteQueue"]["Properties"]["RedriveAllowPolicy"] == {
        "redrivePermission": "denyAll"
    }


@pytest.mark.parametrize(
    ("topic_arn", "email", "own_topic", "subscribed"),
    [
        ("", "", True, False),
        ("", "ops@example.com", True, True),
        (f"arn:aws:sns:us-east-1:{ACCOUNT}:pager", "ops@example.com", False, False),
    ],
)
def test_alarms_reach_someone_by_default(expanded, topic_arn, email, own_topic, subscribed):
    refs = _refs(AlarmTopicArn=topic_arn, AlarmEmail=email)
    assert refs["Conditions"]["CreateAlarmTopic"] is own_topic
    assert expanded["Resources"]["AlarmTopic"]["Condition"] == "CreateAlarmTopic"
    subscriptions = _resolve(expanded["Resources"]["AlarmTopic"]["Properties"]["Subscription"], refs)
    assert (subscriptions == [{"Protocol": "email", "Endpoint": email}]) is subscribed
    for name, alarm in _of(expanded, "AWS::CloudWatch::Alarm").items():
        (action,) = _resolve(alarm["Properties"]["AlarmActions"], refs)
        assert action == (ATTRIBUTES["AlarmTopic"] if own_topic else topic_arn), name
    (publish,) = [st for st in _policy(expanded, "AlarmTopicPolicy")["Statement"] if st["Effect"] == "Allow"]
    assert (publish["Principal"], publish["Action"]) == ({"Service": "cloudwatch.amazonaws.com"}, "sns:Publish")


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
