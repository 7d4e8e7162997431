"""The ledger table's adapters: claims, username resolutions, sweep cursors and awaited outcomes."""

from reinviter.adapters.dynamodb.awaiting import DynamoAwaiting
from reinviter.adapters.dynamodb.cursors import CURSOR_BUDGET_S, CURSORS_CONFIG, DynamoCursors
from reinviter.adapters.dynamodb.ledger import DynamoLedger
from reinviter.adapters.dynamodb.name_cache import DynamoNameCache
from reinviter.adapters.dynamodb.requests import DYNAMODB_CONFIG, DynamoRequests

__all__ = [
    "CURSORS_CONFIG",
    "CURSOR_BUDGET_S",
    "DYNAMODB_CONFIG",
    "DynamoAwaiting",
    "DynamoCursors",
    "DynamoLedger",
    "DynamoNameCache",
    "DynamoRequests",
]
