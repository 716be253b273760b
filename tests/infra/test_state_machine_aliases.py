"""StartExecution through a state machine's version or alias (local_cloud/stepfunctions/aliases.py): the version
the alias routes to runs, and the execution is the state machine's own, as on AWS."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud.awslambda.runtime import InProcessRunner
from local_cloud.patches import install_all
from tests.infra.conftest import ROLE_POLICY

Client = Callable[[str], Any]


@pytest.fixture
def aws() -> Iterator[Client]:
    runner = InProcessRunner()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), install_all(runner):
        yield lambda service: boto3.client(service, region_name="us-east-1")
    runner.close()


def saying(word: str) -> str:
    return json.dumps({"StartAt": "Say", "States": {"Say": {"Type": "Pass", "Result": {"said": word}, "End": True}}})


def output(sfn: Any, execution_arn: str) -> Any:
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, execution_arn
        time.sleep(0.02)
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])["said"]


@pytest.fixture
def machine(aws: Client) -> tuple[str, str, str]:
    """A state machine whose version 1 says "one" and version 2 "two", its alias `live` on version 1."""
    sfn = aws("stepfunctions")
    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    created = sfn.create_state_machine(name="m", definition=saying("one"), roleArn=role, publish=True)
    updated = sfn.update_state_machine(
        stateMachineArn=created["stateMachineArn"], definition=saying("two"), publish=True
    )
    first, second = created["stateMachineVersionArn"], updated["stateMachineVersionArn"]
    sfn.create_state_machine_alias(name="live", routingConfiguration=[{"stateMachineVersionArn": first, "weight": 100}])
    return created["stateMachineArn"], first, second


def test_an_alias_runs_the_version_it_routes_to_and_the_execution_is_the_machines(
    aws: Client, machine: tuple[str, str, str]
) -> None:
    sfn = aws("stepfunctions")
    arn, first, second = machine

    through_alias = sfn.start_execution(stateMachineArn=f"{arn}:live", name="e-1", input="{}")["executionArn"]
    through_version = sfn.start_execution(stateMachineArn=second, name="e-2", input="{}")["executionArn"]
    unqualified = sfn.start_execution(stateMachineArn=arn, name="e-3", input="{}")["executionArn"]

    assert output(sfn, through_alias) == "one"
    assert output(sfn, through_version) == "two"
    assert output(sfn, unqualified) == "two"  # the latest definition
    listed = {execution["executionArn"] for execution in sfn.list_executions(stateMachineArn=arn)["executions"]}
    assert listed == {through_alias, through_version, unqualified}
    assert through_alias == arn.replace(":stateMachine:", ":execution:") + ":e-1"

    sfn.update_state_machine_alias(
        stateMachineAliasArn=f"{arn}:live", routingConfiguration=[{"stateMachineVersionArn": second, "weight": 100}]
    )
    assert output(sfn, sfn.start_execution(stateMachineArn=f"{arn}:live", input="{}")["executionArn"]) == "two"
    assert first.endswith(":1")


def test_a_name_started_through_any_qualifier_is_not_started_again(aws: Client) -> None:
    sfn = aws("stepfunctions")
    role = aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    # Still running when started again (a Standard start is idempotent only while the execution runs).
    held = json.dumps({"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 30, "End": True}}})
    created = sfn.create_state_machine(name="held", definition=held, roleArn=role, publish=True)
    arn, first = created["stateMachineArn"], created["stateMachineVersionArn"]
    sfn.create_state_machine_alias(name="live", routingConfiguration=[{"stateMachineVersionArn": first, "weight": 100}])
    started = sfn.start_execution(stateMachineArn=arn, name="once", input="{}")["executionArn"]

    again = sfn.start_execution(stateMachineArn=f"{arn}:live", name="once", input="{}")["executionArn"]

    assert again == started
    assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 1
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=first, name="once", input='{"other": 1}')
    sfn.stop_execution(executionArn=started)
