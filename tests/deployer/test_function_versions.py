"""A function with SAM's AutoPublishAlias: the deployer publishes a version when its code or configuration changed
and points the alias at it at once; invoking the alias runs that version, an older version keeps its code. A Task
state naming the alias runs the version the alias points to when the Task runs (ADR 0011)."""

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

TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Errors": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            },
        },
        "Say": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "code/",
                "Handler": "say.handler",
                "Runtime": "python3.11",
                "AutoPublishAlias": "live",
                "AutoPublishAliasAllProperties": True,
                "Environment": {"Variables": {"PUNCTUATION": {"Ref": "Punctuation"}}},
                "DeploymentPreference": {"Type": {"Ref": "Shift"}, "Alarms": [{"Ref": "Errors"}]},
            },
        },
    },
    "Parameters": {
        "Punctuation": {"Type": "String", "Default": ""},
        "Shift": {"Type": "String", "Default": "Canary10Percent5Minutes"},
    },
    "Outputs": {"AliasArn": {"Value": {"Ref": "Say.Alias"}}, "VersionArn": {"Value": {"Ref": "Say.Version"}}},
}


@pytest.fixture
def lam() -> Iterator[Any]:
    runner = InProcessRunner()
    with mock_aws(), install_all(runner):
        yield boto3.client("lambda", region_name="us-east-1")
    runner.close()


def deploy(
    tmp_path: Path,
    word: str,
    punctuation: str = "",
    log: list[str] | None = None,
    shift: str = "Canary10Percent5Minutes",
) -> dict[str, str]:
    (tmp_path / "code").mkdir(exist_ok=True)
    handler = f"import os\n\ndef handler(event, context):\n    return {word!r} + os.environ['PUNCTUATION']\n"
    (tmp_path / "code" / "say.py").write_text(handler, encoding="utf-8")
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(TEMPLATE), encoding="utf-8")
    return deployer.deploy(
        tmp_path / "template.yaml",
        stack_name="fn",
        endpoint_url=None,
        region="us-east-1",
        parameter_overrides={"Punctuation": punctuation, "Shift": shift},
        log=(log if log is not None else []).append,
    )


def said(lam: Any, function: str) -> str:
    return str(json.loads(lam.invoke(FunctionName=function)["Payload"].read()))


def test_changed_code_is_a_new_version_the_alias_points_to(lam: Any, tmp_path: Path) -> None:
    first = deploy(tmp_path, "one")
    assert first["VersionArn"].endswith(":1")
    assert first["AliasArn"].endswith(":live")
    assert said(lam, first["AliasArn"]) == "one"
    assert deploy(tmp_path, "one")["VersionArn"] == first["VersionArn"]  # nothing changed: nothing published

    second = deploy(tmp_path, "two")

    assert second["VersionArn"].endswith(":2")
    assert said(lam, second["AliasArn"]) == "two"
    assert said(lam, first["VersionArn"]) == "one"


def test_a_configuration_change_is_a_new_version_and_the_canary_is_noted(lam: Any, tmp_path: Path) -> None:
    log: list[str] = []
    first = deploy(tmp_path, "one", log=log)
    assert any("Canary10Percent5Minutes is all at once here" in line for line in log)
    codedeploy = boto3.client("codedeploy", region_name="us-east-1")
    (application,) = codedeploy.list_applications()["applications"]
    (group,) = codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"]
    described = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=group)
    assert described["deploymentGroupInfo"]["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert described["deploymentGroupInfo"]["alarmConfiguration"] == {
        "enabled": True,
        "alarms": [{"name": "fn-Errors"}],
    }

    second = deploy(tmp_path, "one", punctuation="!", shift="Linear10PercentEvery1Minute")

    described = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=group)
    assert (
        described["deploymentGroupInfo"]["deploymentConfigName"]
        == "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
    )

    assert second["VersionArn"] != first["VersionArn"]
    assert said(lam, second["AliasArn"]) == "one!"
    assert said(lam, first["VersionArn"]) == "one"


def test_a_task_naming_the_alias_runs_the_version_the_alias_points_to_then(lam: Any, tmp_path: Path) -> None:
    """What ADR 0011 says of the functions: a version pins a function's code per invocation, not per saga."""
    first = deploy(tmp_path, "one")
    iam, sfn = boto3.client("iam", region_name="us-east-1"), boto3.client("stepfunctions", region_name="us-east-1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="machine", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="machine",
        PolicyName="invoke",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": first["AliasArn"]}],
            }
        ),
    )
    definition = {"StartAt": "Say", "States": {"Say": {"Type": "Task", "Resource": first["AliasArn"], "End": True}}}
    machine = sfn.create_state_machine(name="says", definition=json.dumps(definition), roleArn=role["Role"]["Arn"])

    def run() -> str:
        execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
        while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            time.sleep(0.02)
        assert described["status"] == "SUCCEEDED", described
        return str(described["output"]).strip('"')  # the handler's string, as the execution's output

    assert run() == "one"
    deploy(tmp_path, "two")
    assert run() == "two"
