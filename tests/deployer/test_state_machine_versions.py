"""A state machine with SAM's AutoPublishAlias: the deployer publishes a version when the definition changed, and
points the alias at it at once (a canary's gradual shift is AWS's alone, and the deploy says so); an execution
started through the alias runs the version it points to (local_cloud/stepfunctions/aliases.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

import deployer
from local_cloud.awslambda.runtime import InProcessRunner
from local_cloud.patches import install_all

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def template(word: str, shifting: str = "CANARY") -> dict[str, Any]:
    preference = (
        {"Type": shifting, "Percentage": 10, "Interval": 5} if shifting != "ALL_AT_ONCE" else {"Type": shifting}
    )
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "MachineRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
            "Machine": {
                "Type": "AWS::Serverless::StateMachine",
                "Properties": {
                    "Definition": {
                        "StartAt": "Say",
                        "States": {"Say": {"Type": "Pass", "Result": {"said": word}, "End": True}},
                    },
                    "Role": {"Fn::GetAtt": ["MachineRole", "Arn"]},
                    "AutoPublishAlias": "live",
                    "DeploymentPreference": preference,
                },
            },
        },
        "Outputs": {
            "MachineArn": {"Value": {"Ref": "Machine"}},
            "AliasArn": {"Value": {"Ref": "MachineAliaslive"}},
            "VersionArn": {"Value": {"Ref": "MachineVersion"}},
        },
    }


@pytest.fixture
def cloud() -> Iterator[Any]:
    runner = InProcessRunner()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), install_all(runner):
        yield boto3.client("stepfunctions", region_name="us-east-1")
    runner.close()


def deploy(tmp_path: Path, body: dict[str, Any], said: list[str]) -> dict[str, str]:
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return deployer.deploy(path, stack_name="versions", endpoint_url=None, region="us-east-1", log=said.append)


def said_by(sfn: Any, state_machine_arn: str) -> str:
    execution = sfn.start_execution(stateMachineArn=state_machine_arn, input="{}")["executionArn"]
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return str(json.loads(described["output"])["said"])


def test_a_changed_definition_is_a_new_version_the_alias_points_to_at_once(cloud: Any, tmp_path: Path) -> None:
    log: list[str] = []
    first = deploy(tmp_path, template("one"), log)
    assert first["VersionArn"] == f"{first['MachineArn']}:1"
    assert first["AliasArn"] == f"{first['MachineArn']}:live"
    assert said_by(cloud, first["AliasArn"]) == "one"
    assert any("traffic shifting CANARY is all at once here" in line for line in log)

    again = deploy(tmp_path, template("one"), [])
    assert again["VersionArn"] == first["VersionArn"]  # nothing changed: nothing published

    second = deploy(tmp_path, template("two"), [])

    assert second["VersionArn"] == f"{first['MachineArn']}:2"
    assert said_by(cloud, second["AliasArn"]) == "two"
    assert said_by(cloud, first["VersionArn"]) == "one"  # a version keeps its definition
    routing = cloud.describe_state_machine_alias(stateMachineAliasArn=second["AliasArn"])["routingConfiguration"]
    assert routing == [{"stateMachineVersionArn": second["VersionArn"], "weight": 100}]
