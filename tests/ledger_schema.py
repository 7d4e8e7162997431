"""The ledger table's keys and index, as template.yaml declares them (tests/unit/test_template.py checks that)."""

from __future__ import annotations

from typing import Any

LEDGER_KEYS: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "given_up", "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "GivenUpIndex",
            "KeySchema": [
                {"AttributeName": "given_up", "KeyType": "HASH"},
                {"AttributeName": "pk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}


def create_ledger_table(dynamodb: Any, name: str) -> None:
    """A ledger table shaped as the template's, on whatever DynamoDB endpoint the client points at."""
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **LEDGER_KEYS)
