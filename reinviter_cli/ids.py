"""User ids for `enqueue`: one a line, or a CSV with a `user_id` column (what `given-up --format csv` writes).

Every line is checked before anything is sent: one bad line and nothing is queued. A reported line names its number
and the bad id only, never the rest of the line (a CSV from `given-up --with-names` carries names and emails).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass

from reinviter.core.model import NETWORK_ID_PATTERN, USER_ID_PATTERN

USER_ID = re.compile(USER_ID_PATTERN, re.ASCII)  # the function's own patterns (reinviter.core.model)
NETWORK_ID = re.compile(NETWORK_ID_PATTERN, re.ASCII)
ID_HEADERS = frozenset({"user_id", "userid", "user id"})
NETWORK_HEADERS = frozenset({"network_id", "networkid", "network id"})


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that cannot be queued."""

    number: int
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedIds:
    """The ids to queue, in file order, each once."""

    user_ids: list[str]
    duplicates: int
    bad: list[BadLine]


def parse_ids(lines: Iterable[str], network_id: str) -> ParsedIds:
    """Read every line; blank lines and `#` comments are skipped, a header row is recognised by its `user_id` column."""
    seen: dict[str, None] = {}
    duplicates = 0
    bad: list[BadLine] = []
    id_column: int | None = None
    network_column: int | None = None
    header_done = False
    for number, row in enumerate(csv.reader(lines), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not header_done:
            header_done = True
            names = [cell.lower() for cell in cells]
            id_column = next((i for i, name in enumerate(names) if name in ID_HEADERS), None)
            network_column = next((i for i, name in enumerate(names) if name in NETWORK_HEADERS), None)
            if id_column is not None:
                continue
        if id_column is None:
            if len(cells) != 1:
                bad.append(BadLine(number, f"{len(cells)} fields: without a user_id header, one id a line"))
                continue
            user_id = cells[0]
        else:
            if id_column >= len(cells):
                bad.append(BadLine(number, "no user_id field"))
                continue
            user_id = cells[id_column]
            if network_column is not None and network_column < len(cells) and cells[network_column] != network_id:
                bad.append(BadLine(number, f"network_id {cells[network_column]!r} is not {network_id}"))
                continue
        if not USER_ID.fullmatch(user_id):
            bad.append(BadLine(number, f"{user_id[:20]!r} is not a user id (1 to 10 digits)"))
            continue
        if user_id in seen:
            duplicates += 1
        seen[user_id] = None
    return ParsedIds(user_ids=list(seen), duplicates=duplicates, bad=bad)
