"""The `reinviter` command: the ledger and Wickr as an operator needs them. Exit codes: 0 ok, 1 a problem, 2 usage."""

from __future__ import annotations

from typing import Any

import click

from reinviter_cli import commands, conversion
from reinviter_cli.options import network_id, network_ids, output_format, target, user_ids, where

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="wickr-reinviter", prog_name="reinviter")
def cli() -> None:
    """Operate a deployed wickr-reinviter: why a user was skipped, who was given up, resets, bulk requests.

    The table and queue come from the stack's outputs (--stack, default: stack_name in ./samconfig.toml) or are named
    with --table / --queue-url. Credentials and region follow the standard AWS chain; AWS_ENDPOINT_URL_* variables
    redirect every client (the demo's emulator and moto included). Names and email addresses are printed only on
    request (--show-names, --with-names).
    """


@cli.command()
@click.argument("network", metavar="NETWORK", callback=network_id)
@click.argument("user", metavar="USER", callback=user_ids)
@where(table=True, policy=True)
@click.option("--show-names", is_flag=True, help="Also print the user's name and username (email).")
def status(network: str, user: str, show_names: bool, **options: Any) -> None:
    """One user: the ledger's record, Wickr's GetUser answer, and what the next request would do and why."""
    commands.status(target(options), network, user, show_names=show_names)


@cli.command("given-up")
@click.argument("network", metavar="NETWORK", callback=network_id)
@where(table=True, policy=True)
@output_format("csv and json are for scripts and the people who call joiners; csv feeds `enqueue`.")
@click.option(
    "--with-names", is_flag=True, help="Add names, username (email) and Wickr status: one paced GetUser a user."
)
def given_up(network: str, output_format: str, with_names: bool, **options: Any) -> None:
    """Every user of NETWORK who reached the attempt cap (a Query of the ledger's GivenUpIndex, never a Scan)."""
    commands.given_up(target(options), network, output_format, with_names=with_names)


@cli.command()
@click.argument("network", metavar="NETWORK", callback=network_id)
@click.argument("users", metavar="USER...", nargs=-1, required=True, callback=user_ids)
@where(table=True, writes=True)
def reset(network: str, users: tuple[str, ...], **options: Any) -> None:
    """Clear attempts, cooldown and the given-up mark, so the next request reinvites (for a user who asked).

    Refused for a user whose record holds a claim, live or stale: the claim's call settles (or is replayed by the
    next request) with the attempts it read, which would undo the reset. Exits 1 if any user was refused.
    """
    commands.reset(target(options), network, list(dict.fromkeys(users)))


@cli.command()
@click.argument("network", metavar="NETWORK", callback=network_id)
@click.argument("source", metavar="[-]", required=False)
@click.option("--file", "path", type=click.Path(dir_okay=False, allow_dash=True), help="Ids to queue (or - for stdin).")
@where(queue=True, writes=True)
def enqueue(network: str, source: str | None, path: str | None, **options: Any) -> None:
    """Queue reinvite requests for the ids in --file (or - for stdin): 50 ids a message, 10 messages a call.

    One id a line, or a CSV with a user_id column (what `given-up --format csv` writes). Every line is checked
    first: one bad line is reported with its number and nothing is sent.
    """
    if source is not None and source != "-":
        raise click.UsageError(f"unexpected argument {source!r}: give ids with --file PATH, or - to read stdin")
    if (source is None) == (path is None):
        raise click.UsageError("give the ids either with --file PATH or as - (stdin), one of the two")
    commands.enqueue(target(options), network, path or "-")


@cli.command()
@click.argument("networks", metavar="[NETWORK...]", nargs=-1, callback=network_ids)
@where(table=True, policy=True)
def preview(networks: tuple[str, ...], **options: Any) -> None:
    """What a sweep would do now, sending nothing (default: every network of the function's allowlist).

    Per network: GetUsersCount's pending users, the pending users ListUsers lists, expired invitations, and how many
    of those the next request would reinvite, skip for cooldown or the attempt cap, or find claimed.
    """
    commands.preview(target(options), list(networks))


@cli.command()
@click.argument("network", metavar="NETWORK", callback=network_id)
@click.option("--days", type=click.IntRange(1, 400), default=30, show_default=True, help="The window, up to today.")
@output_format("table: the figures and a per-day chart; csv: the chart's rows; json: both.")
@where(table=True)
def report(network: str, days: int, output_format: str, **options: Any) -> None:
    """Did it work? Of NETWORK's users first reinvited in the last --days: joined, given up, still pending.

    Conversion, the median reinvites and hours a join took, and first reinvites and joins per day. Reads every item of
    the ledger once (a Scan: no index holds every reinvited user); ids and counts only, never a name.
    """
    conversion.report(target(options), network, days, output_format)


@cli.command()
@click.argument("network", metavar="NETWORK", callback=network_id)
@where(table=True, writes=True)
def backfill(network: str, **options: Any) -> None:
    """Put NETWORK's records settled before joins were tracked into the sweep's join check (once, after upgrading).

    A reinvited user with no outcome and no `awaiting` mark is marked (a conditional write each, so a record that
    changed meanwhile is left alone); from the next sweep, those who joined, were deleted or were suspended are seen.
    Reads every item of the ledger once (a Scan).
    """
    conversion.backfill(target(options), network)


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="reinviter")
