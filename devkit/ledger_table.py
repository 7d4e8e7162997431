"""A ledger table shaped as the template's, on whatever DynamoDB endpoint a client points at (moto, in practice)."""

from __future__ import annotations

from typing import Any

from reinviter.adapters.dynamodb.layout import LEDGER_KEYS


def create_ledger_table(dynamodb: Any, name: str) -> None:
    """Create the table (keys and GivenUpIndex from `layout.LEDGER_KEYS`, which test_template checks)."""
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **LEDGER_KEYS)
