"""The errors the core and the orchestration decide on, raised by the adapters that translate AWS failures into them.

Wickr failures are translated in `adapters/wickr/answers.py` alone, DynamoDB's and the key's in
`adapters/dynamodb/requests.py` and `adapters/secrets.py`, SQS's in `adapters/sqs.py`. Errors that never cross into
the core live beside their raiser: refused inputs (`entry/sqs.EventShapeError`, `entry/schedule.SweepInputError`),
configuration (`settings.SettingsError`, `orchestration/sweeper.SweepConfigError`), and the adapters' own
(`TransactionCancelled`, `IncompleteAnswerError`).
"""

from __future__ import annotations


class WickrError(Exception):
    """A Wickr Admin API call did not give a usable answer."""

    def __init__(self, message: str, *, code: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        # True when an attempt ended without a clear refusal (5xx, timeout): Wickr may have acted on it.
        self.maybe_sent = False


class RetryableWickrError(WickrError):
    """Throttled, a server error or a broken connection, still so after our retries: redeliver the message."""


class MalformedAnswer(RetryableWickrError):  # noqa: N818 - reads as the event it reports
    """A 200 whose body lacks what the decision needs (cut short, a field missing): a failed call, never a verdict.

    botocore validates requests, never responses, so a truncated body parses into a near-empty answer. The call may
    have taken effect (Wickr acted, then the answer was lost), so it is `maybe_sent` and is retried unchanged.
    """


class PermanentWickrError(WickrError):
    """The request itself was refused (400, 404 where it matters, 422): retrying the same request cannot help."""


class WickrAccessError(PermanentWickrError):
    """401/403: the function's credentials or permissions are wrong. An operator must act; retrying would storm."""


class DeadlineReached(WickrError):  # noqa: N818 - reads as the event it reports
    """No time left to start or retry a call before the invocation's deadline."""


class WickrNetworkNotFound(PermanentWickrError):  # noqa: N818 - reads as the event it reports
    """Wickr does not know the network itself (not just one user of it): nothing for it can succeed until fixed."""


class UsernameTooBroad(PermanentWickrError):  # noqa: N818 - reads as the state it reports
    """ListUsers' username filter matched more users than a lookup reads: the exact match could not be told apart."""


class LedgerUnavailable(Exception):  # noqa: N818 - reads as the state it reports
    """DynamoDB (or the stack's key) gave no usable answer in time. For a write, whether it was applied is unknown."""


class LedgerDeadline(LedgerUnavailable):
    """No time was left to start (or retry) the request before the deadline."""


class QueueError(Exception):
    """Some messages could not be queued; none of the caller's progress past them may be recorded."""


class EventsUnpublished(Exception):  # noqa: N818 - reads as the state it reports
    """Outcome events were still unpublished after the retries: the outcome they report must not be recorded yet."""
