"""The commands' work: read, judge with the function's own rules, print. Each runs inside `reported()`."""

from __future__ import annotations

import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from reinviter.adapters.dynamodb.ledger import DynamoLedger
from reinviter.adapters.wickr.answers import WickrUser
from reinviter.core.clock import wall_clock
from reinviter.core.deadline import Deadline
from reinviter.core.errors import LedgerUnavailable, QueueError
from reinviter.core.model import MAX_USERS_PER_REINVITE, PendingUser, UserKey
from reinviter.core.policy import Status, decide
from reinviter_cli import ledger_ops
from reinviter_cli.deployment import Deployment, Target
from reinviter_cli.ids import parse_ids
from reinviter_cli.ledger_ops import ResetOutcome, ResetResult
from reinviter_cli.problems import Problem, reported
from reinviter_cli.render import console, csv_text, inert, iso, json_text, relative, shown, when
from reinviter_cli.sending import Sender, messages
from reinviter_cli.verdicts import next_request, policy_text

SHOWN_BAD_LINES = 20


def status(where: Target, network: str, user: str, *, show_names: bool) -> None:
    """`reinviter status`."""
    with reported():
        deployment = Deployment(where)
        key = UserKey(network, user)
        entry = ledger_ops.read_entry(deployment.dynamodb(), deployment.table, key, deployment.region)
        config = deployment.config
        details = deployment.wickr().user_details(network, user, Deadline.never())
    now = wall_clock()
    record = entry.record if entry else None
    decision = decide(record, now, config.policy)
    policy = config.policy

    out = console()
    rows = grid()
    rows.add_row(f"[bold]{network}/{user}[/]", "")
    rows.add_row("Ledger", f"table {deployment.table}; policy {policy_text(policy)} (from {config.source})")
    if record is None:
        rows.add_row("  record", "none: never reinvited by the function")
    else:
        rows.add_row("  attempts", f"{record.attempts} of {policy.max_attempts}")
        last = record.last_reinvited_at
        rows.add_row("  last reinvite", when(last) + (f" ({relative(last, now)})" if last is not None else ""))
        if record.joined_at is not None or record.attempts >= policy.max_attempts:
            rows.add_row("  next due", "never: joined" if record.joined_at is not None else "never: given up")
        elif last is not None and policy.wait_after(record.attempts):
            end = last + policy.wait_after(record.attempts)
            rows.add_row("  next due", f"{when(end)} ({relative(end, now)})")
        if record.joined_at is not None:
            rows.add_row("  joined", f"{when(record.joined_at)} ({relative(record.joined_at, now)})")
        rows.add_row(
            "  claim", _claim_text(record.claim_token, record.claim_expires_at, len(record.claim_members), now)
        )
        rows.add_row("  given up", "yes" if entry is not None and entry.given_up else "no")
    rows.add_row("Wickr", "GetUser")
    if details is None:
        rows.add_row("  user", "not found in this network")
    else:
        rows.add_row("  status", f"{details.state.value} ({details.status})")
        rows.add_row("  suspended", "yes" if details.suspended else "no")
        rows.add_row("  name", shown(_name(details)) if show_names else "hidden (--show-names prints it)")
        if show_names:
            rows.add_row("  username", shown(details.username or ""))
    rows.add_row("[bold]Next request[/]", next_request(decision, record, details, policy, now))
    out.print(rows)


def grid() -> Table:
    """Label and value columns; a long value wraps in a narrow terminal instead of being cut short."""
    rows = Table.grid(padding=(0, 2))
    rows.add_column(no_wrap=True)
    rows.add_column(overflow="fold")
    return rows


def _claim_text(token: str | None, expires_at: float, members: int, now: float) -> str:
    if token is None:
        return "none"
    if expires_at > now:
        return f"live: a call of {members} users in flight, lease ends {when(expires_at)} ({relative(expires_at, now)})"
    return f"stale: lease ended {when(expires_at)} ({relative(expires_at, now)}); the next request replays its call"


def _name(user: WickrUser) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part) or "(none)"


