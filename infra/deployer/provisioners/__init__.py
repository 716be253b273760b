"""One provisioner per CloudFormation resource type the deployer can create."""

from __future__ import annotations

from .apigateway import DeploymentProvisioner, RestApiProvisioner, StageProvisioner
from .awslambda import (
    EventSourceMappingProvisioner,
    FunctionAliasProvisioner,
    FunctionProvisioner,
    PermissionProvisioner,
    VersionProvisioner,
)
from .base import Provisioner, Result, Target
from .cloudwatch import AlarmProvisioner, DashboardProvisioner
from .codedeploy import ApplicationProvisioner, DeploymentGroupProvisioner
from .cognito import UserPoolClientProvisioner, UserPoolGroupProvisioner, UserPoolProvisioner
from .dynamodb import TableProvisioner
from .events import ArchiveProvisioner, EventBusProvisioner, RuleProvisioner
from .iam import RoleProvisioner
from .kms import AliasProvisioner, KeyProvisioner
from .logs import LogGroupProvisioner
from .sns import TopicProvisioner
from .sqs import QueuePolicyProvisioner, QueueProvisioner
from .ssm import ParameterProvisioner
from .stepfunctions import StateMachineAliasProvisioner, StateMachineProvisioner, StateMachineVersionProvisioner

PROVISIONERS: dict[str, Provisioner] = {
    p.resource_type: p
    for p in (
        AlarmProvisioner(),
        ApplicationProvisioner(),
        ArchiveProvisioner(),
        DashboardProvisioner(),
        DeploymentGroupProvisioner(),
        DeploymentProvisioner(),
        EventBusProvisioner(),
        EventSourceMappingProvisioner(),
        FunctionProvisioner(),
        FunctionAliasProvisioner(),
        VersionProvisioner(),
        AliasProvisioner(),
        KeyProvisioner(),
        LogGroupProvisioner(),
        ParameterProvisioner(),
        PermissionProvisioner(),
        QueuePolicyProvisioner(),
        QueueProvisioner(),
        RestApiProvisioner(),
        RoleProvisioner(),
        RuleProvisioner(),
        StageProvisioner(),
        StateMachineProvisioner(),
        StateMachineAliasProvisioner(),
        StateMachineVersionProvisioner(),
        TableProvisioner(),
        TopicProvisioner(),
        UserPoolClientProvisioner(),
        UserPoolGroupProvisioner(),
        UserPoolProvisioner(),
    )
}

__all__ = ["PROVISIONERS", "Provisioner", "Result", "Target"]
