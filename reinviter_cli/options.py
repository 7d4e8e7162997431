"""Options every command shares: where the deployment is, which policy to judge records by, and id arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from reinviter_cli.deployment import Target, default_stack
from reinviter_cli.ids import NETWORK_ID, USER_ID

F = TypeVar("F", bound=Callable[..., Any])


def network_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A Wickr network id: 8 digits (a usage error otherwise)."""
    if not NETWORK_ID.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a network id (8 digits)")
    return value


def network_ids(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """Several network ids."""
    return tuple(dict.fromkeys(network_id(ctx, param, value) for value in values))


def user_ids(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...] | str) -> Any:
    """One or several Wickr user ids: 1 to 10 digits each."""
    for value in (values,) if isinstance(values, str) else values:
        if not USER_ID.fullmatch(value):
            raise click.BadParameter(f"{value!r} is not a user id (1 to 10 digits)")
    return values


def where(*, table: bool = False, queue: bool = False, policy: bool = False, writes: bool = False) -> Callable[[F], F]:
    """The deployment options a command needs (--stack, --region, --profile always)."""

    def decorate(command: F) -> F:
        options = [
            click.option(
                "--stack",
                envvar="REINVITER_STACK",
                help="CloudFormation stack of the deployment (default: stack_name in ./samconfig.toml).",
            ),
            click.option("--region", help="AWS region (default: the standard chain, e.g. AWS_REGION)."),
            click.option("--profile", help="AWS profile (default: the standard chain, e.g. AWS_PROFILE)."),
        ]
        if table:
            options.append(click.option("--table", help="Ledger table name, instead of the stack's output."))
        if queue:
            options.append(click.option("--queue-url", help="Reinvite queue URL, instead of the stack's output."))
        if writes:
            options.append(
                click.option(
                    "--any-network",
                    is_flag=True,
                    help="Act even when no deployed allowlist was read (resources named without --stack).",
                )
            )
        if policy:
            options += [
                click.option(
                    "--cooldown-hours",
                    type=click.FloatRange(min=0),
                    help="Judge records with this cooldown (default: the deployed function's).",
                ),
                click.option(
                    "--max-attempts",
                    type=click.IntRange(min=1),
                    help="Judge records with this attempt cap (default: the deployed function's).",
                ),
            ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def output_format(help_text: str) -> Callable[[F], F]:
    """`--format table|csv|json` (into `output_format`), with what each is for."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help=help_text,
    )


def target(options: dict[str, Any]) -> Target:
    """The command line's deployment options as a Target (samconfig.toml's stack when none was named)."""
    stack = options.pop("stack", None)
    return Target(
        stack=stack or default_stack(),
        table=options.pop("table", None),
        queue_url=options.pop("queue_url", None),
        region=options.pop("region", None),
        profile=options.pop("profile", None),
        cooldown_hours=options.pop("cooldown_hours", None),
        max_attempts=options.pop("max_attempts", None),
        stack_explicit=stack is not None,
        any_network=bool(options.pop("any_network", False)),
    )