def given_up(where: Target, network: str, output_format: str, *, with_names: bool) -> None:
    """`reinviter given-up`."""
    with reported():
        deployment = Deployment(where)
        entries = sorted(
            ledger_ops.given_up(deployment.dynamodb(), deployment.table, network, deployment.region),
            key=lambda entry: int(entry.user_id),
        )
        policy = deployment.config.policy
        details: list[WickrUser | None] = []
        if with_names and entries:
            gateway = deployment.wickr()
            workers = min(deployment.config.max_concurrency, len(entries))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="getuser") as pool:
                details = list(pool.map(lambda e: gateway.user_details(network, e.user_id, Deadline.never()), entries))
    now = wall_clock()
    header = ["network_id", "user_id", "attempts", "last_reinvited_at", "now"]
    if with_names:
        header += ["first_name", "last_name", "username", "wickr_status"]
    rows: list[list[str]] = []
    for index, entry in enumerate(entries):
        row = [
            network,
            entry.user_id,
            str(entry.record.attempts),
            iso(entry.record.last_reinvited_at),
            decide(entry.record, now, policy).status.value,
        ]
        if with_names:
            user = details[index]
            row += (
                [
                    inert(user.first_name or ""),
                    inert(user.last_name or ""),
                    inert(user.username or ""),
                    user.state.value,
                ]
                if user
                else ["", "", "", "not found"]
            )
        rows.append(row)
    if output_format == "csv":
        click.echo(csv_text(header, rows), nl=False)
    elif output_format == "json":
        click.echo(json_text([dict(zip(header, row, strict=True)) for row in rows]))
    else:
        _given_up_table(network, header, rows, policy_text(policy))


def _given_up_table(network: str, header: list[str], rows: list[list[str]], policy: str) -> None:
    out = console()
    if not rows:
        out.print(f"Nobody is given up in {network}.")
        return
    table = Table(title=f"Given up in {network}: {len(rows)} user(s); 'now' judged with {policy}")
    for name in header:
        table.add_column(name, no_wrap=name in {"user_id", "last_reinvited_at"})
    for row in rows:
        table.add_row(*(shown(cell) for cell in row))
    out.print(table)


def reset(where: Target, network: str, users: list[str]) -> None:
    """`reinviter reset`."""
    deployment = Deployment(where)
    out = console()
    counts: Counter[ResetOutcome] = Counter()
    with reported():
        check_allowlist(deployment, network, any_network=where.any_network)
        client = deployment.dynamodb()
        for user in users:
            result = ledger_ops.reset(client, deployment.table, UserKey(network, user), deployment.region)
            counts[result.outcome] += 1
            out.print(_reset_line(result, wall_clock()))
    summary = ", ".join(f"{outcome.value}: {count}" for outcome, count in counts.items())
    if counts[ResetOutcome.REFUSED]:
        raise Problem(f"{counts[ResetOutcome.REFUSED]} of {len(users)} user(s) refused, not reset ({summary})")
    out.print(f"Done ({summary}).")


def _reset_line(result: ResetResult, now: float) -> str:
    name = f"{result.key.network_id}/{result.key.user_id}"
    before = result.before
    if result.outcome is ResetOutcome.NO_RECORD or before is None:
        return f"{name}: no ledger record; the next request already treats this user as new"
    record = before.record
    if result.outcome is ResetOutcome.REFUSED:
        if record.claim_expires_at > now:
            return (
                f"{name}: refused: a live claim (another invocation is reinviting this user) until"
                f" {when(record.claim_expires_at)} ({relative(record.claim_expires_at, now)}); run reset after it"
            )
        return (
            f"{name}: refused: a stale claim (lease ended {when(record.claim_expires_at)}); the next request for this"
            " user replays its call, then reset can run"
        )
    if result.outcome is ResetOutcome.NOTHING:
        return f"{name}: nothing to reset (no attempts, no cooldown, not given up)"
    return (
        f"{name}: reset: attempts {record.attempts} -> 0, last reinvite {when(record.last_reinvited_at)} -> never,"
        f" given up {'yes' if before.given_up else 'no'} -> no"
    )


