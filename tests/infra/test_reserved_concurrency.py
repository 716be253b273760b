"""Reserved concurrency on a running local cloud, as Lambda enforces it: beyond a function's
ReservedConcurrentExecutions an invocation is refused with TooManyRequestsException before its handler runs,
and a state machine's Task sees that as Lambda.TooManyRequestsException, which its Retry can match."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_cloud.server import LocalCloud
from tests.infra.conftest import make_zip

CODE = make_zip(
    {
        "gate.py": """
        import time

        def slow(event, context):
            time.sleep(event.get("seconds", 0))
            return {"slept": event.get("seconds", 0)}
        """
    }
)


@pytest.fixture(scope="module")
def functions(cloud: LocalCloud, aws: Callable[[str], Any], role_arn: str) -> dict[str, str]:
    lam = aws("lambda")
    arns = {}
    for name, reserved in (("one-at-a-time", 1), ("switched-off", 0)):
        arns[name] = lam.create_function(
            FunctionName=f"concurrency-{name}", Runtime="python3.11", Role=role_arn, Handler="gate.slow",
            Code={"ZipFile": CODE}, Timeout=10,
        )["FunctionArn"]  # fmt: skip
        lam.put_function_concurrency(FunctionName=arns[name], ReservedConcurrentExecutions=reserved)
    return arns


def _invoke(aws: Callable[[str], Any], arn: str, seconds: float) -> str:
    """What one Invoke call did: "ran", or its error code (the SDK's own retries of a 429 are switched off)."""
    lam = aws("lambda")
    no_retries = boto3.client(
        "lambda",
        endpoint_url=lam.meta.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )
    try:
        no_retries.invoke(FunctionName=arn, Payload=json.dumps({"seconds": seconds}))
    except ClientError as exc:
        return f"{exc.response['ResponseMetadata']['HTTPStatusCode']} {exc.response['Error']['Code']}"
    return "ran"


def test_one_invocation_beyond_the_reservation_is_throttled(
    aws: Callable[[str], Any], functions: dict[str, str]
) -> None:
    arn = functions["one-at-a-time"]
    _invoke(aws, arn, 0)  # a warm worker, so the first call below is surely running when the second arrives
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(_invoke, aws, arn, 1.5)
        time.sleep(0.5)
        second = pool.submit(_invoke, aws, arn, 0)
        outcomes = [first.result(), second.result()]
    assert outcomes == ["ran", "429 TooManyRequestsException"]
    assert _invoke(aws, arn, 0) == "ran"  # the slot is free again once the first one ended


def test_a_reservation_of_zero_refuses_every_invocation(aws: Callable[[str], Any], functions: dict[str, str]) -> None:
    assert _invoke(aws, functions["switched-off"], 0) == "429 TooManyRequestsException"
    aws("lambda").delete_function_concurrency(FunctionName=functions["switched-off"])
    assert _invoke(aws, functions["switched-off"], 0) == "ran"
    aws("lambda").put_function_concurrency(FunctionName=functions["switched-off"], ReservedConcurrentExecutions=0)


def test_a_reservation_holds_for_every_version_and_alias(aws: Callable[[str], Any], functions: dict[str, str]) -> None:
    """The reservation is the function's: invoked through its alias or a version, it is throttled all the same."""
    lam = aws("lambda")
    version = lam.publish_version(FunctionName=functions["switched-off"])["Version"]
    alias = lam.create_alias(FunctionName=functions["switched-off"], Name="live", FunctionVersion=version)["AliasArn"]
    assert _invoke(aws, alias, 0) == "429 TooManyRequestsException"
    assert _invoke(aws, f"{functions['switched-off']}:{version}", 0) == "429 TooManyRequestsException"


def test_a_task_sees_lambda_too_many_requests_and_retries_it(
    aws: Callable[[str], Any], machine_role_arn: str, functions: dict[str, str]
) -> None:
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": functions["switched-off"],
                "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "Next": "Throttled"}],
                "End": True,
            },
            "Throttled": {"Type": "Fail", "Error": "Throttled"},
        },
    }
    sfn = aws("stepfunctions")
    machine = sfn.create_state_machine(
        name="concurrency-throttled", definition=json.dumps(definition), roleArn=machine_role_arn
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    for _ in range(200):
        if sfn.describe_execution(executionArn=execution)["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert sfn.describe_execution(executionArn=execution)["error"] == "Throttled"
    failures = [
        event["lambdaFunctionFailedEventDetails"]["error"]
        for event in sfn.get_execution_history(executionArn=execution)["events"]
        if event["type"] == "LambdaFunctionFailed"
    ]
    assert failures == ["Lambda.TooManyRequestsException"] * 2  # the first attempt and its one retry
