"""AWS::CodeDeploy::Application and AWS::CodeDeploy::DeploymentGroup: what SAM makes of a function's
`DeploymentPreference`. On AWS, CloudFormation hands each alias update to CodeDeploy (the alias's UpdatePolicy),
which shifts the invocations to the new version as the group's configuration says and rolls back on its alarms.
Here the group is recorded as the template says, and the alias moves at once (the deploy says so)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ..errors import DeployError, TemplateError
from ..template import Template
from .base import Provisioner, Result, Target, camel_case, error_code

# CodeDeploy's names for the properties a group is created and updated with, and the parts of its description that
# say them back.
_GROUP_SETTINGS = {
    "ServiceRoleArn": "serviceRoleArn",
    "DeploymentConfigName": "deploymentConfigName",
    "DeploymentStyle": "deploymentStyle",
    "AutoRollbackConfiguration": "autoRollbackConfiguration",
    "AlarmConfiguration": "alarmConfiguration",
}
_ALL_AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce"


class ApplicationProvisioner(Provisioner):
    resource_type = "AWS::CodeDeploy::Application"
    properties = frozenset({"ApplicationName", "ComputePlatform", "Tags"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        codedeploy = target.clients("codedeploy")
        name = properties.get("ApplicationName") or target.name(logical_id, max_length=100)
        platform = properties.get("ComputePlatform", "Server")
        try:
            current = codedeploy.get_application(applicationName=name)["application"]
        except ClientError as exc:
            if error_code(exc) != "ApplicationDoesNotExistException":
                raise
            tags = [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties.get("Tags", [])]
            codedeploy.create_application(applicationName=name, computePlatform=platform, tags=tags)
            return Result(ref=name, action="created")
        if current.get("computePlatform", "Server") != platform:  # CodeDeploy cannot change it in place
            raise DeployError(
                f"{logical_id}: application {name} deploys to {current.get('computePlatform')}, the template says"
                f" {platform}; a platform cannot change in place"
            )
        return Result(ref=name, action="unchanged")


class DeploymentGroupProvisioner(Provisioner):
    """A Lambda deployment group, created, or made equal to the template with UpdateDeploymentGroup (which the local
    cloud adds to moto: seam ``codedeploy_groups``)."""

    resource_type = "AWS::CodeDeploy::DeploymentGroup"
    properties = frozenset({"ApplicationName", "DeploymentGroupName", *_GROUP_SETTINGS})
    required = frozenset({"ApplicationName", "ServiceRoleArn"})

    def check(self, logical_id: str, properties: Mapping[str, Any], template: Template) -> None:
        super().check(logical_id, properties, template)
        style = properties.get("DeploymentStyle") or {}
        if isinstance(style, dict) and style.get("DeploymentType", "BLUE_GREEN") != "BLUE_GREEN":
            raise TemplateError(f"{logical_id}: a Lambda deployment group is BLUE_GREEN (DeploymentStyle)")

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        codedeploy = target.clients("codedeploy")
        application = str(properties["ApplicationName"])
        name = properties.get("DeploymentGroupName") or target.name(logical_id, max_length=100)
        wanted = {api: camel_case(properties[key]) for key, api in _GROUP_SETTINGS.items() if key in properties}
        shifting = str(wanted.get("deploymentConfigName", _ALL_AT_ONCE))
        if shifting != _ALL_AT_ONCE:
            target.note_once(
                f"note: function aliases: traffic shifting {shifting} is all at once here (CodeDeploy shifts it"
                " gradually on AWS and rolls back on the group's alarms)"
            )
        try:
            current = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=name)
        except ClientError as exc:
            if error_code(exc) != "DeploymentGroupDoesNotExistException":
                raise
            codedeploy.create_deployment_group(applicationName=application, deploymentGroupName=name, **wanted)
            return Result(ref=name, action="created")
        described = current["deploymentGroupInfo"]
        if not described.get("alarmConfiguration"):  # plain moto describes none (the local cloud does): not compared
            described = {**described, "alarmConfiguration": wanted.get("alarmConfiguration")}
        if all(_matches(value, described.get(key)) for key, value in wanted.items()):
            return Result(ref=name, action="unchanged")
        codedeploy.update_deployment_group(applicationName=application, currentDeploymentGroupName=name, **wanted)
        return Result(ref=name, action="updated")


def _matches(wanted: Any, described: Any) -> bool:
    """Whether CodeDeploy's description already says what the template asks (lists in any order)."""
    if isinstance(wanted, dict):
        return isinstance(described, dict) and all(_matches(v, described.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(described, list) and sorted(map(repr, wanted)) == sorted(map(repr, described))
    return bool(wanted == described)
