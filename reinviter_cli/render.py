"""How times, durations and rows are shown: UTC always (operators compare them with CloudWatch's log times)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

MINUTE = 60
HOUR = 3600
DAY = 86400


def console(*, stderr: bool = False) -> Console:
    """A console on the current stdout/stderr (Click's test runner swaps them), no colour guessing in pipes."""
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def when(epoch: float | None) -> str:
    """An epoch time as `2026-11-24 17:50:01 UTC`."""
    if epoch is None:
        return "never"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(epoch: float | None) -> str:
    """An epoch time as ISO 8601 (CSV and JSON)."""
    return "" if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def span(seconds: float) -> str:
    """A duration, coarse: `2 d 3 h`, `5 h 12 min`, `42 s`."""
    seconds = abs(seconds)
    if seconds >= DAY:
        return f"{int(seconds // DAY)} d {int(seconds % DAY // HOUR)} h"
    if seconds >= HOUR:
        return f"{int(seconds // HOUR)} h {int(seconds % HOUR // MINUTE)} min"
    if seconds >= MINUTE:
        return f"{int(seconds // MINUTE)} min"
    return f"{int(seconds)} s"


def relative(epoch: float, now: float) -> str:
    """`in 5 h 12 min` or `3 min ago`."""
    return f"in {span(epoch - now)}" if epoch >= now else f"{span(now - epoch)} ago"


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as RFC 4180 CSV (names with commas or quotes survive the round trip)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def json_text(value: Any) -> str:
    """Indented JSON, non-ASCII kept readable."""
    return json.dumps(value, indent=2, ensure_ascii=False)
