"""The Metrics singleton and the two ways this function emits (the names are the core's: core/metric_names.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from reinviter.core.metric_names import JoinSample, Metric, NetworkMetric
from reinviter.core.model import Join

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


def emit_join_samples(joins: Sequence[Join]) -> None:
    """One value per join in this invocation's blob; none without joins (a zero would drag the percentiles down)."""
    for join in joins:
        metrics.add_metric(name=JoinSample.REINVITES_BEFORE_JOIN.value, unit=MetricUnit.Count, value=join.reinvites)
        if join.hours_to_join is not None:
            metrics.add_metric(name=JoinSample.HOURS_TO_JOIN.value, unit=MetricUnit.NoUnit, value=join.hours_to_join)


def emit_conversion(joins: Sequence[Join], reinvited: Iterable[str], networks: Iterable[str]) -> None:
    """The joins' samples, and UsersJoined and UsersReinvited per network (every network named, zeros included).

    `reinvited` holds one network id per user reinvited.
    """
    emit_join_samples(joins)
    joined = Counter(join.key.network_id for join in joins)
    sent = Counter(reinvited)
    for network_id in sorted(set(networks) | set(joined) | set(sent)):
        emit_network(
            network_id,
            {NetworkMetric.USERS_JOINED: joined[network_id], NetworkMetric.USERS_REINVITED: sent[network_id]},
        )


__all__ = ["emit", "emit_conversion", "emit_join_samples", "emit_network", "metrics"]
