"""Express workflows on the local cloud answer as on AWS (seam `express_workflows`): their own ARNs, no
deduplication by name, and no history API. A Standard machine beside it keeps its own behaviour."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local_cloud.awslambda.runtime import InProcessRunner
from local_cloud.patches import install_all
from local_cloud.stepfunctions.express import (
    DUPLICATE_RATE_TAG,
    DUPLICATES_STARTED_TAG,
    EXPRESS_ARN_REFUSED,
    LIST_REFUSED,
)
from tests.infra.conftest import ROLE_POLICY

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


@pytest.fixture
def sfn() -> Iterator[Any]:
    runner = InProcessRunner()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), install_all(runner):
        yield boto3.client("stepfunctions", region_name="us-east-1")
    runner.close()


def machine(sfn: Any, name: str, kind: str) -> str:
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=ROLE_POLICY
    )["Role"]["Arn"]
    return str(sfn.create_state_machine(name=name, definition=PASS, roleArn=role, type=kind)["stateMachineArn"])


def ended(arn: str, timeout: float = 10.0) -> str:
    """The execution's final status, read from moto's backend (the API has none for an Express execution)."""
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    execution: Any = next(e for m in backend.state_machines for e in m.executions if e.execution_arn == arn)
    deadline = time.monotonic() + timeout
    # moto lists an execution just before it starts it: its status is None until then.
    while execution.exec_status in (None, ExecutionStatus.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.02)
    return str(execution.status)


def refused(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as refusal:
        call()
    return refusal.value.response["Error"]["Code"], refusal.value.response["Error"]["Message"]


def test_the_same_name_and_input_start_two_express_executions(sfn: Any) -> None:
    arn = machine(sfn, "fast", "EXPRESS")
    assert sfn.describe_state_machine(stateMachineArn=arn)["type"] == "EXPRESS"

    first = sfn.start_execution(stateMachineArn=arn, name="order-1", input="{}")["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn, name="order-1", input="{}")["executionArn"]

    assert first != second
    for execution in (first, second):
        assert execution.startswith("arn:aws:states:us-east-1:123456789012:express:fast:order-1:")
        assert ended(execution) == "SUCCEEDED"


def test_an_express_execution_has_no_history_api(sfn: Any) -> None:
    arn = machine(sfn, "fast", "EXPRESS")
    execution = sfn.start_execution(stateMachineArn=arn, name="order-2", input="{}")["executionArn"]
    ended(execution)

    for call in (
        lambda: sfn.describe_execution(executionArn=execution),
        lambda: sfn.get_execution_history(executionArn=execution),
        lambda: sfn.stop_execution(executionArn=execution),
    ):
        assert refused(call) == ("InvalidArn", EXPRESS_ARN_REFUSED)
    assert refused(lambda: sfn.list_executions(stateMachineArn=arn)) == ("StateMachineTypeNotSupported", LIST_REFUSED)


def test_a_standard_machine_keeps_its_names_and_history(sfn: Any) -> None:
    arn = machine(sfn, "slow", "STANDARD")
    first = sfn.start_execution(stateMachineArn=arn, name="order-3", input="{}")["executionArn"]
    assert first.endswith(":execution:slow:order-3")
    ended(first)

    assert refused(lambda: sfn.start_execution(stateMachineArn=arn, name="order-3", input="{}"))[0] == (
        "ExecutionAlreadyExists"
    )
    assert sfn.describe_execution(executionArn=first)["status"] == "SUCCEEDED"
    assert sfn.get_execution_history(executionArn=first)["events"]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]] == [first]


def executions_of(arn: str) -> list[Any]:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    return list(backend.describe_state_machine(arn).executions)


def test_the_duplicate_knob_runs_each_start_twice_and_counts_it(sfn: Any) -> None:
    arn = machine(sfn, "twice", "EXPRESS")
    sfn.tag_resource(resourceArn=arn, tags=[{"key": DUPLICATE_RATE_TAG, "value": "1"}])

    for number in range(6):
        sfn.start_execution(stateMachineArn=arn, name=f"order-{number}", input=json.dumps({"n": number}))

    deadline = time.monotonic() + 20
    while len(executions_of(arn)) < 12:
        assert time.monotonic() < deadline, len(executions_of(arn))
        time.sleep(0.05)
    executions = executions_of(arn)
    for number in range(6):
        same = [e for e in executions if e.name == f"order-{number}"]
        assert len(same) == 2
        assert {json.dumps(e.input_data) for e in same} == {json.dumps({"n": number})}
        assert all(ended(e.execution_arn) == "SUCCEEDED" for e in same)
    # A duplicate is counted just after it starts: the count may trail the executions by a moment.
    while (count := _tag(sfn, arn, DUPLICATES_STARTED_TAG)) != "6" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert count == "6"


def _tag(sfn: Any, arn: str, key: str) -> str | None:
    return {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}.get(key)


def test_without_the_tag_an_express_start_runs_once(sfn: Any) -> None:
    arn = machine(sfn, "once", "EXPRESS")
    for number in range(4):
        ended(sfn.start_execution(stateMachineArn=arn, name=f"order-{number}", input="{}")["executionArn"])
    assert len(executions_of(arn)) == 4  # the knob decides within the start call: no tag, no duplicate thread
    tags = {t["key"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert DUPLICATES_STARTED_TAG not in tags


def _express_usage(arn: str) -> dict[str, Any]:
    from local_cloud.usage_meter import USAGE

    rows = [row for row in USAGE.snapshot()["express"] if row["stateMachine"] == arn]
    return rows[0] if rows else {"executions": 0, "billedMs": 0, "gbSeconds": 0.0}


def test_an_express_execution_is_billed_its_duration_in_100_ms_steps_and_a_standard_one_is_not(sfn: Any) -> None:
    wait = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName="billed-role", AssumeRolePolicyDocument=ROLE_POLICY
    )["Role"]["Arn"]
    express, standard = (
        sfn.create_state_machine(name=f"billed-{kind.lower()}", definition=wait, roleArn=role, type=kind)[
            "stateMachineArn"
        ]
        for kind in ("EXPRESS", "STANDARD")
    )
    for arn in (express, standard):
        for number in range(2):
            assert ended(sfn.start_execution(stateMachineArn=arn, name=f"order-{number}")["executionArn"]) == (
                "SUCCEEDED"
            )

    deadline = time.monotonic() + 5  # the meter counts just after the status is set
    while _express_usage(express)["executions"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    billed = _express_usage(express)
    assert billed["executions"] == 2
    assert billed["billedMs"] % 100 == 0
    assert 2 * 1000 <= billed["billedMs"] <= 2 * 1500  # a 1 s Wait: at least 1,000 ms each, in 100 ms steps
    assert billed["gbSeconds"] == pytest.approx(64 / 1024 * billed["billedMs"] / 1000)
    assert _express_usage(standard)["executions"] == 0  # Standard bills state transitions instead
