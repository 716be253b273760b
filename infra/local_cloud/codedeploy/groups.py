"""A deployment group as CodeDeploy keeps it (moto pinned: 5.2.5): UpdateDeploymentGroup, which moto lacks, so a
re-deploy converges a group as the template changed it; and GetDeploymentGroup describing the group's alarms,
which moto answers empty. Nothing here shifts traffic: the local cloud moves a function's alias at once."""

from __future__ import annotations

from typing import Any

from local_cloud.seams import Installation, add, replace, require_signature

# UpdateDeploymentGroup's parameters, and the attributes of moto's DeploymentGroup they set.
_UPDATABLE = {
    "deploymentConfigName": "deployment_config_name",
    "serviceRoleArn": "service_role_arn",
    "alarmConfiguration": "alarm_configuration",
    "autoRollbackConfiguration": "auto_rollback_configuration",
    "deploymentStyle": "deployment_style",
    "triggerConfigurations": "trigger_configurations",
}


def install() -> Installation:
    from moto.codedeploy import responses
    from moto.codedeploy.exceptions import DeploymentGroupAlreadyExistsException
    from moto.codedeploy.responses import CodeDeployResponse
    from moto.core.responses import ActionResult

    described = responses._deployment_group_info
    require_signature(described, ["deployment_group"], "moto.codedeploy.responses._deployment_group_info")

    def deployment_group_info(deployment_group: Any) -> dict[str, Any]:
        return {**described(deployment_group), "alarmConfiguration": deployment_group.alarm_configuration or {}}

    def update_deployment_group(self: Any) -> Any:
        application = str(self._get_param("applicationName"))
        name = str(self._get_param("currentDeploymentGroupName"))
        group = self.codedeploy_backend.get_deployment_group(application, name)  # refuses an unknown one
        for parameter, attribute in _UPDATABLE.items():
            value = self._get_param(parameter)
            if value is not None:
                setattr(group, attribute, value)
        new_name = self._get_param("newDeploymentGroupName")
        if new_name and new_name != name:
            groups = self.codedeploy_backend.deployment_groups[application]
            if new_name in groups:
                raise DeploymentGroupAlreadyExistsException(f"Deployment group {new_name} already exists.")
            group.deployment_group_name = new_name
            groups[new_name] = groups.pop(name)
        return ActionResult({"hooksNotCleanedUp": []})

    return Installation(
        [
            replace(responses, "_deployment_group_info", deployment_group_info),
            add(CodeDeployResponse, "update_deployment_group", update_deployment_group),
        ]
    )
