"""template.yaml and events/ checked where cfn-lint cannot: the template against the code, AWS guidance and itself."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import annotated_types
import pytest
import yaml
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsModel

from reinviter.core.metric_names import JoinSample, Metric, NetworkMetric
from reinviter.settings import Settings, environment_variables

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"

FUNCTION_ID = "ReinviterFunction"
DEMO_NETWORKS = {"12345678", "87654321"}
WICKR_ACTIONS = ("wickr:GetUser", "wickr:ListUsers", "wickr:BatchReinviteUser", "wickr:GetUsersCount")
SQS_WINDOW_MAX = 300  # MaximumBatchingWindowInSeconds' upper bound
MAX_RECORDS_PER_BATCH = 10
SCHEDULER_STATES = {"ENABLED", "DISABLED"}

# What the evaluator below substitutes for pseudo parameters and resource attributes.
ACCOUNT, REGION = "123456789012", "us-east-1"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": "reinviter"}
ATTRIBUTES = {
    "ReinviteQueue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/reinviter-ReinviteQueue-A1",
    "ReinviteQueue.Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:reinviter-ReinviteQueue-A1",
    "ReinviteQueue.QueueName": "reinviter-ReinviteQueue-A1",
    "ReinviteDeadLetterQueue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/reinviter-ReinviteDeadLetterQueue-B2",
    "ReinviteDeadLetterQueue.Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:reinviter-ReinviteDeadLetterQueue-B2",
    "ReinviteDeadLetterQueue.QueueName": "reinviter-ReinviteDeadLetterQueue-B2",
    "ReinviteLedgerTable": "reinviter-ReinviteLedgerTable-C3",
    "ReinviteLedgerTable.Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/reinviter-ReinviteLedgerTable-C3",
    "ReinviterFunction": "reinviter-ReinviterFunction-D4",
    "ReinviterFunction.Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:reinviter-ReinviterFunction-D4",
    "UsernameHashKey": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:UsernameHashKey-E5-AbCdEf",
    "ReinviterRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/reinviter-ReinviterRole-F6",
    "SweepSchedulerRole.Arn": f"arn:aws:iam::{ACCOUNT}:role/reinviter-SweepSchedulerRole-G7",
    "ReinviterLogGroup": "/aws/lambda/reinviter-reinviter",
    "ReinviterLogGroup.Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/reinviter-reinviter:*",
    "SweepDeadLetterQueue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/reinviter-SweepDeadLetterQueue-H8",
    "SweepDeadLetterQueue.Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:reinviter-SweepDeadLetterQueue-H8",
    "AlarmTopic": f"arn:aws:sns:{REGION}:{ACCOUNT}:reinviter-AlarmTopic-J9",
    "SweepScheduleGroup": "reinviter-SweepScheduleGroup-K0",
    "SweepScheduleGroup.Arn": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/reinviter-SweepScheduleGroup-K0",
    "ReinviterRole": "reinviter-ReinviterRole-F6",
}


# --- loading and evaluating the template -----------------------------------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short tags (!Ref, !Sub, !GetAtt, ...) as their long JSON forms."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in {"Ref", "Condition"}:
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@cache
def _template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


@pytest.fixture
def template() -> dict[str, Any]:
    return _template()


@pytest.fixture
def resources(template) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture
def function(resources) -> dict[str, Any]:
    return resources[FUNCTION_ID]["Properties"]


@pytest.fixture
def parameters(template) -> dict[str, Any]:
    return template["Parameters"]


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res["Properties"] for name, res in resources.items() if res["Type"] == kind}


def _refs(network_ids: str = "12345678,87654321", **parameters: str) -> dict[str, Any]:
    """Values for Ref/GetAtt: pseudo parameters, resource attributes, parameter defaults (then `parameters`).

    `Conditions` holds the template's conditions as CloudFormation would evaluate them with those values.
    """
    defaults = {name: str(p["Default"]) for name, p in _template()["Parameters"].items() if "Default" in p}
    refs = {**PSEUDO, **ATTRIBUTES, **defaults, "NetworkIds": network_ids, **parameters}
    refs["Conditions"] = {name: _condition(body, refs) for name, body in _template().get("Conditions", {}).items()}
    return refs


def _condition(body: Any, refs: dict[str, Any]) -> bool:
    ((name, arg),) = body.items()
    if name == "Fn::Not":
        return not _condition(arg[0], refs)
    if name == "Fn::Equals":
        return bool(_resolve(arg[0], refs) == _resolve(arg[1], refs))
    if name == "Fn::And":
        return all(_condition(item, refs) for item in arg)
    if name == "Condition":
        return _condition(_template()["Conditions"][arg], refs)
    raise AssertionError(f"the test's evaluator does not know the condition function {name}")


def _join(arg: list[Any], refs: dict[str, Any]) -> str:
    delimiter, items = arg
    assert isinstance(delimiter, str), "an Fn::Join delimiter must be a literal string"
    return delimiter.join(_resolve(items, refs))


def _sub(arg: str | list[Any], refs: dict[str, Any]) -> str:
    text, variables = (arg, {}) if isinstance(arg, str) else arg
    scope = {**refs, **{key: _resolve(item, refs) for key, item in variables.items()}}
    return re.sub(r"\$\{([^!}][^}]*)\}", lambda match: str(scope[match.group(1)]), text).replace("${!", "${")


_FUNCTIONS: dict[str, Any] = {
    "Ref": lambda arg, refs: refs[arg],
    "Fn::GetAtt": lambda arg, refs: refs[".".join(arg)],
    "Fn::Join": _join,
    "Fn::Split": lambda arg, refs: _resolve(arg[1], refs).split(arg[0]),
    "Fn::Select": lambda arg, refs: _resolve(arg[1], refs)[int(arg[0])],
    "Fn::Sub": _sub,
    "Fn::If": lambda arg, refs: _resolve(arg[1] if refs["Conditions"][arg[0]] else arg[2], refs),
}


def _resolve(value: Any, refs: dict[str, Any]) -> Any:
    """Evaluate the intrinsic functions this template uses, the way CloudFormation would."""
    if isinstance(value, list):
        return [_resolve(item, refs) for item in value]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": "AWS::NoValue"}:
        return None
    if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
        return {key: _resolve(item, refs) for key, item in value.items()}
    ((name, arg),) = value.items()
    assert name in _FUNCTIONS, f"the test's evaluator does not know {name}"
    return _FUNCTIONS[name](arg, refs)


def _environment(template: dict[str, Any]) -> dict[str, Any]:
    merged = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    merged.update(template["Resources"][FUNCTION_ID]["Properties"]["Environment"]["Variables"])
    return merged


def _settings_env(template: dict[str, Any], **overrides: str) -> dict[str, str]:
    env = {name: str(_resolve(value, _refs())) for name, value in _environment(template).items()}
    return env | overrides


def _function_prop(template: dict[str, Any], name: str) -> Any:
    props = template["Resources"][FUNCTION_ID]["Properties"]
    return props.get(name, template["Globals"]["Function"].get(name))


def _param_of(value: Any, parameters: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(value, dict), f"{value!r} should be a parameter"
    assert set(value) == {"Ref"}, f"{value!r} should be a parameter"
    return parameters[value["Ref"]]


# --- the function ----------------------------------------------------------------------------------------------


def test_exactly_one_function(resources):
    functions = [
        name for name, res in resources.items() if res["Type"] in {"AWS::Serverless::Function", "AWS::Lambda::Function"}
    ]
    assert functions == [FUNCTION_ID]


def test_runtime_architecture_tracing(template, function):
    assert _function_prop(template, "Runtime") == "python3.13"
    assert _function_prop(template, "Architectures") == ["arm64"]
    assert _function_prop(template, "Tracing") == "Active"
    assert _function_prop(template, "MemorySize") == 1769  # one vCPU: chosen by measurement (bench/README.md)


def test_handler_resolves_to_a_module_under_code_uri(function):
    module, _, attribute = function["Handler"].rpartition(".")
    path = ROOT / function["CodeUri"] / (module.replace(".", "/") + ".py")
    assert path == ROOT / "src" / "reinviter" / "handler.py"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    defines = re.compile(rf"^(?:async\s+)?def\s+{attribute}\s*\(|^{attribute}\s*[:=]", re.MULTILINE)
    assert defines.search(path.read_text()), f"{path.name} does not define {attribute}"


def test_environment_names_match_the_settings_model(template):
    assert set(_environment(template)) == environment_variables()


def test_environment_wiring(template):
    env = _environment(template)
    assert env["WICKR_NETWORK_IDS"] == {"Ref": "NetworkIds"}
    assert env["REINVITE_QUEUE_URL"] == {"Ref": "ReinviteQueue"}
    assert env["REINVITE_LEDGER_TABLE"] == {"Ref": "ReinviteLedgerTable"}


def test_template_defaults_are_the_code_defaults(template):
    """Deployed with its defaults, the function behaves as the settings model's own defaults say."""
    settings = Settings.from_environ(_settings_env(template))
    assert settings.network_ids == ("12345678", "87654321")
    assert settings.reinvite_queue_url == ATTRIBUTES["ReinviteQueue"]
    assert settings.ledger_table == ATTRIBUTES["ReinviteLedgerTable"]
    assert settings.username_hash_key_secret == ATTRIBUTES["UsernameHashKey"]
    assert settings.username_cache  # deployed, resolutions are remembered
    assert settings.reinvite_queue_arn == ATTRIBUTES["ReinviteQueue.Arn"]
    # Deployed, outcome events go to the account's default bus; unset (local runs, the tests) there are none.
    assert settings.outcome_event_bus == "default"
    wired_elsewhere = {
        "outcome_event_bus",
        "network_ids",
        "reinvite_queue_url",
        "reinvite_queue_arn",
        "ledger_table",
        "username_hash_key_secret",
    }
    for name, field in Settings.model_fields.items():
        if name not in wired_elsewhere:
            assert getattr(settings, name) == field.default, f"{field.alias}: template default != code default"


