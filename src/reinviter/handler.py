"""Lambda entry point: the observability decorators and a dispatch on the event's kind; the rest is in entry/."""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

from aws_lambda_powertools.logging.logger import log_uncaught_exception_hook
from aws_lambda_powertools.utilities.typing import LambdaContext

from reinviter.core.deadline import Deadline
from reinviter.entry.schedule import SweepInputError, handle_sweep
from reinviter.entry.sqs import EventShapeError, handle_sqs, sqs_records
from reinviter.orchestration.sweeper import SweepConfigError
from reinviter.telemetry import tracing
from reinviter.telemetry.logger import logger
from reinviter.telemetry.metrics import emit, metrics
from reinviter.wiring import container

# In Lambda, an exception that escapes everything is logged as one JSON line with the request's context.
sys.excepthook = partial(log_uncaught_exception_hook, logger=logger)


@metrics.log_metrics
@tracing.trace_handler
@logger.inject_lambda_context(log_event=False)  # events name users: never logged whole
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One handler for two triggers: an SQS batch of reinvite requests, or one of the three scheduled sweep inputs.

    Anything else is refused whole, with an error-level line saying why, every metric at zero, and nothing done.
    """
    app = container()
    deadline = Deadline.after(context.get_remaining_time_in_millis(), app.settings.deadline_margin_ms)
    try:
        if isinstance(event, dict) and "Records" in event:
            return handle_sqs(sqs_records(event), app, deadline)
        return handle_sweep(event, app, deadline)
    except (EventShapeError, SweepInputError, SweepConfigError) as error:
        emit({})
        logger.error("invocation refused, nothing was done", reason=str(error), error_type=type(error).__name__)
        raise
    except Exception:
        if not metrics.metric_set:  # a bug, or Lambda's own failure: the alarms still get their datapoints
            emit({})
        raise
