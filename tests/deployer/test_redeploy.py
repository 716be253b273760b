"""Deploying again converges in place: nothing duplicated, changed code and definitions
updated, the user's fault injection kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

import deployer
from tests.deployer.conftest import LOCAL_PARAMETERS, STACK, load_template

pytestmark = pytest.mark.slow  # whole-template deploys, a few seconds each


def client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")


def inventory() -> dict[str, Any]:
    """Everything a deploy creates, counted, plus each function's code hash."""
    apigw, lam = client("apigateway"), client("lambda")
    apis = apigw.get_rest_apis()["items"]
    api_id = apis[0]["id"]
    functions = lam.list_functions()["Functions"]
    cognito = client("cognito-idp")
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    return {
        "tables": sorted(client("dynamodb").list_tables()["TableNames"]),
        "functions": sorted(f["FunctionName"] for f in functions),
        "roles": sorted(r["RoleName"] for r in client("iam").list_roles()["Roles"]),
        "state_machines": [m["name"] for m in client("stepfunctions").list_state_machines()["stateMachines"]],
        "apis": len(apis),
        "api_resources": sorted(r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]),
        "stages": sorted(s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]),
        "deployments": len(apigw.get_deployments(restApiId=api_id)["items"]),
        "permissions": len(json.loads(lam.get_policy(FunctionName=f"{STACK}-ApiFunction")["Policy"])["Statement"]),
        "parameters": sorted(p["Name"] for p in client("ssm").describe_parameters()["Parameters"]),
        "authorizers": sorted(a["id"] for a in apigw.get_authorizers(restApiId=api_id)["items"]),
        "user_pools": [(p["Id"], p["Name"]) for p in cognito.list_user_pools(MaxResults=60)["UserPools"]],
        "pool_clients": [
            c["ClientId"] for p in pools for c in cognito.list_user_pool_clients(UserPoolId=p["Id"])["UserPoolClients"]
        ],
        "groups": [g["GroupName"] for p in pools for g in cognito.list_groups(UserPoolId=p["Id"])["Groups"]],
    }


def code_hashes() -> dict[str, str]:
    return {f["FunctionName"]: f["CodeSha256"] for f in client("lambda").list_functions()["Functions"]}


def definition() -> dict[str, Any]:
    """The checkout state machine's definition as deployed."""
    machines = client("stepfunctions").list_state_machines()["stateMachines"]
    (machine,) = [m for m in machines if m["name"].endswith("-CheckoutStateMachine")]
    described = client("stepfunctions").describe_state_machine(stateMachineArn=machine["stateMachineArn"])
    parsed: dict[str, Any] = json.loads(described["definition"])
    return parsed


def retry_intervals(asl: dict[str, Any]) -> set[int]:
    return {r["IntervalSeconds"] for s in asl["States"].values() for r in s.get("Retry", [])}


def test_redeploys_update_in_place_and_keep_the_users_faults(project: Path) -> None:
    with mock_aws():
        ssm = client("ssm")

        def deploy(**overrides: str) -> tuple[dict[str, str], list[str]]:
            log: list[str] = []
            outputs = deployer.deploy(
                project / "template.yaml",
                stack_name=STACK,
                endpoint_url=None,
                parameter_overrides={**LOCAL_PARAMETERS, **overrides},
                log=log.append,
            )
            return outputs, log

        # Given a deployed stack whose fault injection the user has switched on
        first_outputs, _ = deploy()
        before, hashes = inventory(), code_hashes()
        assert before["deployments"] == 1
        assert before["apis"] == 1
        user_faults = json.dumps({"ConfirmOrder": {"mode": "fail", "rate": 1.0}})
        ssm.put_parameter(Name="/checkout-saga/faults", Value=user_faults, Type="String", Overwrite=True)

        # When it is deployed again unchanged
        outputs, log = deploy()

        # Then nothing new exists, no code was re-uploaded and the faults are still on
        assert outputs == first_outputs
        assert inventory() == before
        assert code_hashes() == hashes
        assert all(line.split()[0] in ("unchanged", "kept") for line in log if "AWS::Lambda::Function" in line)
        assert any(line.split()[:2] == ["kept", "AWS::SSM::Parameter"] for line in log)
        assert ssm.get_parameter(Name="/checkout-saga/faults")["Parameter"]["Value"] == user_faults

        # When the code and a retry parameter change
        handler_file = next((project / "functions").rglob("*.py"))
        handler_file.write_text(handler_file.read_text() + "\n# changed\n")
        outputs, log = deploy(RetryIntervalSeconds="3")

        # Then every function got the new code and the state machine its new definition, in place
        first_outputs = {**first_outputs, "RetryIntervalSeconds": "3"}  # the output that echoes the parameter
        assert outputs == first_outputs
        assert inventory() == before
        new_hashes = code_hashes()
        assert new_hashes.keys() == hashes.keys()
        assert all(new_hashes[name] != hashes[name] for name in hashes)
        assert retry_intervals(definition()) == {3}
        assert any(line.split()[:2] == ["updated", "AWS::StepFunctions::StateMachine"] for line in log)
        assert ssm.get_parameter(Name="/checkout-saga/faults")["Parameter"]["Value"] == user_faults
        assert deployer.read_outputs(stack_name=STACK, endpoint_url=None) == first_outputs


