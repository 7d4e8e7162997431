"""The commands about outcomes: `report` (did it work?) and `backfill` (old records into the sweep's join check)."""

from __future__ import annotations

from dataclasses import asdict

import click
from rich.table import Table
from rich.text import Text

from reinviter.core.clock import wall_clock
from reinviter.core.model import UserKey
from reinviter_cli import ledger_ops
from reinviter_cli import report as report_of
from reinviter_cli.commands import check_allowlist, grid
from reinviter_cli.deployment import Deployment, Target
from reinviter_cli.problems import reported
from reinviter_cli.render import console, csv_text, json_text

CHART_WIDTH = 30  # the longest bar of the per-day chart, in characters


def report(where: Target, network: str, days: int, output_format: str) -> None:
    """`reinviter report`."""
    with reported():
        deployment = Deployment(where)
        entries = ledger_ops.network_entries(deployment.dynamodb(), deployment.table, network, deployment.region)
        found = report_of.build(network, list(entries), wall_clock(), days)
    if output_format == "json":
        click.echo(json_text(found.summary() | {"per_day": [asdict(day) for day in found.per_day]}))
    elif output_format == "csv":
        rows = [[network, day.date, day.reinvited, day.joined] for day in found.per_day]
        click.echo(csv_text(["network_id", "date", "first_reinvites", "joins"], rows), nl=False)
    else:
        _report_table(found)


def _report_table(found: report_of.Report) -> None:
    out = console()
    summary = found.summary()
    figures = grid()
    figures.title = f"{found.network_id}: users first reinvited in the last {found.days} days"
    conversion = found.conversion
    for label, value in [
        ("reinvited", summary["reinvited"]),
        ("joined", summary["joined"]),
        ("given up", summary["given_up"]),
        ("deleted or suspended", summary["gone"]),
        ("still pending", summary["still_pending"]),
        ("conversion", "n/a" if conversion is None else f"{conversion:.1%}"),
        ("median reinvites to join", _or_none(summary["median_reinvites_before_join"])),
        ("median hours to join", _or_none(summary["median_hours_to_join"])),
    ]:
        figures.add_row(label, str(value))
    out.print(figures)
    peak = max([1, *(max(day.reinvited, day.joined) for day in found.per_day)])
    chart = Table(title="Per day (UTC): first reinvites and joins", show_edge=False)
    for name in ("date", "first reinvites", "joins"):
        chart.add_column(name, no_wrap=True)
    for day in found.per_day:
        chart.add_row(day.date, _bar(day.reinvited, peak, "cyan"), _bar(day.joined, peak, "green"))
    out.print(chart)


def backfill(where: Target, network: str) -> None:
    """`reinviter backfill`."""
    deployment = Deployment(where)
    with reported():
        check_allowlist(deployment, network, any_network=where.any_network)
        client = deployment.dynamodb()
        entries = ledger_ops.network_entries(client, deployment.table, network, deployment.region)
        old = [
            entry
            for entry in entries
            if entry.record.attempts >= 1
            and entry.record.joined_at is None
            and entry.outcome is None
            and not entry.awaiting
        ]
        marked = sum(
            ledger_ops.mark_awaiting(client, deployment.table, UserKey(network, entry.user_id), deployment.region)
            for entry in old
        )
    console().print(
        f"{network}: {marked} reinvited user(s) without an outcome put into AwaitingIndex; the next sweep's join check"
        f" reads them ({len(old) - marked} changed meanwhile and were left alone)."
    )


def _bar(count: int, peak: int, colour: str) -> Text:
    text = Text("█" * round(CHART_WIDTH * count / peak), style=colour)
    text.append(f" {count}" if count else "")
    return text


def _or_none(value: object) -> str:
    return "n/a" if value is None else str(value)
