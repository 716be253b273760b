"""The real template.yaml deployed into in-process moto with no parameter given, as on AWS: one deploy for the
module, whose tests check what the defaults decide (AWS's URL form and retry timings, no fault injection, the
tables protected). The last test redeploys it with ProtectData=false."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import deployer
from tests.deployer.conftest import ROOT, load_template
from tests.deployer.test_redeploy import definition, retry_intervals

pytestmark = pytest.mark.slow  # whole-template deploys, a few seconds each

STACK = "prod"
TABLES = [logical_id for logical_id, r in load_template()["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]


def client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")


@pytest.fixture(scope="module")
def outputs() -> Iterator[dict[str, str]]:
    with mock_aws():
        yield deployer.deploy(ROOT / "template.yaml", stack_name=STACK, endpoint_url=None, region="us-east-1")


def test_without_local_endpoint_the_api_url_has_the_aws_form(outputs: dict[str, str]) -> None:
    (api,) = client("apigateway").get_rest_apis()["items"]
    assert outputs["ApiUrl"] == f"https://{api['id']}.execute-api.us-east-1.amazonaws.com/v1"
    # AWS's recommended retry timings are the template's defaults
    assert retry_intervals(definition()) == {2}


def test_without_fault_injection_there_is_no_parameter_permission_or_variable(outputs: dict[str, str]) -> None:
    # Deployed as on AWS by default (EnableFaultInjection=false)
    assert "FaultsParameterName" not in outputs
    assert "FaultPlanMaxAgeSeconds" not in outputs
    parameters = [p["Name"] for p in client("ssm").describe_parameters()["Parameters"]]
    assert parameters == [f"/deployer/stacks/{STACK}/outputs"]  # the deployer's own record, no fault plan
    lam, iam = client("lambda"), client("iam")
    ours = [f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(f"{STACK}-")]
    assert ours
    for function in ours:
        variables = function.get("Environment", {}).get("Variables", {})
        assert not {"FAULTS_PARAMETER", "FAULTS_MAX_AGE_SECONDS"} & set(variables), function["FunctionName"]
        role = function["Role"].rsplit("/", 1)[1]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            assert "ssm:" not in json.dumps(document), (function["FunctionName"], name)


def test_tables_are_retained_recoverable_and_protected_by_default(outputs: dict[str, str]) -> None:
    """Last in the module: it lifts the protection it checks."""
    resources = load_template()["Resources"]
    dynamodb = client("dynamodb")
    for logical_id in TABLES:
        resource = resources[logical_id]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain"), logical_id
        name = f"{STACK}-{logical_id}"
        assert dynamodb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True
        backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        with pytest.raises(dynamodb.exceptions.ClientError):
            dynamodb.delete_table(TableName=name)
    # Redeployed with ProtectData=false (as locally), the protection is lifted in place.
    deployer.deploy(
        ROOT / "template.yaml",
        stack_name=STACK,
        endpoint_url=None,
        region="us-east-1",
        parameter_overrides={"ProtectData": "false"},
    )
    assert all(
        dynamodb.describe_table(TableName=f"{STACK}-{logical_id}")["Table"]["DeletionProtectionEnabled"] is False
        for logical_id in TABLES
    )