def enqueue(where: Target, network: str, path: str) -> None:
    """`reinviter enqueue`."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Problem(f"cannot read {path}: {error}") from None
    parsed = parse_ids(text.splitlines(), network)
    if parsed.bad:
        err = console(stderr=True)
        for line in parsed.bad[:SHOWN_BAD_LINES]:
            err.print(f"line {line.number}: {line.reason}")
        more = len(parsed.bad) - SHOWN_BAD_LINES
        if more > 0:
            err.print(f"... and {more} more bad line(s)")
        raise Problem(f"{len(parsed.bad)} bad line(s) in {path}: nothing was queued")
    if not parsed.user_ids:
        raise Problem(f"no user ids in {path}: nothing was queued")
    deployment = Deployment(where)
    with reported():
        check_allowlist(deployment, network, any_network=where.any_network)
        sender = Sender(deployment.sqs(), deployment.queue_url)
        bodies = messages(network, parsed.user_ids)
        columns = (TextColumn("queueing"), BarColumn(), MofNCompleteColumn(), TextColumn("ids"), TimeRemainingColumn())
        with Progress(*columns, console=console(stderr=True), transient=True) as progress:
            task = progress.add_task("queue", total=len(parsed.user_ids))
            try:
                sender.send(bodies, lambda users: progress.advance(task, users))
            except QueueError as error:
                raise Problem(
                    f"{error}. Queued before it: {sender.messages} message(s), the first {sender.users} id(s) of the"
                    " input; run again with the rest (users queued twice are skipped by the cooldown)"
                ) from None
    duplicates = f"; {parsed.duplicates} repeated id(s) sent once" if parsed.duplicates else ""
    console().print(
        f"Queued {sender.users} user(s) of {network} in {sender.messages} message(s): {sender.sqs.calls}"
        f" SendMessageBatch call(s), {sender.sqs.failed_entries} failed entr(ies) retried{duplicates}."
        f"\nQueue: {deployment.queue_url}"
    )


def check_allowlist(deployment: Deployment, network: str, *, any_network: bool) -> None:
    """A write names a network of the deployed allowlist; without one (no stack read), only with --any-network."""
    allowlist = deployment.config.networks
    if allowlist and network not in allowlist:
        raise Problem(f"{network} is not in the function's allowlist {list(allowlist)}: it would refuse them")
    if not allowlist and not any_network:
        raise Problem(
            f"no deployed allowlist was read (resources named without --stack), so {network} cannot be checked:"
            " name the stack with --stack, or pass --any-network to act anyway"
        )


def preview(where: Target, networks: list[str]) -> None:
    """`reinviter preview`."""
    deployment = Deployment(where)
    out = console()
    with reported():
        config = deployment.config
        chosen = networks or list(config.networks)
        if not chosen:
            raise click.UsageError("name the networks: no allowlist was read (use --stack, or list NETWORK ids)")
        outside = [network for network in chosen if config.networks and network not in config.networks]
        if outside:
            raise Problem(f"{outside} not in the function's allowlist {list(config.networks)}: a sweep refuses them")
        client = deployment.dynamodb()
        ledger = DynamoLedger(client, deployment.table, config.policy)
        gateway = deployment.wickr()
        out.print(f"Policy: {policy_text(config.policy)} (from {config.source}). Nothing is sent.")
        for network in chosen:
            pending = gateway.pending_count(network, Deadline.never())
            listed = [user for page, _ in gateway.pending_users(network, Deadline.never()) for user in page]
            chosen_users = [user for user in listed if user.invite_expired or not config.sweep_only_expired]
            keys = [UserKey(network, user.user_id) for user in chosen_users]
            try:
                records = ledger.read(keys, Deadline.never())
            except LedgerUnavailable as error:
                raise Problem(f"the ledger table {deployment.table!r} could not be read ({error})") from None
            cursor = ledger_ops.read_cursor(client, deployment.table, network, deployment.region)
            now = wall_clock()
            verdicts = Counter(decide(records.get(key), now, config.policy).status for key in keys)
            found = NetworkPreview(network, pending, len(listed), chosen_users, verdicts, cursor=cursor)
            out.print(_preview_block(found, sweep_only_expired=config.sweep_only_expired))


@dataclass(frozen=True, slots=True)
class NetworkPreview:
    """What a sweep of one network would meet now."""

    network: str
    pending: int  # GetUsersCount
    listed: int  # pending users ListUsers lists (suspended ones left out, as the sweep does)
    chosen: list[PendingUser]  # those the sweep would queue
    verdicts: Counter[Status]  # `decide` for each chosen user
    cursor: bool


def _preview_block(found: NetworkPreview, *, sweep_only_expired: bool) -> Table:
    chosen, verdicts = found.chosen, found.verdicts
    expired = sum(1 for user in chosen if user.invite_expired)
    rows = grid()
    rows.add_row(f"[bold]Network {found.network}[/]", "")
    rows.add_row("  pending (GetUsersCount)", str(found.pending))
    rows.add_row("  pending listed (ListUsers, not suspended)", str(found.listed))
    rows.add_row("  invitations expired", str(expired) if not sweep_only_expired else f"{expired} (only these queued)")
    messages_needed = -(-len(chosen) // MAX_USERS_PER_REINVITE)
    rows.add_row("  a sweep would queue", f"{len(chosen)} user(s) in {messages_needed} message(s)")
    rows.add_row("  then: reinvite", str(verdicts[Status.ELIGIBLE]))
    rows.add_row("        skip, in cooldown", str(verdicts[Status.COOLDOWN]))
    rows.add_row("        skip, given up", str(verdicts[Status.GIVEN_UP]))
    rows.add_row("        retry later, claimed", str(verdicts[Status.CLAIMED]))
    rows.add_row("        replay a stale claim", str(verdicts[Status.STALE_CLAIM]))
    rows.add_row(
        "  sweep cursor",
        "stored: the next run continues mid-list" if found.cursor else "none: the next run starts at the first page",
    )
    return rows
