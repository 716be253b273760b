"""recent_failures reads why a function failed from its log: the lines of failed calls only, of the functions
named, since a moment, the latest last."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from saga_client.function_failures import recent_failures


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("logs", region_name="us-east-1")


TRACEBACK = "Traceback (most recent call last):"
NOW = int(time.time() * 1000)  # CloudWatch Logs refuses events older than 14 days


def _write(logs: Any, group: str, events: list[tuple[int, str]]) -> None:
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": NOW + t, "message": m} for t, m in events]
    )


def test_the_latest_failures_of_the_named_function_since_a_moment(logs: Any) -> None:
    api, other = "/aws/lambda/e2e-ApiFunction-AB12", "/aws/lambda/e2e-ReserveStockFunction-CD34"
    _write(
        logs,
        api,
        [
            (1_000, "[ERROR] KeyError: 'old'"),  # before the moment asked for
            (2_000, "START RequestId: r1 Version: 3"),
            (2_001, f"[ERROR] ClientError: An error occurred (AccessDeniedException)\n{TRACEBACK}"),
            (2_002, "END RequestId: r1"),
            (3_000, "RequestId: r2 Error: Task timed out after 10.00 seconds"),
            (4_000, "RequestId: r3 Error: Runtime exited with error: signal: killed"),
        ],
    )
    _write(logs, other, [(2_500, "[ERROR] OutOfStock: none left")])

    assert recent_failures(logs, "ApiFunction", since_ms=NOW + 1_500) == [
        f"{api}: [ERROR] ClientError: An error occurred (AccessDeniedException)",  # its first line only
        f"{api}: RequestId: r2 Error: Task timed out after 10.00 seconds",
        f"{api}: RequestId: r3 Error: Runtime exited with error: signal: killed",
    ]
    assert recent_failures(logs, "ApiFunction", since_ms=NOW + 1_500, limit=1) == [
        f"{api}: RequestId: r3 Error: Runtime exited with error: signal: killed"
    ]
    assert recent_failures(logs, "ApiFunction", since_ms=NOW + 5_000) == []
    assert recent_failures(logs, "NoSuchFunction", since_ms=0) == []
