"""Where the deployed function's table, queue and configuration are: the stack's outputs, or what the operator says.

The policy (cooldown, attempt cap) comes from the deployed function's own environment, parsed by the function's own
settings model, so `status` and `preview` judge a record exactly as the function would; `--cooldown-hours` and
`--max-attempts` override it, and without a stack the settings model's defaults apply (the output says which).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from reinviter.adapters.wickr.gateway import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, WickrGateway
from reinviter.adapters.wickr.pacing import RequestPacer
from reinviter.core.policy import Policy
from reinviter.settings import Settings, SettingsError
from reinviter_cli.problems import Problem, client_error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient
else:
    DynamoDBClient = SQSClient = Any

TABLE_OUTPUT = "ReinviteLedgerTableName"
QUEUE_OUTPUT = "ReinviteQueueUrl"
FUNCTION_OUTPUT = "ReinviterFunctionArn"
SAMCONFIG = "samconfig.toml"
AWS_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 5}, user_agent_extra="wickr-reinviter-cli")


def default_stack(directory: Path | None = None) -> str | None:
    """The stack name `sam deploy` uses from samconfig.toml in the current directory, if there is one."""
    path = (directory or Path.cwd()) / SAMCONFIG
    try:
        config = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    for command in ("global", "deploy"):
        name = config.get("default", {}).get(command, {}).get("parameters", {}).get("stack_name")
        if isinstance(name, str) and name:
            return name
    return None


@dataclass(frozen=True, slots=True)
class FunctionConfig:
    """The parts of the function's configuration the command line needs, and where they came from."""

    policy: Policy
    networks: tuple[str, ...]  # the allowlist (empty when unknown)
    sweep_only_expired: bool
    retry_attempts: int
    max_requests_per_second: float
    max_concurrency: int
    source: str

    @classmethod
    def of(cls, settings: Settings, source: str) -> FunctionConfig:
        """From the function's settings model."""
        return cls(
            policy=settings.policy,
            networks=settings.network_ids,
            sweep_only_expired=settings.sweep_only_expired,
            retry_attempts=settings.retry_attempts,
            max_requests_per_second=settings.max_requests_per_second,
            max_concurrency=settings.max_concurrency,
            source=source,
        )

    @classmethod
    def defaults(cls) -> FunctionConfig:
        """The settings model's defaults (no deployed function was read)."""
        fields = Settings.model_fields
        hours = float(fields["cooldown_hours"].default)
        return cls(
            policy=Policy(cooldown_s=hours * 3600.0, max_attempts=int(fields["max_reinvites"].default)),
            networks=(),
            sweep_only_expired=bool(fields["sweep_only_expired"].default),
            retry_attempts=int(fields["retry_attempts"].default),
            max_requests_per_second=float(fields["max_requests_per_second"].default),
            max_concurrency=int(fields["max_concurrency"].default),
            source="the function's defaults: no stack was read",
        )

    def overridden(self, cooldown_hours: float | None, max_attempts: int | None) -> FunctionConfig:
        """With the operator's --cooldown-hours / --max-attempts, if given."""
        if cooldown_hours is None and max_attempts is None:
            return self
        policy = replace(
            self.policy,
            cooldown_s=self.policy.cooldown_s if cooldown_hours is None else cooldown_hours * 3600.0,
            max_attempts=self.policy.max_attempts if max_attempts is None else max_attempts,
        )
        return replace(self, policy=policy, source=f"{self.source}, overridden on the command line")


@dataclass(frozen=True, slots=True)
class Target:
    """What the operator named on the command line."""

    stack: str | None = None
    table: str | None = None
    queue_url: str | None = None
    region: str | None = None
    profile: str | None = None
    cooldown_hours: float | None = None
    max_attempts: int | None = None
    stack_explicit: bool = False  # --stack or REINVITER_STACK given, not samconfig.toml's default
    any_network: bool = False  # --any-network: write for a network no deployed allowlist vouched for