def test_parameters_reject_what_the_settings_reject(template, parameters):
    """Every value CloudFormation accepts must pass the settings model: a bad value fails the deploy, not a run."""
    aliases = {field.alias: field for field in Settings.model_fields.values()}
    for name, value in _environment(template).items():
        if not (isinstance(value, dict) and "Ref" in value and value["Ref"] in parameters):
            continue
        param = parameters[value["Ref"]]
        for bound in ("MinValue", "MaxValue"):
            if bound in param:
                Settings.from_environ(_settings_env(template, **{name: str(param[bound])}))
        for allowed in param.get("AllowedValues", []):
            Settings.from_environ(_settings_env(template, **{name: str(allowed)}))
        for constraint in aliases[name].metadata:
            if isinstance(constraint, annotated_types.Ge):
                assert param.get("MinValue", float("-inf")) >= constraint.ge, f"{value['Ref']} needs MinValue"
            if isinstance(constraint, annotated_types.Le):
                assert param.get("MaxValue", float("inf")) <= constraint.le, f"{value['Ref']} needs MaxValue"


def test_network_ids_parameter_pattern(parameters):
    pattern = re.compile(parameters["NetworkIds"]["AllowedPattern"])
    assert pattern.fullmatch("12345678")
    assert pattern.fullmatch("12345678,87654321")
    for bad in ("", "1234567", "12345678,", "12345678, 87654321", "1234567a"):
        assert not pattern.fullmatch(bad), bad


