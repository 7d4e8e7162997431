"""What Lambda's SQS poller hands the function (stdlib only: the bench's cold-start probe imports it, and tests)."""

from __future__ import annotations

import json
import uuid
from typing import Any


def sqs_record(body: str, message_id: str | None, queue_arn: str) -> dict[str, Any]:
    """One record of a first delivery from `queue_arn`, around a raw body."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1763884801731",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1763884801740",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def sqs_event(network_id: str, messages: list[list[str]], queue_arn: str, field: str = "userIds") -> dict[str, Any]:
    """One record per message, each naming its users by `field`."""
    records = [sqs_record(json.dumps({"networkId": network_id, field: users}), None, queue_arn) for users in messages]
    return {"Records": records}
