"""Logger and Metrics singletons (configured by the POWERTOOLS_* variables); the metric names are in metric_names.py."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from reinviter.metric_names import Metric, NetworkMetric

# The uncaught-exception hook is the Lambda entry point's to install (handler.py): the operators' command line imports
# this module too, and must print its own errors, not a traceback as a JSON log line.
logger = Logger(log_uncaught_exceptions=False)
metrics = Metrics()

# The SDKs' own loggers print request parameters and bodies at DEBUG (usernames in a ListUsers query, names in a
# GetUser answer): held at WARNING whatever the root logger's level, so POWERTOOLS_LOG_LEVEL=DEBUG debugs our code.
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "aws_xray_sdk")
for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)


def emit(counts: dict[Metric, int]) -> None:
    """Add every metric to this invocation's EMF blob, zero where `counts` has none.

    Every invocation, whatever its trigger and however it ended, emits every metric: an alarm needs a datapoint to
    see that all is well, and a dashboard line should not vanish on the days the sweep runs.
    """
    for name in Metric:
        metrics.add_metric(name=name.value, unit=MetricUnit.Count, value=counts.get(name, 0))


def emit_network(network_id: str, counts: dict[NetworkMetric, int]) -> None:
    """One EMF blob for one network (a network id is no personal data; the service-wide blob keeps one dimension)."""
    for name, value in counts.items():
        with single_metric(name=name.value, unit=MetricUnit.Count, value=value, namespace=metrics.namespace) as blob:
            blob.add_dimension(name="service", value=metrics.service or "wickr-reinviter")
            blob.add_dimension(name="network_id", value=network_id)


__all__ = ["Metric", "NetworkMetric", "emit", "emit_network", "logger", "metrics"]
