"""A Wickr Admin API emulator: the real HTTP peer of the reinviter's integration tests and benchmarks.

No AWS emulator covers Wickr (moto has no `wickr` backend), so the project ships this one. It serves the
operations the reinviter and its tools use (GetUser, ListUsers, GetUsersCount, BatchReinviteUser,
BatchCreateUser, UpdateUser) over HTTP/1.1 with SigV4 checks, rest-json errors and idempotency tokens, and injects
faults on demand.
"""

from pathlib import Path

from wickr_emulator.faults import Faults
from wickr_emulator.journal import JournalEntry
from wickr_emulator.server import WickrEmulator
from wickr_emulator.state import ACTIVE, PENDING, SeedUser, UserState

DEMO_SEED_PATH = Path(__file__).with_name("demo_seed.json")

__all__ = ["ACTIVE", "DEMO_SEED_PATH", "PENDING", "Faults", "JournalEntry", "SeedUser", "UserState", "WickrEmulator"]