def test_a_state_machines_tags_and_the_apis_paths_follow_the_template_on_redeploy(project: Path) -> None:
    def tags() -> dict[str, str]:
        sfn = client("stepfunctions")
        (machine,) = [
            m for m in sfn.list_state_machines()["stateMachines"] if m["name"].endswith("-ReturnStateMachine")
        ]
        listed = sfn.list_tags_for_resource(resourceArn=machine["stateMachineArn"])["tags"]
        return {tag["key"]: tag["value"] for tag in listed}

    with mock_aws():
        # Given a deployed stack
        deployer.deploy(
            project / "template.yaml", stack_name=STACK, endpoint_url=None, parameter_overrides=LOCAL_PARAMETERS
        )
        assert tags()["saga:metric-prefix"] == "Return"
        assert "saga:failure-metric" in tags()

        # When the template changes one tag of a state machine and drops another, drops an API event and adds
        # another, and is deployed again (one redeploy for both: a whole-template deploy takes seconds)
        template = project / "template.yaml"
        text = template.read_text()
        text = text.replace("saga:metric-prefix: Return", "saga:metric-prefix: Refund")
        template.write_text(
            text.replace(
                "        saga:failure-metric: StepFailed\n      Policies:\n        - Version",
                "      Policies:\n        - Version",
            )
        )
        changed = load_template(template)
        events = changed["Resources"]["ApiFunction"]["Properties"]["Events"]
        del events["OpenApi"]  # a leaf path (/sagas is also the parent of /sagas/{orderId}/...)
        events["Health"] = {
            "Type": "Api",
            "Properties": {"RestApiId": {"Ref": "CheckoutApi"}, "Path": "/health", "Method": "get"},
        }
        template.write_text(json.dumps(changed))
        log: list[str] = []
        deployer.deploy(
            template, stack_name=STACK, endpoint_url=None, parameter_overrides=LOCAL_PARAMETERS, log=log.append
        )

        # Then the state machine has the template's tags, updated in place
        assert tags()["saga:metric-prefix"] == "Refund"
        assert "saga:failure-metric" not in tags()
        assert tags()["saga:kind"] == "return"
        assert any(line.split()[:2] == ["updated", "AWS::StepFunctions::StateMachine"] for line in log)
        # and the API has exactly the template's paths, each with its method, on one API
        apigw = client("apigateway")
        (api,) = apigw.get_rest_apis()["items"]
        methods = {
            r["path"]: sorted(r.get("resourceMethods", {})) for r in apigw.get_resources(restApiId=api["id"])["items"]
        }
        assert "/openapi.json" not in methods
        assert methods["/health"] == ["GET"]
        assert methods["/checkout"] == ["ANY"]
        assert methods["/orders/{orderId}"] == ["ANY"]
        assert len(apigw.get_deployments(restApiId=api["id"])["items"]) == 1
