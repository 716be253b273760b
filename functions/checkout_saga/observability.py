"""The one logger, tracer and metrics of the project, configured by the POWERTOOLS_* variables that
template.yaml sets in Globals (service name, metrics namespace, log level)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def count(name: str) -> None:
    """One more of `name`, flushed with the handler's other metrics when it returns."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def emit_now(name: str, unit: MetricUnit, value: float, dimensions: dict[str, str]) -> None:
    """One datum with dimensions of its own (the handler's batch shares one set), written as its own EMF
    document when the `with` block closes."""
    with single_metric(name=name, unit=unit, value=value, namespace=metrics.namespace) as metric:
        for dimension, dimension_value in dimensions.items():
            metric.add_dimension(name=dimension, value=dimension_value)
