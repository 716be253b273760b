"""AWS's payload limits on a running local cloud, with AWS's error names: Lambda's 6 MB per synchronous request and
response (over HTTP and on Step Functions' in-process path), Step Functions' 256 KiB per execution input and state."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_cloud.awslambda import limits as lambda_limits
from local_cloud.awslambda.limits import INVOKE_REQUEST_LIMIT_BYTES, INVOKE_RESPONSE_LIMIT_BYTES
from local_cloud.server import LocalCloud
from local_cloud.stepfunctions.direct_lambda import DirectLambdaClient
from local_cloud.stepfunctions.limits import STATE_PAYLOAD_LIMIT_BYTES, check_state_size_quota
from tests.infra.conftest import make_zip

CODE = make_zip(
    {
        "limits.py": """
        import json

        def measure(event, context):
            return {"received": len(json.dumps(event))}

        def produce(event, context):
            return "x" * event["characters"]
        """
    }
)
PASS_THROUGH = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@pytest.fixture(scope="module")
def functions(cloud: LocalCloud, aws: Callable[[str], Any], role_arn: str) -> dict[str, str]:
    lam = aws("lambda")
    return {
        name: lam.create_function(
            FunctionName=f"limits-{name}", Runtime="python3.11", Role=role_arn, Handler=f"limits.{name}",
            Code={"ZipFile": CODE}, Timeout=30, MemorySize=512,
        )["FunctionArn"]
        for name in ("measure", "produce")
    }  # fmt: skip


def _json_string_of(size: int) -> bytes:
    """A JSON document of exactly `size` bytes (a string)."""
    return json.dumps("x" * (size - 2)).encode()


# -- Lambda -------------------------------------------------------------------------------------------------------


def test_an_invoke_request_over_6_mb_is_refused_with_413(aws: Callable[[str], Any], functions: dict[str, str]) -> None:
    lam = aws("lambda")
    at_limit = lam.invoke(FunctionName=functions["measure"], Payload=_json_string_of(INVOKE_REQUEST_LIMIT_BYTES))
    assert json.loads(at_limit["Payload"].read()) == {"received": INVOKE_REQUEST_LIMIT_BYTES}

    with pytest.raises(ClientError) as refused:
        lam.invoke(FunctionName=functions["measure"], Payload=_json_string_of(INVOKE_REQUEST_LIMIT_BYTES + 1))
    error = refused.value.response
    assert error["Error"]["Code"] == "RequestEntityTooLargeException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "6291456 bytes" in error["Error"]["Message"]


def test_an_invoke_response_over_6_mb_is_a_function_error(aws: Callable[[str], Any], functions: dict[str, str]) -> None:
    # The handler's result is a JSON string: its quotes add 2 bytes to the characters asked for.
    answered = aws("lambda").invoke(
        FunctionName=functions["produce"], Payload=json.dumps({"characters": INVOKE_RESPONSE_LIMIT_BYTES - 1})
    )
    assert answered["FunctionError"] == "Unhandled"
    error = json.loads(answered["Payload"].read())
    assert error["errorType"] == "Function.ResponseSizeTooLarge"
    assert "6291556 bytes" in error["errorMessage"]


def test_step_functions_in_process_lambda_client_meets_the_same_limits(functions: dict[str, str]) -> None:
    client = DirectLambdaClient("us-east-1")  # what the interpreter uses in server mode: no HTTP layer at all
    with pytest.raises(ClientError) as refused:
        client.invoke(FunctionName=functions["measure"], Payload=_json_string_of(INVOKE_REQUEST_LIMIT_BYTES + 1))
    assert refused.value.response["Error"]["Code"] == "RequestEntityTooLargeException"

    # Between moto's approximate HTTP check (6,000,000) and AWS's limit: only the exact check answers here.
    answered = client.invoke(
        FunctionName=functions["produce"], Payload=json.dumps({"characters": INVOKE_RESPONSE_LIMIT_BYTES - 1})
    )
    assert answered["FunctionError"] == "Unhandled"
    assert json.loads(answered["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"
    within = client.invoke(FunctionName=functions["produce"], Payload=json.dumps({"characters": 6_100_000}))
    assert "FunctionError" not in within
    assert len(json.loads(within["Payload"].read())) == 6_100_000


# -- Step Functions -----------------------------------------------------------------------------------------------


def _state_machine(aws: Callable[[str], Any], role_arn: str, name: str, definition: dict[str, Any]) -> str:
    sfn = aws("stepfunctions")
    return str(
        sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role_arn)["stateMachineArn"]
    )


def _run(aws: Callable[[str], Any], machine: str, document: str) -> dict[str, Any]:
    sfn = aws("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, input=document)["executionArn"]
    for _ in range(600):
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{execution} still running")


def test_an_execution_input_over_256_kib_is_refused(aws: Callable[[str], Any], machine_role_arn: str) -> None:
    machine = _state_machine(aws, machine_role_arn, "limits-input", PASS_THROUGH)
    with pytest.raises(ClientError) as refused:
        aws("stepfunctions").start_execution(
            stateMachineArn=machine, name="too-big", input=_json_string_of(STATE_PAYLOAD_LIMIT_BYTES + 1).decode()
        )
    assert refused.value.response["Error"]["Code"] == "InvalidExecutionInput"
    assert aws("stepfunctions").list_executions(stateMachineArn=machine)["executions"] == []

    assert _run(aws, machine, json.dumps({"items": "x" * 200_000}))["status"] == "SUCCEEDED"


def test_a_lambda_result_over_256_kib_fails_the_state_with_data_limit_exceeded(
    aws: Callable[[str], Any], machine_role_arn: str, functions: dict[str, str]
) -> None:
    definition = {
        "StartAt": "Produce",
        "States": {"Produce": {"Type": "Task", "Resource": functions["produce"], "End": True}},
    }
    machine = _state_machine(aws, machine_role_arn, "limits-task-result", definition)
    assert _run(aws, machine, json.dumps({"characters": 200_000}))["status"] == "SUCCEEDED"
    failed = _run(aws, machine, json.dumps({"characters": 300_000}))
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.DataLimitExceeded"


def test_a_state_output_over_256_kib_fails_with_data_limit_exceeded(
    aws: Callable[[str], Any], machine_role_arn: str
) -> None:
    # Each part is under the limit; the state's output (its input with its result merged in) is not.
    definition = {
        "StartAt": "Merge",
        "States": {"Merge": {"Type": "Pass", "Result": "y" * 100_000, "ResultPath": "$.extra", "End": True}},
    }
    machine = _state_machine(aws, machine_role_arn, "limits-state-output", definition)
    failed = _run(aws, machine, json.dumps({"items": "x" * 200_000}))
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.DataLimitExceeded"


def test_moto_still_checks_state_sizes_itself() -> None:
    check_state_size_quota()  # raises SeamChanged if a moto upgrade dropped or changed the check


def test_the_limits_install_at_their_seams_and_uninstall() -> None:
    from moto.awslambda.models import LambdaBackend

    before = LambdaBackend.invoke
    with lambda_limits.install_invoke_payload_limits():
        assert LambdaBackend.invoke is not before
    assert LambdaBackend.invoke is before
