"""A template the deployer cannot handle fails with a message naming the problem, before
anything is created on the target."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

import deployer
from deployer import TemplateError, UnsupportedResourceError
from tests.deployer.conftest import LOCAL_PARAMETERS, load_template


@pytest.fixture
def target() -> Iterator[None]:
    with mock_aws():
        yield


def nothing_was_created() -> None:
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []
    assert boto3.client("lambda", region_name="us-east-1").list_functions()["Functions"] == []
    assert boto3.client("iam", region_name="us-east-1").list_roles()["Roles"] == []
    assert boto3.client("ssm", region_name="us-east-1").describe_parameters()["Parameters"] == []


def deploy(project: Path, **overrides: str) -> dict[str, str]:
    return deployer.deploy(
        project / "template.yaml",
        endpoint_url=None,
        parameter_overrides={**LOCAL_PARAMETERS, **overrides},
        log=lambda _: None,
    )


def edit_template(project: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite the copied template as JSON (a valid template format) after `change`."""
    template = load_template(project / "template.yaml")
    change(template)
    (project / "template.yaml").write_text(json.dumps(template))


@pytest.mark.usefixtures("target")
def test_an_unsupported_resource_type_is_named_and_nothing_is_created(project: Path) -> None:
    edit_template(project, lambda t: t["Resources"].update(Mail={"Type": "AWS::SES::EmailIdentity"}))
    with pytest.raises(UnsupportedResourceError, match=r"AWS::SES::EmailIdentity \(Mail\)"):
        deploy(project)
    nothing_was_created()


@pytest.mark.usefixtures("target")
def test_an_unknown_placeholder_in_the_asl_is_named_and_nothing_is_created(project: Path) -> None:
    asl = project / "statemachine" / "checkout.asl.json"
    asl.write_text(asl.read_text().replace('"StartAt"', '"Comment2": "${NotSubstituted}",\n  "StartAt"', 1))
    with pytest.raises(
        TemplateError, match=r"checkout\.asl\.json: no DefinitionSubstitutions entry for \$\{NotSubstituted\}"
    ):
        deploy(project)
    nothing_was_created()


@pytest.mark.usefixtures("target")
def test_an_asl_file_that_is_not_json_is_reported_with_its_line(project: Path) -> None:
    asl = project / "statemachine" / "checkout.asl.json"
    asl.write_text(asl.read_text().replace('"StartAt"', '"StartAt" "oops",', 1))
    with pytest.raises(TemplateError, match=r"not valid JSON after substitution: .* line \d+"):
        deploy(project)
    nothing_was_created()


@pytest.mark.usefixtures("target")
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NoSuchParameter": "1"}, "'NoSuchParameter' is not declared"),
        ({"RetryIntervalSeconds": "soon"}, "RetryIntervalSeconds is a Number, got 'soon'"),
        ({"RetryIntervalSeconds": "0"}, "RetryIntervalSeconds=0 is below MinValue 1"),
    ],
)
def test_bad_parameter_overrides_are_refused(project: Path, overrides: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        deploy(project, **overrides)
    nothing_was_created()


@pytest.mark.usefixtures("target")
def test_a_missing_code_directory_is_named(project: Path) -> None:
    edit_template(project, lambda t: t["Globals"]["Function"].update(CodeUri="no_such_dir/"))
    with pytest.raises(TemplateError, match=r"Globals\.Function: CodeUri 'no_such_dir/' does not exist"):
        deploy(project)
    nothing_was_created()


@pytest.mark.usefixtures("target")
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t["Resources"]["OrdersTable"]["Properties"].update(TableName={"Fn::ImportValue": "x"}),
            "unsupported intrinsic function Fn::ImportValue",
        ),
        (
            lambda t: t["Resources"]["OrdersTable"]["Properties"].update(TableName={"Ref": "Nowhere"}),
            "OrdersTable refers to Nowhere, which the template does not declare",
        ),
        (
            lambda t: t["Resources"]["OrdersTable"]["Properties"].update(StreamSpecificationX={}),
            "OrdersTable .AWS::DynamoDB::Table.: property StreamSpecificationX is not supported",
        ),
        (
            lambda t: t["Resources"]["OrdersTable"].update(DependsOn="InventoryTableX"),
            "OrdersTable DependsOn InventoryTableX",
        ),
        (
            lambda t: (
                t["Resources"]["OrdersTable"].update(DependsOn="InventoryTable")
                or t["Resources"]["InventoryTable"].update(DependsOn="OrdersTable")
            ),
            "circular references: (Inventory|Orders)Table -> (Inventory|Orders)Table -> (Inventory|Orders)Table",
        ),
    ],
)
def test_template_mistakes_are_named(project: Path, change: Callable[[dict[str, Any]], Any], message: str) -> None:
    edit_template(project, change)
    with pytest.raises(TemplateError, match=message):
        deploy(project)
    nothing_was_created()


def test_an_unreachable_endpoint_says_so(project: Path) -> None:
    with pytest.raises(deployer.EndpointUnreachableError, match="make up"):
        deployer.deploy(project / "template.yaml", endpoint_url="http://127.0.0.1:9", log=lambda _: None)
    with pytest.raises(deployer.EndpointUnreachableError, match="make up"):
        deployer.read_outputs(endpoint_url="http://127.0.0.1:9")


@pytest.mark.usefixtures("target")
def test_outputs_of_a_stack_never_deployed_say_so() -> None:
    with pytest.raises(deployer.StackNotDeployedError, match="stack nothing-here is not deployed"):
        deployer.read_outputs(stack_name="nothing-here", endpoint_url=None)
