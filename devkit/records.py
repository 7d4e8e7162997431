"""What Lambda's SQS poller hands the function, built for the bench (stdlib only: a cold-start probe imports it)."""

from __future__ import annotations

import json
import uuid
from typing import Any


def sqs_event(network_id: str, messages: list[list[str]], queue_arn: str, field: str = "userIds") -> dict[str, Any]:
    """One record per message (first delivery), each from `queue_arn`, naming its users by `field`."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "AQEB" + uuid.uuid4().hex,
                "body": json.dumps({"networkId": network_id, field: users}),
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
            for users in messages
        ]
    }
