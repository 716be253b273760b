"""A function with SAM's AutoPublishAlias: the deployer publishes a version when its code changed and points the
alias at it at once; invoking the alias runs that version, an older version keeps its code."""

from __future__ import annotations

import json
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
        "Say": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "code/",
                "Handler": "say.handler",
                "Runtime": "python3.11",
                "AutoPublishAlias": "live",
            },
        }
    },
    "Outputs": {"AliasArn": {"Value": {"Ref": "Say.Alias"}}, "VersionArn": {"Value": {"Ref": "Say.Version"}}},
}


@pytest.fixture
def lam() -> Iterator[Any]:
    runner = InProcessRunner()
    with mock_aws(), install_all(runner):
        yield boto3.client("lambda", region_name="us-east-1")
    runner.close()


def deploy(tmp_path: Path, word: str) -> dict[str, str]:
    (tmp_path / "code").mkdir(exist_ok=True)
    (tmp_path / "code" / "say.py").write_text(f"def handler(event, context):\n    return {word!r}\n", encoding="utf-8")
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(TEMPLATE), encoding="utf-8")
    return deployer.deploy(tmp_path / "template.yaml", stack_name="fn", endpoint_url=None, region="us-east-1")


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
