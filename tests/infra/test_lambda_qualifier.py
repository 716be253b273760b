"""Invoke with a `Qualifier` runs that version, or the version the alias names, as on AWS
(local_cloud/awslambda/qualifier.py)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud.awslambda.runtime import InProcessRunner
from local_cloud.patches import install_all
from tests.infra.conftest import ROLE_POLICY


def package(word: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", f"def handler(event, context):\n    return {{'said': {word!r}}}\n")
    return buffer.getvalue()


@pytest.fixture
def lam() -> Iterator[Any]:
    runner = InProcessRunner()
    with mock_aws(), install_all(runner):
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY
        )["Role"]["Arn"]
        client = boto3.client("lambda", region_name="us-east-1")
        client.create_function(
            FunctionName="f", Runtime="python3.11", Role=role, Handler="h.handler", Code={"ZipFile": package("one")}
        )
        yield client
    runner.close()


def said(lam: Any, **where: str) -> str:
    return str(json.loads(lam.invoke(**where)["Payload"].read())["said"])


def test_a_qualifier_runs_that_version_or_the_aliases(lam: Any) -> None:
    first = lam.publish_version(FunctionName="f")["Version"]
    lam.update_function_code(FunctionName="f", ZipFile=package("two"))
    alias = lam.create_alias(FunctionName="f", Name="live", FunctionVersion=first)["AliasArn"]

    assert said(lam, FunctionName="f", Qualifier="live") == "one"
    assert said(lam, FunctionName="f", Qualifier=first) == "one"
    assert said(lam, FunctionName=alias) == "one"
    assert said(lam, FunctionName="f", Qualifier="$LATEST") == "two"
    assert said(lam, FunctionName="f") == "two"


def test_a_permission_of_an_alias_names_the_alias_and_moves_with_it(lam: Any) -> None:
    """As AWS writes it: the statement allows invoking `f:live`, which the API's and the schedules' checks look for;
    the unqualified function is not what it allows. It stays the alias's when the alias moves to a new version."""
    alias = lam.create_alias(
        FunctionName="f", Name="live", FunctionVersion=lam.publish_version(FunctionName="f")["Version"]
    )
    lam.add_permission(
        FunctionName=alias["AliasArn"],
        StatementId="api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )

    (statement,) = json.loads(lam.get_policy(FunctionName=alias["AliasArn"])["Policy"])["Statement"]

    assert statement["Resource"] == alias["AliasArn"]
    first = alias["FunctionVersion"]
    lam.update_function_code(FunctionName="f", ZipFile=package("two"))
    lam.update_alias(FunctionName="f", Name="live", FunctionVersion=lam.publish_version(FunctionName="f")["Version"])
    moved = json.loads(lam.get_policy(FunctionName=alias["AliasArn"])["Policy"])["Statement"]
    assert [s["Sid"] for s in moved] == ["api"]  # the alias keeps its policy when it moves
    assert said(lam, FunctionName=alias["AliasArn"]) == "two"
    assert first != lam.get_alias(FunctionName="f", Name="live")["FunctionVersion"]
