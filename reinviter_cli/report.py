"""`reinviter report`, pure: a network's conversion from its ledger records (who was reinvited, who joined, when).

The cohort is the users whose first reinvite falls in the window (records settled before first times were kept
count from their last reinvite). The ledger keeps a user's first and last reinvite, not each one: the per-day chart
shows first reinvites and joins.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reinviter_cli.ledger_ops import Entry
from reinviter_cli.render import DAY, HOUR


@dataclass(frozen=True, slots=True)
class Day:
    """One day of the window (UTC): users first reinvited that day, and joins seen that day."""

    date: str
    reinvited: int
    joined: int


@dataclass(slots=True)
class Report:
    """What became of a network's users first reinvited in the window."""

    network_id: str
    days: int
    reinvited: int = 0
    joined: int = 0
    given_up: int = 0
    gone: int = 0  # deleted or suspended after their reinvite
    still_pending: int = 0
    reinvites_before_join: list[int] = field(default_factory=list)
    hours_to_join: list[float] = field(default_factory=list)
    per_day: list[Day] = field(default_factory=list)

    @property
    def conversion(self) -> float | None:
        """Joined users of the cohort, as a share of it (None: nobody reinvited)."""
        return self.joined / self.reinvited if self.reinvited else None

    def median_reinvites(self) -> float | None:
        """The median number of reinvites a joined user needed."""
        return statistics.median(self.reinvites_before_join) if self.reinvites_before_join else None

    def median_hours(self) -> float | None:
        """The median hours from the first reinvite to the join."""
        return round(statistics.median(self.hours_to_join), 1) if self.hours_to_join else None

    def summary(self) -> dict[str, object]:
        """The figures as one flat mapping (the JSON's and the CSV's fields)."""
        conversion = self.conversion
        return {
            "network_id": self.network_id,
            "days": self.days,
            "reinvited": self.reinvited,
            "joined": self.joined,
            "given_up": self.given_up,
            "gone": self.gone,
            "still_pending": self.still_pending,
            "conversion": None if conversion is None else round(conversion, 4),
            "median_reinvites_before_join": self.median_reinvites(),
            "median_hours_to_join": self.median_hours(),
        }


def build(network_id: str, entries: Iterable[Entry], now: float, days: int) -> Report:
    """The report of the `days` days up to `now`."""
    since = now - days * DAY
    report = Report(network_id, days)
    reinvited_on: dict[str, int] = {}
    joined_on: dict[str, int] = {}
    for entry in entries:
        record = entry.record
        first = record.first_reinvited_at if record.first_reinvited_at is not None else record.last_reinvited_at
        if record.attempts < 1 or first is None or first < since:
            continue
        report.reinvited += 1
        reinvited_on[_day(first)] = reinvited_on.get(_day(first), 0) + 1
        if record.joined_at is not None:
            report.joined += 1
            report.reinvites_before_join.append(record.attempts)
            if record.first_reinvited_at is not None:
                report.hours_to_join.append(max(0.0, record.joined_at - record.first_reinvited_at) / HOUR)
            joined_on[_day(record.joined_at)] = joined_on.get(_day(record.joined_at), 0) + 1
        elif entry.outcome is not None:
            report.gone += 1
        elif entry.given_up:
            report.given_up += 1
        else:
            report.still_pending += 1
    dates = [_day(since + n * DAY) for n in range(days + 1)]  # the window's first (partial) day through today
    report.per_day = [Day(date, reinvited_on.get(date, 0), joined_on.get(date, 0)) for date in dates]
    return report


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")
