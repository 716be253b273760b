"""Metrics from embedded-metric-format (EMF) log lines, as CloudWatch Logs extracts them from any log group
(moto pinned: 5.2.5 does not): every event written through moto's logs backend (the Lambda runtime writes each
function's logs there) adds its EMF data to moto's CloudWatch metrics. The seam is
``LogsBackend.put_log_events``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from local_cloud.cloudwatch.emf import data_in
from local_cloud.seams import Installation, replace, require_signature


def install_emf_metrics() -> Installation:
    from moto.logs.models import LogsBackend

    original = LogsBackend.put_log_events
    require_signature(
        original, ["self", "log_group_name", "log_stream_name", "log_events"], "LogsBackend.put_log_events"
    )

    def put_log_events(self: Any, log_group_name: str, log_stream_name: str, log_events: list[dict[str, Any]]) -> Any:
        result = original(self, log_group_name, log_stream_name, log_events)
        put_emf_metrics(self.account_id, self.region_name, log_events)
        return result

    return Installation([replace(LogsBackend, "put_log_events", put_log_events)])


def put_emf_metrics(account_id: str, region: str, log_events: list[dict[str, Any]]) -> None:
    """The metric data of the EMF documents among ``log_events``, put into moto's CloudWatch metrics."""
    from moto.cloudwatch.models import cloudwatch_backends

    for event in log_events:
        for datum in data_in(str(event.get("message", ""))):
            # The event's time stands for the document's _aws.Timestamp: both are the moment the line was written.
            # naive UTC, as moto keeps the times it compares.
            timestamp = datetime.fromtimestamp(int(event["timestamp"]) / 1000, UTC).replace(tzinfo=None)
            cloudwatch_backends[account_id][region].put_metric_data(
                datum.namespace,
                [
                    {
                        "MetricName": datum.name,
                        "Values": list(datum.values),
                        "Unit": datum.unit,
                        "Dimensions": [{"Name": name, "Value": value} for name, value in datum.dimensions],
                        "Timestamp": timestamp,
                    }
                ],
            )
