"""Step Functions' execution logs and metrics on moto: an execution of a state machine whose logging level is
ERROR logs its failure to the configured log group, without its input; every execution's end counts in
AWS/States (ExecutionsSucceeded, ExecutionsFailed). In-process moto with the interpreter and the two seams."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud.stepfunctions import execution_logs, execution_metrics, interpreter

ROLE = "arn:aws:iam::123456789012:role/states"
FAILING = {"StartAt": "Pass", "States": {"Pass": {"Type": "Pass", "Next": "F"}, "F": {"Type": "Fail", "Error": "E"}}}
SUCCEEDING = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}


@pytest.fixture
def aws() -> Iterator[Callable[[str], Any]]:
    with (
        mock_aws(),
        interpreter.configure_moto(),
        execution_logs.install_execution_logs(),
        execution_metrics.install_execution_metrics(),
    ):
        yield lambda service: boto3.client(service, region_name="us-east-1")


def run(aws: Callable[[str], Any], definition: dict[str, Any], logging: dict[str, Any] | None) -> str:
    sfn = aws("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"m{time.monotonic_ns()}",
        roleArn=ROLE,
        definition=json.dumps(definition),
        **({"loggingConfiguration": logging} if logging else {}),
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="e-1", input=json.dumps({"customer": "c-secret"}))
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return str(machine)


def log_group(aws: Callable[[str], Any]) -> str:
    logs = aws("logs")
    logs.create_log_group(logGroupName="/aws/vendedlogs/states/m")
    return str(logs.describe_log_groups()["logGroups"][0]["arn"])


def logged(aws: Callable[[str], Any]) -> list[dict[str, Any]]:
    events = aws("logs").filter_log_events(logGroupName="/aws/vendedlogs/states/m")["events"]
    return [json.loads(event["message"]) for event in events]


def test_an_error_level_log_holds_the_failure_and_not_the_input(aws: Callable[[str], Any]) -> None:
    destination = [{"cloudWatchLogsLogGroup": {"logGroupArn": log_group(aws)}}]
    run(aws, FAILING, {"level": "ERROR", "includeExecutionData": False, "destinations": destination})

    lines = logged(aws)
    assert [line["type"] for line in lines] == ["FailStateEntered", "ExecutionFailed"]  # errors only: no Pass
    assert lines[-1]["details"]["error"] == "E"
    assert lines[-1]["execution_arn"].endswith(":e-1")
    assert "c-secret" not in json.dumps(lines)


def test_logging_off_logs_nothing(aws: Callable[[str], Any]) -> None:
    log_group(aws)
    run(aws, FAILING, None)

    assert logged(aws) == []


def executions(aws: Callable[[str], Any], metric: str, machine: str) -> float:
    now = datetime.now(UTC)
    answer = aws("cloudwatch").get_metric_statistics(
        Namespace="AWS/States",
        MetricName=metric,
        Dimensions=[{"Name": "StateMachineArn", "Value": machine}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=600,
        Statistics=["Sum"],
    )
    return float(sum(point["Sum"] for point in answer["Datapoints"]))


def test_each_execution_end_counts_in_aws_states(aws: Callable[[str], Any]) -> None:
    failing, succeeding = run(aws, FAILING, None), run(aws, SUCCEEDING, None)

    assert (executions(aws, "ExecutionsFailed", failing), executions(aws, "ExecutionsSucceeded", failing)) == (1, 0)
    assert (executions(aws, "ExecutionsFailed", succeeding), executions(aws, "ExecutionsSucceeded", succeeding)) == (
        0,
        1,
    )
