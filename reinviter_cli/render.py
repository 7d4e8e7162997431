"""How times, durations and rows are shown: UTC always (operators compare them with CloudWatch's log times)."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.text import Text

# Characters no name needs and a terminal or a spreadsheet may act on: control (escape sequences, CR, tab), format
# (bidirectional overrides, zero-width), line and paragraph separators.
_NOT_SHOWN = frozenset({"Cc", "Cf", "Zl", "Zp"})
# A spreadsheet reads a cell that starts with one of these as a formula (=HYPERLINK(...)): OWASP's CSV injection list.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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


def inert(value: str) -> str:
    """Text someone else wrote (a name in Wickr), with every control, format and separator character removed."""
    return "".join(char for char in value if unicodedata.category(char) not in _NOT_SHOWN)


def shown(value: str) -> Text:
    """Untrusted text for a rich table or grid: inert, and never read as markup (`[link=...]`, `[/]`)."""
    return Text(inert(value))


def csv_cell(value: Any) -> str:
    """One CSV cell that no spreadsheet runs: a formula-like start gets a leading `'`, control characters go."""
    text = str(value)
    return inert(f"'{text}" if text.startswith(_FORMULA_STARTS) else text)


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as RFC 4180 CSV (names with commas or quotes survive the round trip), every cell inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def json_text(value: Any) -> str:
    """Indented JSON, non-ASCII kept readable."""
    return json.dumps(value, indent=2, ensure_ascii=False)