class Deployment:
    """Resolves the table, the queue and the function's configuration lazily: each command asks only what it needs."""

    def __init__(self, target: Target) -> None:
        self._target = target

    @cached_property
    def session(self) -> boto3.Session:
        """The standard credential chain (and AWS_ENDPOINT_URL_* for every client built from it)."""
        return boto3.Session(profile_name=self._target.profile, region_name=self._target.region)

    @property
    def region(self) -> str:
        """The region the clients use (for messages)."""
        return self.session.region_name or "(no region)"

    def _stack_name(self, wanted: str) -> str:
        if self._target.stack:
            return self._target.stack
        raise Problem(
            f"no stack to read the {wanted} from: pass --stack NAME (or REINVITER_STACK), run from the directory"
            f" holding {SAMCONFIG}, or name the {wanted} explicitly"
        )

    @cached_property
    def stack_outputs(self) -> dict[str, str]:
        """The stack's outputs by key (one DescribeStacks call)."""
        name = self._stack_name("table and queue")
        client = self.session.client("cloudformation", config=AWS_CONFIG)
        try:
            stacks = client.describe_stacks(StackName=name)["Stacks"]
        except ClientError as error:
            if client_error_code(error) == "ValidationError" and "does not exist" in str(error):
                raise Problem(
                    f"stack {name!r} not found in {self.region}: check --stack and --region,"
                    " or pass --table / --queue-url"
                ) from None
            raise
        return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}

    def _output(self, key: str, flag: str) -> str:
        value = self.stack_outputs.get(key)
        if not value:
            raise Problem(
                f"stack {self._target.stack!r} has no output {key}: was it deployed from template.yaml? ({flag})"
            )
        return value

    @cached_property
    def table(self) -> str:
        """The ledger table's name."""
        return self._target.table or self._output(TABLE_OUTPUT, "or pass --table")

    @cached_property
    def queue_url(self) -> str:
        """The reinvite queue's URL."""
        return self._target.queue_url or self._output(QUEUE_OUTPUT, "or pass --queue-url")

    @cached_property
    def config(self) -> FunctionConfig:
        """The function's configuration: read from the deployed function unless the operator named resources only."""
        target = self._target
        named_only = target.table is not None or target.queue_url is not None
        # Resources named without --stack: no stack is read, so the settings model's defaults judge the records.
        base = FunctionConfig.defaults() if named_only and not target.stack_explicit else self._deployed_config()
        return base.overridden(target.cooldown_hours, target.max_attempts)

    def _deployed_config(self) -> FunctionConfig:
        arn = self._output(FUNCTION_OUTPUT, "or pass --table with --cooldown-hours and --max-attempts")
        client = self.session.client("lambda", config=AWS_CONFIG)
        answer = client.get_function_configuration(FunctionName=arn)
        environment = answer.get("Environment", {}).get("Variables", {})
        try:
            settings = Settings.from_environ(environment)
        except SettingsError as error:
            raise Problem(f"the deployed function's configuration does not parse: {error}") from None
        return FunctionConfig.of(settings, f"function {arn.rsplit(':', 1)[-1]}")

    def dynamodb(self) -> DynamoDBClient:
        """A DynamoDB client (AWS_ENDPOINT_URL_DYNAMODB redirects it)."""
        return self.session.client("dynamodb", config=AWS_CONFIG)

    def sqs(self) -> SQSClient:
        """An SQS client (AWS_ENDPOINT_URL_SQS redirects it)."""
        return self.session.client("sqs", config=AWS_CONFIG)

    def wickr(self) -> WickrGateway:
        """The function's Wickr gateway: its retries of 429 and 5xx, its pacing ceiling, SDK retries off."""
        config = self.config
        client = self.session.client(
            "wickr",
            config=Config(
                retries={"mode": "standard", "total_max_attempts": 1},  # the gateway retries (adapters/wickr)
                max_pool_connections=config.max_concurrency,
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=READ_TIMEOUT_S,
                user_agent_extra="wickr-reinviter-cli",
            ),
        )
        return WickrGateway(
            client, max_attempts=config.retry_attempts, pacer=RequestPacer(config.max_requests_per_second)
        )
