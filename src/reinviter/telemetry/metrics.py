"""The Metrics singleton and the two ways this function emits (the names are the core's: core/metric_names.py)."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from reinviter.core.metric_names import Metric, NetworkMetric

metrics = Metrics()


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


__all__ = ["emit", "emit_network", "metrics"]
