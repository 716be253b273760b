"""The metrics AWS services publish themselves, which moto never writes: the local cloud writes them where each
event happens, so that an alarm on them fires from its real cause (docs/local-cloud.md, "Metrics and alarms").

- ``AWS/Lambda``: ``Errors`` (an invocation whose function failed) and ``Throttles`` (one refused by reserved
  concurrency), per ``FunctionName`` and for the whole account (no dimension), as Lambda publishes them;
- ``AWS/States``: ``ExecutionsSucceeded``, ``ExecutionsFailed``, ``ExecutionsTimedOut``, ``ExecutionsAborted``
  per ``StateMachineArn``, when an execution ends;
- ``AWS/ApiGateway``: ``Count``, ``4XXError``, ``5XXError`` (0 or 1 per request) and ``Latency`` (ms) per
  ``ApiName`` and ``Stage``;
- ``AWS/SQS``: ``ApproximateNumberOfMessagesVisible`` per ``QueueName``, sampled (``QueueDepthSampler``).

Lambda writes a datum only when an error or a throttle happens (an alarm on them treats missing data as not
breaching): one datum per invocation would grow moto's metric store by the thousand in a load test."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime

LAMBDA = "AWS/Lambda"
STATES = "AWS/States"
API_GATEWAY = "AWS/ApiGateway"
SQS = "AWS/SQS"
QUEUE_DEPTH = "ApproximateNumberOfMessagesVisible"
# An execution's end -> its metric (ExecutionStatus names).
EXECUTION_METRICS = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "TIMED_OUT": "ExecutionsTimedOut",
    "ABORTED": "ExecutionsAborted",
}


def put(
    account_id: str,
    region: str,
    namespace: str,
    name: str,
    value: float,
    unit: str,
    dimension_sets: Iterable[dict[str, str]],
) -> None:
    """One datum of ``name`` now, once per dimension set (``{}``: the metric without dimensions)."""
    from moto.cloudwatch.models import cloudwatch_backends

    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as moto keeps the times it compares
    cloudwatch_backends[account_id][region].put_metric_data(
        namespace,
        [
            {
                "MetricName": name,
                "Value": value,
                "Unit": unit,
                "Dimensions": [{"Name": key, "Value": val} for key, val in dimensions.items()],
                "Timestamp": now,
            }
            for dimensions in dimension_sets
        ],
    )


def lambda_event(function_arn: str, name: str) -> None:
    """An ``Errors`` or ``Throttles`` datum of the function ``function_arn`` (and of the account)."""
    _arn, _aws, _service, region, account_id, _kind, function_name, *_qualifier = function_arn.split(":")
    put(account_id, region, LAMBDA, name, 1.0, "Count", [{"FunctionName": function_name}, {}])


def execution_ended(state_machine_arn: str, status: str) -> None:
    metric = EXECUTION_METRICS.get(status)
    if metric is None:
        return
    # An execution of a version or through an alias counts for its state machine.
    parts = state_machine_arn.split(":")
    unqualified = ":".join(parts[:7])
    put(parts[4], parts[3], STATES, metric, 1.0, "Count", [{"StateMachineArn": unqualified}])


def api_request(account_id: str, region: str, api_name: str, stage: str, status: int, latency_ms: float) -> None:
    dimensions = [{"ApiName": api_name, "Stage": stage}]
    put(account_id, region, API_GATEWAY, "Count", 1.0, "Count", dimensions)
    put(account_id, region, API_GATEWAY, "4XXError", float(400 <= status < 500), "Count", dimensions)
    put(account_id, region, API_GATEWAY, "5XXError", float(status >= 500), "Count", dimensions)
    put(account_id, region, API_GATEWAY, "Latency", latency_ms, "Milliseconds", dimensions)


class QueueDepthSampler:
    """``ApproximateNumberOfMessagesVisible`` of every queue: a datum when the count changed, and at least every
    ``every_seconds`` (SQS publishes it each minute), so that a queue's alarm sees each new message at once."""

    def __init__(self, every_seconds: float = 60.0) -> None:
        self._every = every_seconds
        self._last: dict[str, tuple[int, float]] = {}  # queue ARN -> (count, when written)

    def sample(self) -> None:
        from moto.sqs.models import sqs_backends

        now = time.monotonic()
        for account_id, regions in list(sqs_backends.items()):
            for region, backend in list(regions.items()):
                for queue in list(backend.queues.values()):
                    visible = int(queue.approximate_number_of_messages)
                    last = self._last.get(queue.queue_arn)
                    if last is not None and last[0] == visible and now - last[1] < self._every:
                        continue
                    self._last[queue.queue_arn] = (visible, now)
                    put(account_id, region, SQS, QUEUE_DEPTH, float(visible), "Count", [{"QueueName": queue.name}])
