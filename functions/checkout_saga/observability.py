"""The one logger, tracer and metrics of the project, configured by the POWERTOOLS_* variables that
template.yaml sets in Globals (service name, metrics namespace, log level)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