# --- SQS ---------------------------------------------------------------------------------------------------------


def _sqs_event(function: dict[str, Any]) -> dict[str, Any]:
    events = [event for event in function["Events"].values() if event["Type"] == "SQS"]
    assert len(events) == 1
    return events[0]["Properties"]


def test_sqs_event_reports_batch_item_failures(function):
    event = _sqs_event(function)
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Queue"] == {"Fn::GetAtt": ["ReinviteQueue", "Arn"]}


def test_sqs_event_limits(function, parameters):
    event = _sqs_event(function)
    concurrency = _param_of(event["ScalingConfig"]["MaximumConcurrency"], parameters)
    assert concurrency["MinValue"] >= 2  # the event source rejects 1; cfn-lint does not
    assert concurrency["MaxValue"] <= 1000
    assert 2 <= concurrency["Default"] <= concurrency["MaxValue"]
    window = _param_of(event["MaximumBatchingWindowInSeconds"], parameters)
    assert 0 <= window["MinValue"] <= window["Default"] <= window["MaxValue"] <= SQS_WINDOW_MAX
    batch = _param_of(event["BatchSize"], parameters)
    # Above 10 a batching window of >= 1 s is mandatory, and the Timeout is sized for 10 messages.
    assert 1 <= batch["MinValue"] <= batch["Default"] <= batch["MaxValue"] <= MAX_RECORDS_PER_BATCH


def test_visibility_timeout_covers_six_function_timeouts_and_the_batching_window(template, resources, function):
    timeout = _function_prop(template, "Timeout")
    window = _param_of(_sqs_event(function)["MaximumBatchingWindowInSeconds"], template["Parameters"])["MaxValue"]
    visibility = resources["ReinviteQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * timeout + window


def test_dead_letter_queue_is_wired_on_the_source_queue(resources, parameters):
    source = resources["ReinviteQueue"]["Properties"]
    redrive = source["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["ReinviteDeadLetterQueue", "Arn"]}
    receives = redrive["maxReceiveCount"]
    assert (_param_of(receives, parameters)["Default"] if isinstance(receives, dict) else receives) >= 1
    dead = resources["ReinviteDeadLetterQueue"]["Properties"]
    assert "RedrivePolicy" not in dead
    # Dead-lettered messages keep their enqueue time: the DLQ must hold them longer than the source did.
    assert dead["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dead["MessageRetentionPeriod"] > source.get("MessageRetentionPeriod", 4 * 24 * 3600)


def test_queues_and_table_are_encrypted(resources):
    for name, queue in _of_type(resources, "AWS::SQS::Queue").items():
        assert queue.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue, name
    table = resources["ReinviteLedgerTable"]["Properties"]
    assert table["SSESpecification"]["SSEEnabled"] is True


def test_ledger_table_shape(resources):
    table = resources["ReinviteLedgerTable"]["Properties"]
    from reinviter.adapters.dynamodb.layout import LEDGER_KEYS  # what every test's table is built from

    assert {name: table[name] for name in LEDGER_KEYS} == LEDGER_KEYS
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


# --- schedule ----------------------------------------------------------------------------------------------------


def test_schedule_sends_valid_json_input(function, parameters):
    schedules = [event["Properties"] for event in function["Events"].values() if event["Type"] == "ScheduleV2"]
    assert len(schedules) == 1
    schedule = schedules[0]
    assert json.loads(schedule["Input"]) == {}
    assert set(_param_of(schedule["State"], parameters)["AllowedValues"]) == SCHEDULER_STATES
    expression = _param_of(schedule["ScheduleExpression"], parameters)
    assert re.fullmatch(expression["AllowedPattern"], expression["Default"])


def test_a_failed_sweep_is_retried_a_bounded_time_then_dead_lettered_where_an_alarm_sees_it(function, resources):
    (schedule,) = [event["Properties"] for event in function["Events"].values() if event["Type"] == "ScheduleV2"]
    retry = schedule["RetryPolicy"]
    assert 0 < retry["MaximumRetryAttempts"] <= 5  # Scheduler allows 0-185: bounded, not "forever"
    assert 60 <= retry["MaximumEventAgeInSeconds"] <= 86_400
    assert schedule["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]}}
    queue = resources["SweepDeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True


# --- IAM -------------------------------------------------------------------------------------------------------


def _statements(template: dict[str, Any], role: str = "ReinviterRole") -> list[dict[str, Any]]:
    """The identity policy statements of one role of the template (the function's by default)."""
    function = template["Resources"][FUNCTION_ID]["Properties"]
    assert "Policies" not in function, "the function's grants belong in its written-out role"
    assert function["Role"] == {"Fn::GetAtt": [role, "Arn"]} or role != "ReinviterRole"
    found = []
    for policy in template["Resources"][role]["Properties"].get("Policies", []):
        found.extend(policy["PolicyDocument"]["Statement"])
    for attached in _of_type(template["Resources"], "AWS::IAM::RolePolicy").values():  # grants beside the role
        if attached["RoleName"] == {"Ref": role}:
            found.extend(attached["PolicyDocument"]["Statement"])
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_allowed(statements: list[dict[str, Any]], action: str, arn: str) -> bool:
    """IAM's verdict for one action on one ARN: an explicit Deny wins, else an Allow is needed."""
    allowed = False
    for statement in statements:
        if action not in _as_list(statement["Action"]):
            continue
        if "Resource" in statement:
            applies = any(fnmatch.fnmatchcase(arn, pattern) for pattern in _as_list(statement["Resource"]))
        else:
            applies = not any(fnmatch.fnmatchcase(arn, pattern) for pattern in _as_list(statement["NotResource"]))
        if applies and statement["Effect"] == "Deny":
            return False
        allowed = allowed or applies
    return allowed


def test_no_wildcard_actions(template):
    statements = _statements(template)
    assert statements
    for statement in statements:
        assert "NotAction" not in statement
        for action in _as_list(statement["Action"]):
            assert "*" not in action, statement


@pytest.mark.parametrize("action", WICKR_ACTIONS)
@pytest.mark.parametrize(
    ("network_ids", "arn", "allowed"),
    [
        ("12345678,87654321", "arn:aws:wickr:us-east-1:123456789012:network/12345678", True),
        ("12345678,87654321", "arn:aws:wickr:us-east-1:123456789012:network/87654321", True),
        ("12345678", "arn:aws:wickr:us-east-1:123456789012:network/12345678", True),
        ("12345678", "arn:aws:wickr:us-east-1:123456789012:network/87654321", False),
        ("12345678,87654321", "arn:aws:wickr:us-east-1:123456789012:network/99999999", False),
        ("12345678,87654321", "arn:aws:wickr:us-east-1:123456789012:network/123456789", False),
        ("12345678,87654321", "arn:aws:wickr:eu-west-1:123456789012:network/12345678", False),
        ("12345678,87654321", "arn:aws:wickr:us-east-1:210987654321:network/12345678", False),
        ("12345678,87654321", "arn:aws-us-gov:wickr:us-east-1:123456789012:network/12345678", False),
    ],
)
def test_wickr_access_is_exactly_the_allowlisted_networks(template, action, network_ids, arn, allowed):
    statements = _resolve(_statements(template), _refs(network_ids))
    assert _is_allowed(statements, action, arn) is allowed


def test_sqs_and_dynamodb_access_is_on_own_resources_only(template):
    statements = [s for s in _statements(template) if s["Effect"] == "Allow"]
    sqs = [s for s in statements if any(a.startswith("sqs:") for a in _as_list(s["Action"]))]
    assert [(s["Action"], s["Resource"]) for s in sqs] == [
        (
            ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage"],
            {"Fn::GetAtt": ["ReinviteQueue", "Arn"]},
        ),
        ("sqs:SendMessage", {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]}),
    ]
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in _as_list(s["Action"]))]
    assert len(dynamodb) == 2
    verbs = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem")
    assert set(dynamodb[0]["Action"]) == {f"dynamodb:{verb}" for verb in verbs}  # no Query of the table
    assert dynamodb[0]["Resource"] == {"Fn::GetAtt": ["ReinviteLedgerTable", "Arn"]}
    # Query on the sweep's AwaitingIndex only (GivenUpIndex is the operators' tools').
    assert (dynamodb[1]["Action"], dynamodb[1]["Resource"]) == (
        "dynamodb:Query",
        {"Fn::Sub": "${ReinviteLedgerTable.Arn}/index/AwaitingIndex"},
    )


# --- logs, alarms, dashboard, outputs -----------------------------------------------------------------------------


def test_log_group_is_the_functions_with_retention(resources):
    groups = _of_type(resources, "AWS::Logs::LogGroup")
    assert len(groups) == 1
    (group,) = groups.values()
    assert _resolve(group["LogGroupName"], _refs()) == ATTRIBUTES["ReinviterLogGroup"]
    assert resources[FUNCTION_ID]["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": "ReinviterLogGroup"}}
    assert int(_resolve(group["RetentionInDays"], _refs())) > 0


def _service_and_namespace(template: dict[str, Any]) -> tuple[str, str]:
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    return env["POWERTOOLS_SERVICE_NAME"], env["POWERTOOLS_METRICS_NAMESPACE"]


def test_alarms_watch_documented_metrics(template, resources):
    service, namespace = _service_and_namespace(template)
    documented = {metric.value for metric in Metric}
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm")
    watched = set()
    for name, alarm in alarms.items():
        watched.add((alarm["Namespace"], alarm["MetricName"]))
        assert alarm["TreatMissingData"] == "notBreaching", name
        for actions in ("AlarmActions", "OKActions"):  # someone is told: the named topic, else the stack's own
            assert alarm[actions] == [{"Fn::If": ["HasAlarmTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}], (
                name
            )
        if alarm["Namespace"] == namespace:
            assert alarm["MetricName"] in documented, name
            # Powertools puts exactly one dimension on every metric: service.
            assert alarm["Dimensions"] == [{"Name": "service", "Value": service}], name
        else:
            assert not alarm["Namespace"].startswith("WickrReinviter"), name
    assert watched >= {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
        (namespace, "ReinviteFailed"),
        (namespace, "RateLimited"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        (namespace, "InvalidMessages"),  # abuse signals: refusals in bulk, a network Wickr does not know
        (namespace, "NetworksNotFound"),
    }
    dlq_alarms = [a for a in alarms.values() if a["MetricName"] == "ApproximateNumberOfMessagesVisible"]
    assert sorted(a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in dlq_alarms) == [
        "ReinviteDeadLetterQueue",
        "SweepDeadLetterQueue",
    ]
    (rate_alarm,) = [a for a in alarms.values() if a["MetricName"] == "RateLimited"]
    assert 1 < rate_alarm["DatapointsToAlarm"] <= rate_alarm["EvaluationPeriods"]  # sustained, not one 429


def test_dashboard_is_valid_json_and_graphs_every_metric(template, resources):
    service, namespace = _service_and_namespace(template)
    (dashboard,) = _of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(_resolve(dashboard["DashboardBody"], _refs()))
    rows = [row for widget in body["widgets"] for row in widget["properties"]["metrics"] if isinstance(row[0], str)]
    every_row = [row for widget in body["widgets"] for row in widget["properties"]["metrics"]]
    searches = [row[0]["expression"] for row in every_row if isinstance(row[0], dict)]
    for metric in NetworkMetric:  # per network: found by a search, whichever networks are allowlisted
        assert any(f'MetricName="{metric.value}"' in s and "network_id" in s for s in searches), metric
    custom = {row[1] for row in rows if row[0] == namespace}
    for row in rows:
        if row[0] == namespace:
            assert row[2:4] == ["service", service], row
    assert custom == {metric.value for metric in Metric} | {sample.value for sample in JoinSample}
    dimensions = {row[3] for row in rows if row[0] in {"AWS/SQS", "AWS/Lambda"}}
    assert dimensions == {
        ATTRIBUTES["ReinviteQueue.QueueName"],
        ATTRIBUTES["ReinviteDeadLetterQueue.QueueName"],
        ATTRIBUTES["ReinviterFunction"],
    }


def test_outputs(template):
    values = {name: output["Value"] for name, output in template["Outputs"].items()}
    assert sorted(map(json.dumps, values.values())) == sorted(
        map(
            json.dumps,
            [
                {"Ref": "ReinviteQueue"},
                {"Fn::GetAtt": ["ReinviteQueue", "Arn"]},
                {"Ref": "ReinviteDeadLetterQueue"},
                {"Fn::GetAtt": ["ReinviteDeadLetterQueue", "Arn"]},
                {"Ref": "SweepDeadLetterQueue"},
                {"Fn::GetAtt": [FUNCTION_ID, "Arn"]},
                {"Ref": "ReinviteLedgerTable"},
                {"Ref": "Dashboard"},
            ],
        )
    )


# --- events/ -----------------------------------------------------------------------------------------------------

SQS_EVENT_FILES = sorted(EVENTS.glob("sqs-*.json"))
NETWORK_ID = re.compile(r"[0-9]{8}")
USER_ID = re.compile(r"[0-9]{1,10}")
USERNAME = re.compile(r"\S{1,256}")
MAX_USER_IDS = 50


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _classify(body: str) -> str:
    """The documented message contract: "valid", "not-json", "schema" or "not-allowed"."""
    try:
        message = json.loads(body)
    except ValueError:
        return "not-json"
    if not isinstance(message, dict):
        return "schema"
    network, users, names = message.get("networkId"), message.get("userIds", []), message.get("usernames", [])
    if not (isinstance(network, str) and NETWORK_ID.fullmatch(network)):
        return "schema"
    if not (isinstance(users, list) and isinstance(names, list) and 1 <= len(users) + len(names) <= MAX_USER_IDS):
        return "schema"
    well_formed = [isinstance(user, str) and USER_ID.fullmatch(user) for user in users] + [
        isinstance(name, str) and USERNAME.fullmatch(name) for name in names
    ]
    if not all(well_formed):
        return "schema"
    return "valid" if network in DEMO_NETWORKS else "not-allowed"


def test_the_expected_event_files_exist():
    assert {path.name for path in EVENTS.glob("*.json")} >= {
        "sqs-valid.json",
        "sqs-mixed.json",
        "sqs-invalid.json",
        "sqs-usernames.json",
        "schedule-all.json",
        "schedule-subset.json",
        "schedule-eventbridge-rule.json",
    }


@pytest.mark.parametrize("path", SQS_EVENT_FILES, ids=lambda path: path.name)
def test_sqs_event_has_the_lambda_record_shape(path):
    event = _load(path)
    SqsModel.model_validate(event)  # Powertools' model of the Lambda SQS event
    records = event["Records"]
    assert 1 <= len(records) <= MAX_RECORDS_PER_BATCH
    for record in records:
        assert uuid.UUID(record["messageId"]).version == 4
        assert isinstance(record["body"], str)
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"].startswith("arn:aws:sqs:")
        assert record["awsRegion"] == record["eventSourceARN"].split(":")[3]
        assert record["attributes"]["ApproximateReceiveCount"].isdigit()
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode(), usedforsecurity=False).hexdigest()
        assert isinstance(record["messageAttributes"], dict)


def test_message_ids_are_distinct_across_files():
    ids = [record["messageId"] for path in SQS_EVENT_FILES for record in _load(path)["Records"]]
    assert len(ids) == len(set(ids))


def test_event_files_cover_their_cases():
    kinds = {path.name: [_classify(r["body"]) for r in _load(path)["Records"]] for path in SQS_EVENT_FILES}
    assert len(kinds["sqs-valid.json"]) == 3
    assert set(kinds["sqs-valid.json"]) == {"valid"}
    valid_networks = {json.loads(r["body"])["networkId"] for r in _load(EVENTS / "sqs-valid.json")["Records"]}
    assert valid_networks == DEMO_NETWORKS
    assert set(kinds["sqs-mixed.json"]) == {"valid", "not-json", "schema", "not-allowed"}
    assert kinds["sqs-usernames.json"] == ["valid"]
    assert "usernames" in _load(EVENTS / "sqs-usernames.json")["Records"][0]["body"]
    assert "valid" not in kinds["sqs-invalid.json"]
    assert {"not-json", "schema"} <= set(kinds["sqs-invalid.json"])


def test_schedule_events():
    assert _load(EVENTS / "schedule-all.json") == {}
    subset = _load(EVENTS / "schedule-subset.json")
    assert set(subset) == {"networkIds"}
    assert subset["networkIds"]
    assert set(subset["networkIds"]) < DEMO_NETWORKS
    rule = EventBridgeModel.model_validate(_load(EVENTS / "schedule-eventbridge-rule.json"))
    assert rule.detail_type == "Scheduled Event"
    assert rule.source == "aws.events"


def test_every_checkov_skip_says_why(resources):
    skips = [
        (name, skip)
        for name, resource in resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips  # checkov runs in `make test`; what it may not flag is listed here, resource by resource
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
        assert len(skip["comment"]) > 40, (name, skip["id"])
